# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_info end to end: the real main() against a real emulator (run_module from tests/e2e/conftest.py)."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._redact import is_sensitive_key
from ansible_collections.coolops.coolify.plugins.modules import coolify_info
from ansible_collections.coolops.coolify.tests.emulator.harness import EmulatorProcess

MARKER = "42|INFOMARKER%s" % uuid.uuid4().hex

FLEET = {
    "tokens": [{"token": MARKER, "abilities": ["root"], "team": 0, "user": 42}],
    "servers": [{"uuid": "srv-a", "name": "alpha"}, {"uuid": "srv-b", "name": "beta"}],
    "projects": [
        {"uuid": "prj-shop", "name": "shop", "environments": [{"name": "production", "uuid": "env-shop-prod"},
                                                              {"name": "staging", "uuid": "env-shop-stg"}]},
        {"uuid": "prj-blog", "name": "blog", "environments": [{"name": "production", "uuid": "env-blog-prod"}]},
    ],
    "applications": [
        {"uuid": "app-web", "name": "web", "project": "shop", "environment": "production", "server": "alpha",
         "status": "running:healthy", "tags": ["frontend", "prod"],
         "envs": [{"key": "DATABASE_URL", "value": "postgres://u:SECRETVALUE@db/x"}]},
        {"uuid": "app-api", "name": "api", "project": "shop", "environment": "production", "server": "alpha",
         "status": "running:unhealthy", "tags": ["backend", "prod"]},
        {"uuid": "app-web-stg", "name": "web-staging", "project": "shop", "environment": "staging", "server": "beta",
         "status": "exited", "tags": ["frontend"]},
        {"uuid": "app-blog", "name": "blog", "project": "blog", "server": "beta", "status": "degraded:unhealthy"},
    ],
    "services": [
        {"uuid": "svc-cache", "name": "cache", "project": "shop", "environment": "production", "server": "alpha",
         "status": "running:healthy", "databases": [{"name": "redis"}]},
        {"uuid": "svc-mail", "name": "mail", "project": "blog", "server": "beta", "status": "exited",
         "applications": [{"name": "mailer"}]},
    ],
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    path = tmp_path_factory.mktemp("info") / "fleet.json"
    path.write_text(json.dumps(FLEET))
    with EmulatorProcess(args=["--fixture", str(path), "--deploy-seconds", "0.2", "--status-lag-seconds", "0.1"]) as emu:
        yield emu


@pytest.fixture
def emu(fleet):
    fleet.reset()
    return fleet


def args(emu, token=None, **extra):
    result = {"api_url": emu.api_url, "api_token": token or emu.token}
    result.update(extra)
    return result


def names(items):
    return [item["name"] for item in items]


def secret_keys(data, path=""):
    """Every key in a result that may hold a secret (there must be none)."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if is_sensitive_key(key, value):
                found.append(path + "." + key)
            found.extend(secret_keys(value, path + "." + key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found.extend(secret_keys(item, "%s[%d]" % (path, index)))
    return found


def writes(emu):
    return [r for r in emu.requests_log() if r["method"] != "GET"]


def test_default_lists_every_application_without_secrets(run_module, emu):
    result = run_module(coolify_info, args(emu))
    assert result["changed"] is False and not result.get("failed")
    assert names(result["applications"]) == ["api", "blog", "web", "web-staging"]
    assert set(result) == {"changed", "applications"}
    assert secret_keys(result) == []
    text = json.dumps(result)
    for word in ("SECRETVALUE", '"sentinel_token"', '"docker_compose"', '"docker_compose_raw"', '"dockerfile"',
                 '"http_basic_auth_password"', '"manual_webhook_secret_github"'):
        assert word not in text
    assert result["applications"][0]["status"] == "running:unhealthy"


def test_selectors_and_status_filter(run_module, emu):
    result = run_module(coolify_info, args(emu, project="shop", status=["running"]))
    assert names(result["applications"]) == ["api", "web"]
    result = run_module(coolify_info, args(emu, project="shop", status=["stopped", "running:healthy"]))
    assert names(result["applications"]) == ["web", "web-staging"]
    result = run_module(coolify_info, args(emu, tags=["frontend"], server="beta"))
    assert names(result["applications"]) == ["web-staging"]
    result = run_module(coolify_info, args(emu, names=["blog", "web"], status=["exited"]))
    assert result["applications"] == []  # filtered by status: not an error


def test_services_and_several_kinds(run_module, emu):
    result = run_module(coolify_info, args(emu, gather=["services"], status=["exited"]))
    assert names(result["services"]) == ["mail"]
    assert secret_keys(result) == []
    result = run_module(coolify_info, args(emu, gather=["applications", "services"], names=["web", "cache"]))
    assert names(result["applications"]) == ["web"] and names(result["services"]) == ["cache"]


def test_servers_projects_environments(run_module, emu):
    result = run_module(coolify_info, args(emu, gather=["servers", "projects", "environments"]))
    assert names(result["servers"]) == ["alpha", "beta"]
    assert names(result["projects"]) == ["shop", "blog"]
    assert [(e["project_name"], e["name"]) for e in result["environments"]] == [
        ("shop", "production"), ("shop", "staging"), ("blog", "production")]
    assert secret_keys(result) == []
    result = run_module(coolify_info, args(emu, gather=["servers", "projects", "environments"], project="shop",
                                           environment="staging", server="srv-b"))
    assert names(result["servers"]) == ["beta"]
    assert names(result["projects"]) == ["shop"]
    assert [(e["project_uuid"], e["uuid"]) for e in result["environments"]] == [("prj-shop", "env-shop-stg")]
    assert "applications" not in result


def test_deployments(run_module, emu):
    with CoolifyClient(emu.api_url, emu.token) as client:
        first = client.resource_action("application", "app-web", "restart")["deployment_uuid"]
    result = run_module(coolify_info, args(emu, gather=["deployments"]))
    assert first in [d["deployment_uuid"] for d in result["deployments"]]  # queued or in progress
    result = run_module(coolify_info, args(emu, gather=["applications", "deployments"], names=["web", "api"],
                                           deployment_limit=5))
    assert names(result["applications"]) == ["web", "api"]
    mine = [d for d in result["deployments"] if d["deployment_uuid"] == first]
    assert mine and mine[0]["application_uuid"] == "app-web"
    assert all("logs" not in d for d in result["deployments"])


def test_check_mode_reads_the_same_and_never_writes(run_module, emu):
    normal = run_module(coolify_info, args(emu, gather=["applications", "services", "servers"]))
    checked = run_module(coolify_info, args(emu, gather=["applications", "services", "servers"]), check_mode=True)
    assert checked == normal and checked["changed"] is False
    assert writes(emu) == []


def test_unknown_and_ambiguous_selectors_fail_listing_every_offender(run_module, emu):
    result = run_module(coolify_info, args(emu, names=["ghost", "web"], uuids=["nope"]))
    assert result["failed"] is True
    assert result["msg"] == "Cannot select applications: unknown uuids: nope; unknown names: ghost."
    assert result["offenders"] == {"unknown uuids": ["nope"], "unknown names": ["ghost"]}
    assert result["error_type"] == "SelectorError"


def test_tags_with_services_read_each_candidates_tags(run_module, emu):
    result = run_module(coolify_info, args(emu, gather=["services"], tags=["prod"]))
    assert result["failed"] and result["msg"] == "Cannot select services: tags matching nothing: prod."
    tag_reads = sorted(r["path"] for r in emu.requests_log() if r["path"].endswith("/tags"))
    assert tag_reads == ["/api/v1/services/svc-cache/tags", "/api/v1/services/svc-mail/tags"]


def test_api_errors_become_one_failure_with_details(run_module, emu):
    result = run_module(coolify_info, args(emu, token="1|wrong-token"))
    assert result["failed"] is True
    host = emu.api_url.split("://", 1)[1].split("/", 1)[0]
    assert result["msg"] == "Coolify API GET /applications returned HTTP 401: Unauthenticated (at %s; check api_token)." % host
    assert result["status_code"] == 401 and result["api_error"] == "Unauthenticated."
    assert result["method"] == "GET" and result["path"] == "/applications"
    assert result["error_type"] == "AuthenticationError" and result["changed"] is False


def test_bad_api_url_fails_cleanly(run_module, emu):
    result = run_module(coolify_info, {"api_url": "coolify.example.com", "api_token": "x"})
    assert result["failed"] and "has no scheme" in result["msg"]


def test_environment_variables_as_fallback(run_module, emu, monkeypatch):
    monkeypatch.setenv("COOLIFY_URL", emu.base_url)
    monkeypatch.setenv("COOLIFY_TOKEN", emu.token)
    for name in ("COOLIFY_API_URL", "COOLIFY_BASE_URL", "COOLIFY_API_TOKEN", "COOLIFY_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = run_module(coolify_info, {"names": ["web"]})
    assert names(result["applications"]) == ["web"]


def test_missing_connection_options_fail(run_module, monkeypatch):
    for name in ("COOLIFY_API_URL", "COOLIFY_URL", "COOLIFY_BASE_URL", "COOLIFY_API_TOKEN", "COOLIFY_TOKEN",
                 "COOLIFY_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = run_module(coolify_info, {})
    assert result["failed"] and re.search(r"missing required arguments: api_token, api_url", result["msg"])


def test_environment_requires_project(run_module, emu):
    result = run_module(coolify_info, args(emu, environment="production"))
    assert result["failed"] and "environment" in result["msg"] and "project" in result["msg"]


def test_the_token_never_appears_in_any_result(run_module, emu):
    secret = MARKER.split("|", 1)[1]
    results = [
        run_module(coolify_info, args(emu, token=MARKER, gather=coolify_info.GATHER_CHOICES)),
        run_module(coolify_info, args(emu, token=MARKER, names=["ghost"])),
        run_module(coolify_info, args(emu, token=MARKER + "-wrong")),
        run_module(coolify_info, args(emu, token=MARKER, project="nowhere", gather=["projects"])),
        run_module(coolify_info, {"api_url": "http://127.0.0.1:1", "api_token": MARKER, "max_retries": 0}),
    ]
    assert not results[0].get("failed") and all(r.get("failed") for r in results[1:])
    for result in results:
        assert secret not in json.dumps(result)


def test_credentials_in_repository_urls_are_masked(run_module, tmp_path):
    fixture = tmp_path / "fleet.json"
    fixture.write_text(json.dumps({
        "servers": [{"uuid": "srv-1", "name": "main", "ip": "192.0.2.10"}],
        "projects": [{"uuid": "prj-1", "name": "shop", "environments": ["production"]}],
        "applications": [{"uuid": "app-1", "name": "web", "project": "prj-1", "environment": "production",
                          "server": "srv-1", "git_repository": "https://deploy:ghp-repo-marker-123@github.com/acme/web.git",
                          "fqdn": "https://web.example.com"}],
    }))
    with EmulatorProcess(args=("--fixture", str(fixture))) as emu:
        result = run_module(coolify_info, {"api_url": emu.api_url, "api_token": emu.token})
    assert not result.get("failed"), result.get("msg")
    app = result["applications"][0]
    assert app["git_repository"] == "https://********@github.com/acme/web.git"
    assert "ghp-repo-marker-123" not in json.dumps(result)


def test_databases_with_backups_and_last_executions_without_secrets(emulator_factory, run_module):
    """files/databases.yml: the root token may read every password and URL; none reaches the result."""
    from ansible_collections.coolops.coolify.tests.e2e.modules.db_helpers import FIXTURE  # pylint: disable=import-outside-toplevel
    emu = emulator_factory("--fixture", FIXTURE, "--backup-seconds", "0.1", "--job-delay-seconds", "0")
    assert emu.request("PATCH", "/databases/db-shop-pg/backups/bk-shop-pg", json_body={"backup_now": True})[0] == 200
    status, _headers, raw = emu.request("GET", "/databases")
    assert status == 200 and "coolops-dbsecret" in json.dumps(raw)  # the answer carries them: the module drops them
    time.sleep(0.5)
    result = run_module(coolify_info, {"api_url": emu.api_url, "api_token": emu.token, "gather": ["databases"],
                                       "project": "shop", "environment": "production", "status": ["running"]})
    assert not result.get("failed"), result.get("msg")
    dbs = dict((item["name"], item) for item in result["databases"])
    assert sorted(dbs) == ["shop-mysql", "shop-pg", "shop-redis"]
    pg = dbs["shop-pg"]
    assert pg["database_type"] == "standalone-postgresql" and pg["status"] == "running:healthy"
    assert [b["uuid"] for b in pg["backups"]] == ["bk-shop-pg"] and pg["backups"][0]["frequency"] == "0 3 * * *"
    last = pg["backups"][0]["last_execution"]
    assert last["status"] == "success" and last["filename"] and last["size"] > 0 and "message" not in last
    assert dbs["shop-mysql"]["backups"][0]["last_execution"] is None and dbs["shop-redis"]["backups"] == []
    text = json.dumps(result)
    assert "coolops-dbsecret" not in text and "_db_url" not in text and "password" not in text


def test_databases_are_selected_by_tag(emulator_factory, run_module):
    from ansible_collections.coolops.coolify.tests.e2e.modules.db_helpers import FIXTURE  # pylint: disable=import-outside-toplevel
    emu = emulator_factory("--fixture", FIXTURE)
    result = run_module(coolify_info, {"api_url": emu.api_url, "api_token": emu.token, "gather": ["databases"],
                                       "tags": ["production"], "server": "db-2"})
    assert result["failed"] and result["msg"] == "Cannot select databases: tags matching nothing in server 'db-2': production."
