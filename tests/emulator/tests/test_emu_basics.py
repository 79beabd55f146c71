# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Routing, response shapes and the read-only endpoints."""

from __future__ import annotations

import subprocess
import sys
import time

import requests

from emu_helpers import EMULATOR_DIR, ROOT, harness  # pylint: disable=import-error


def test_starts_and_prints_the_listening_line_first():
    proc = subprocess.Popen([sys.executable, EMULATOR_DIR, "--port", "0", "--seed-apps", "50"],  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split()[-1]
        resp = requests.get(url + "/api/v1/applications", headers={"Authorization": "Bearer " + ROOT}, timeout=10)
        assert resp.status_code == 200
        assert len(resp.json()) == 50
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_version_is_bare_text(api):
    resp = api.get("/version")
    assert resp.status_code == 200
    assert resp.text == "4.3.11"
    assert resp.headers["Content-Type"].startswith("text/html")


def test_health_needs_no_token_and_ignores_api_disabled(api):
    api.emu.configure(api_enabled=False)
    for path in ("/api/health", "/api/v1/health"):
        resp = requests.get(api.emu.base_url + path, timeout=10)
        assert resp.status_code == 200
        assert resp.text == "OK"
        assert resp.headers["Content-Type"].startswith("text/html")


def test_team_and_teams_current(api):
    for path in ("/team", "/teams/current"):
        body = api.get(path).json()
        assert body["id"] == 0
        assert body["name"] == "Root Team"
    assert api.get("/team", token="6|acme-root").json()["name"] == "Acme Corp"


def test_catch_all_404_is_json_for_any_method_and_needs_no_token(api):
    expected = {"message": "Not found.", "docs": "https://coolify.io/docs"}
    for method, path in (("GET", "/nope"), ("POST", "/applications"), ("PUT", "/applications/app-web"),
                         ("DELETE", "/deployments"), ("GET", "/deployments/x/cancel"), ("GET", "/healthcheck")):
        resp = api.call(method, path, token="")
        assert resp.status_code == 404, (method, path)
        assert resp.json() == expected
    resp = requests.get(api.emu.base_url + "/api/nope", timeout=10)
    assert resp.status_code == 404 and resp.json() == expected


def test_json_escapes_slashes_like_laravel(api):
    resp = api.get("/nope")
    assert '"https:\\/\\/coolify.io\\/docs"' in resp.text


def test_applications_sorted_by_name_with_hidden_id_and_key_order(api):
    apps = api.get("/applications").json()
    names = [app["name"] for app in apps]
    assert names == sorted(names)
    assert "acme-web" not in names
    web = next(app for app in apps if app["uuid"] == "app-web")
    assert "id" not in web
    assert list(web)[:2] == ["uuid", "name"]
    assert list(web)[-3:] == ["additional_servers", "created_at", "updated_at"] or list(web)[-2:] == ["created_at", "updated_at"]
    for field in ("environment_id", "destination_id", "status", "fqdn", "build_pack", "git_repository", "git_branch",
                  "server_status", "destination"):
        assert field in web
    assert "tags" not in web
    assert web["status"] == "running:healthy"
    assert web["destination"]["server"]["uuid"] == "srv-main"


def test_application_tag_filter_is_exact(api):
    assert {app["uuid"] for app in api.get("/applications", params={"tag": "frontend"}).json()} == {"app-web", "app-staging-web"}
    assert api.get("/applications", params={"tag": "front"}).json() == []
    assert api.get("/applications", params={"tag": "Frontend"}).json() == []


def test_application_get_includes_settings_and_404(api):
    body = api.get("/applications/app-web").json()
    assert body["uuid"] == "app-web"
    assert "settings" in body
    resp = api.get("/applications/missing")
    assert resp.status_code == 404 and resp.json() == {"message": "Application not found."}


def test_sensitive_application_fields_only_for_sensitive_tokens(api):
    assert "http_basic_auth_password" in api.get("/applications/app-web").json()
    assert "http_basic_auth_password" not in api.get("/applications/app-web", token="2|read-only").json()
    assert "http_basic_auth_password" in api.get("/applications/app-web", token="3|sensitive-reader").json()


def test_services_have_nested_resources_status_and_no_tags(api):
    services = api.get("/services").json()
    assert [svc["uuid"] for svc in services] == ["svc-analytics", "svc-cache", "svc-degraded"]
    by_uuid = {svc["uuid"]: svc for svc in services}
    assert by_uuid["svc-analytics"]["status"] == "running:healthy"
    assert by_uuid["svc-cache"]["status"] == "exited"
    assert by_uuid["svc-degraded"]["status"] == "degraded:unhealthy"
    for svc in services:
        assert "tags" not in svc and "id" not in svc
        assert "server" in svc and "server_status" in svc
    one = api.get("/services/svc-analytics").json()
    assert [sub["name"] for sub in one["applications"]] == ["plausible"]
    assert [sub["name"] for sub in one["databases"]] == ["plausible-db", "plausible-events-db"]
    assert all("status" in sub for sub in one["applications"] + one["databases"])
    resp = api.get("/services/nope")
    assert resp.status_code == 404 and resp.json() == {"message": "Service not found."}


def test_servers_list_get_resources_and_domains(api):
    servers = api.get("/servers").json()
    assert [srv["uuid"] for srv in servers] == ["srv-main", "srv-edge"]
    main = servers[0]
    assert "id" not in main and "proxy" not in main
    assert main["settings"]["concurrent_builds"] == 2
    assert main["settings"]["deployment_queue_limit"] == 25
    assert servers[1]["settings"]["concurrent_builds"] == 1
    full = api.get("/servers/srv-main").json()
    assert "proxy" in full and "resources" not in full
    with_resources = api.get("/servers/srv-main", params={"resources": "1"}).json()
    assert {item["uuid"] for item in with_resources["resources"]} == {
        "app-web", "app-api", "app-worker", "db-shop", "db-reports", "db-sessions", "svc-analytics", "svc-degraded"}
    resources = api.get("/servers/srv-main/resources").json()
    assert set(resources[0]) == {"id", "uuid", "name", "type", "created_at", "updated_at", "status"}
    # definedResources(): applications, then databases in model order (postgresql, ..., mysql, ..., keydb), then services
    assert [item["type"] for item in resources] == ["application"] * 3 + [
        "standalone-postgresql", "standalone-mysql", "standalone-keydb", "service", "service"]
    assert [item["status"] for item in resources if item["type"] == "standalone-mysql"] == ["exited:unhealthy"]
    domains = api.get("/servers/srv-main/domains").json()
    hosts = ["shop.example.com", "www.shop.example.com", "api.shop.example.com", "stats.shop.example.com"]
    assert domains == [{"ip": "10.0.0.10", "domains": hosts}]
    assert api.get("/servers/srv-main/domains", params={"uuid": "app-web"}).json() == [
        "https://shop.example.com", "https://www.shop.example.com"]
    for path in ("/servers/nope", "/servers/nope/resources", "/servers/nope/domains", "/servers/srv-acme"):
        resp = api.get(path)
        assert resp.status_code == 404 and resp.json() == {"message": "Server not found."}


def test_projects_environments_and_environment_detail(api):
    assert api.get("/projects").json() == [{"id": 1, "uuid": "prj-shop", "description": "The shop", "name": "shop"}]
    assert list(api.get("/projects").json()[0]) == ["id", "uuid", "description", "name"]
    project = api.get("/projects/prj-shop").json()
    assert [env["name"] for env in project["environments"]] == ["production", "staging"]
    assert api.get("/projects/prj-shop/environments").json() == [
        {"id": 1, "uuid": "env-shop-prod", "name": "production"}, {"id": 2, "uuid": "env-shop-staging", "name": "staging"}]
    by_name = api.get("/projects/prj-shop/staging").json()
    by_uuid = api.get("/projects/prj-shop/env-shop-staging").json()
    assert by_name["uuid"] == by_uuid["uuid"] == "env-shop-staging"
    assert {app["uuid"] for app in by_name["applications"]} == {"app-staging-web", "app-edge-1", "app-edge-2"}
    assert [svc["uuid"] for svc in by_name["services"]] == ["svc-cache"]
    assert [db["uuid"] for db in by_name["redis"]] == ["db-cache"]
    for key in ("postgresqls", "mongodbs", "mysqls", "mariadbs"):
        assert by_name[key] == []
    production = api.get("/projects/prj-shop/production").json()
    assert [db["uuid"] for db in production["postgresqls"]] == ["db-shop"]
    assert [db["uuid"] for db in production["mysqls"]] == ["db-reports"]
    assert "keydbs" not in production  # the environment endpoint loads only five database relations
    assert api.get("/projects/prj-shop/nope").json() == {"message": "Environment not found."}
    for path in ("/projects/prj-acme", "/projects/prj-acme/environments", "/projects/prj-acme/production"):
        resp = api.get(path)
        assert resp.status_code == 404 and resp.json() == {"message": "Project not found."}


def test_resources_is_a_flat_array_with_type_and_status(api):
    items = api.get("/resources").json()
    assert isinstance(items, list)
    assert {item["type"] for item in items} == {"application", "service", "standalone-postgresql", "standalone-redis",
                                                "standalone-mysql", "standalone-keydb"}
    assert len(items) == 13  # 6 applications, 3 services, 4 databases (db-acme belongs to another team)
    assert all("status" in item for item in items)


def test_generated_fleet_is_realistic(fleet):
    apps = fleet.get("/applications").json()
    assert len(apps) == 30
    assert len({app["name"] for app in apps}) == 30
    states = {app["status"] for app in apps}
    assert "running:healthy" in states and any(status.startswith("exited") for status in states)
    assert all(":" in status for status in states)
    assert fleet.get("/applications", params={"tag": "production"}).json()
    assert fleet.get("/applications", params={"tag": "staging"}).json()
    services = fleet.get("/services").json()
    assert len(services) == 8
    coolify_envs = [env for env in fleet.get("/services/%s/envs" % services[0]["uuid"]).json() if env["is_coolify"]]
    assert coolify_envs and all(env["key"].startswith("SERVICE_") for env in coolify_envs)
    envs = fleet.get("/applications/%s/envs" % apps[0]["uuid"]).json()
    assert len(envs) >= 4 and any(env["is_preview"] for env in envs)
    assert len(fleet.get("/servers").json()) == 3
    assert len(fleet.get("/projects").json()) == 3


def test_fleet_is_reproducible_with_the_same_random_seed():
    args = ("--seed-apps", "5", "--seed-services", "2", "--random-seed", "5")
    with harness.EmulatorProcess(args=args) as one, harness.EmulatorProcess(args=args) as two:
        first = one.request("GET", "/applications")[2]
        second = two.request("GET", "/applications")[2]
    assert [(app["uuid"], app["name"], app["status"]) for app in first] == [
        (app["uuid"], app["name"], app["status"]) for app in second]


def test_admin_requests_log_state_and_stats(api):
    api.post("/applications/app-web/envs", json={"key": "NEW_KEY", "value": "x"}, params={"trace": "1"})
    api.get("/applications")
    log = api.emu.requests_log()
    assert [entry["method"] for entry in log] == ["POST", "GET"]
    first = log[0]
    assert first["path"] == "/api/v1/applications/app-web/envs"
    assert first["query"] == {"trace": "1"}
    assert first["body"] == {"key": "NEW_KEY", "value": "x"}
    assert first["status"] == 422  # "trace" is not an allowed field
    assert {"time", "method", "path", "query", "body", "status"} <= set(first)
    assert ROOT not in str(log) and "Authorization" not in str(log)
    state = api.emu.state()
    assert any(env["key"] == "DATABASE_URL" and env["value"] for env in state["envs"])
    stats = api.emu.stats()
    assert stats["total"] == 2
    assert stats["by_route"]["GET /api/v1/applications"] == 1
    assert stats["by_route"]["POST /api/v1/applications/{uuid}/envs"] == 1
    assert stats["peak_in_flight"] >= 1


def test_admin_reset_restores_the_seed_and_clears_log_and_stats(api):
    assert api.post("/applications/app-web/envs", json={"key": "NEW_KEY", "value": "x"}).status_code == 201
    api.emu.configure(latency_ms=5)
    api.emu.reset()
    assert api.emu.requests_log() == []
    assert api.emu.stats()["total"] == 0
    assert api.emu.state()["settings"]["latency_ms"] == 0
    assert not any(env["key"] == "NEW_KEY" for env in api.get("/applications/app-web/envs").json())


def test_admin_config_rejects_unknown_settings(api):
    try:
        api.emu.configure(no_such_setting=1)
    except harness.EmulatorError as exc:
        assert "400" in str(exc)
    else:
        raise AssertionError("expected an error")


def test_admin_delete_resource(api):
    assert api.emu.delete_resource("app-api") == {"deleted": "app-api", "type": "application"}
    assert api.get("/applications/app-api").status_code == 404
    assert api.emu.delete_resource("svc-cache")["type"] == "service"
    assert api.get("/services/svc-cache").status_code == 404
    try:
        api.emu.delete_resource("nope")
    except harness.EmulatorError as exc:
        assert "404" in str(exc)
    else:
        raise AssertionError("expected an error")


def test_outside_api_is_an_html_404(api):
    resp = requests.get(api.emu.base_url + "/", timeout=10)
    assert resp.status_code == 404
    assert resp.headers["Content-Type"].startswith("text/html")


def test_keep_alive_connection_serves_many_requests(api):
    session = requests.Session()
    started = time.monotonic()
    for _attempt in range(20):
        resp = session.get(api.emu.api_url + "/version", headers={"Authorization": "Bearer " + ROOT}, timeout=10)
        assert resp.status_code == 200
    assert time.monotonic() >= started
    session.close()
