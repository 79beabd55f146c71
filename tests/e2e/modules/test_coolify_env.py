# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_env end to end: the real main() over loopback HTTP against the emulator, for two Coolify versions.

Every value and the token carry the marker MARK; every result is checked not to contain it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_env
from ansible_collections.coolops.coolify.tests.emulator.harness import EmulatorProcess
from ansible_collections.coolops.coolify.tests.e2e.loopback import reply, serve

MARK = "mrk7c1e9a"
TOKEN = "1|tok-%s-root" % MARK
NOSENS_TOKEN = "2|tok-%s-nosensitive" % MARK
OLD_A = "old-a-%s-secret" % MARK
OLD_A_PREVIEW = "old-a-preview-%s" % MARK
OLD_B = "old-b-%s-secret" % MARK
OLD_D = "old-d-%s-secret" % MARK
ONCE_C = "once-c-%s" % MARK
STALE = "stale-%s" % MARK
NEW = "new-%s-rotated" % MARK
NEW2 = "second-%s-rotated" % MARK
DB_PASSWORD = "db-password-%s" % MARK

FIXTURE = {
    "teams": [{"id": 0, "name": "Root Team"}],
    "tokens": [{"token": NOSENS_TOKEN, "abilities": ["read", "write", "deploy"], "team": 0, "user": 2}],
    "servers": [{"uuid": "srv-1", "name": "main", "ip": "10.0.0.10", "team": 0}],
    "projects": [{"uuid": "prj-env", "name": "envtest", "environments": [{"name": "production"}, {"name": "staging"}]}],
    "applications": [
        {"uuid": "app-a", "name": "env-a", "project": "prj-env", "environment": "staging", "server": "srv-1",
         "status": "running:healthy", "tags": ["staging", "rotate"], "envs": [
             {"key": "API_KEY", "value": OLD_A, "is_literal": True, "comment": "primary"},
             {"key": "LOG_LEVEL", "value": "info"},
             {"key": "STALE_KEY", "value": STALE, "is_buildtime": False},
             {"key": "SERVICE_FQDN_WEB", "value": "https://a.example.com"},
             {"key": "API_KEY", "value": OLD_A_PREVIEW, "is_preview": True},
             {"key": "STALE_KEY", "value": STALE, "is_preview": True},
         ]},
        {"uuid": "app-b", "name": "env-b", "project": "prj-env", "environment": "staging", "server": "srv-1",
         "status": "running:healthy", "tags": ["staging", "rotate"], "envs": [
             {"key": "API_KEY", "value": OLD_B},
             {"key": "LOG_LEVEL", "value": "info"},
         ]},
        {"uuid": "app-c", "name": "env-c", "project": "prj-env", "environment": "staging", "server": "srv-1",
         "status": "running:healthy", "tags": ["staging", "rotate"], "envs": [
             {"key": "LOG_LEVEL", "value": "info"},
             {"key": "ONCE_TOKEN", "value": ONCE_C, "is_shown_once": True},
         ]},
        {"uuid": "app-d", "name": "env-d", "project": "prj-env", "environment": "production", "server": "srv-1",
         "status": "running:healthy", "tags": ["production"], "envs": [{"key": "API_KEY", "value": OLD_D}]},
    ],
    "services": [
        {"uuid": "svc-db", "name": "env-db", "project": "prj-env", "environment": "staging", "server": "srv-1",
         "service_type": "postgresql", "status": "running:healthy", "databases": [{"name": "postgresql", "image": "postgres:16"}],
         "envs": [
             {"key": "SERVICE_PASSWORD_POSTGRES", "value": DB_PASSWORD},
             {"key": "SERVICE_FQDN_DB", "value": "https://db.example.com"},
             {"key": "TZ", "value": "UTC"},
             {"key": "LOG_LEVEL", "value": "info"},
         ]},
    ],
}

FAST = {"poll_interval": 0.05, "wait_timeout": 30}
# For a restart whose outcome stays unknown (an action answered 500): the module watches it until wait_timeout.
FAIL_FAST = {"poll_interval": 0.05, "wait_timeout": 3}


@pytest.fixture(scope="module", params=["4.3.11", "4.1.2"])
def env_emulator(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("fixture") / "envs.json"
    path.write_text(json.dumps(FIXTURE))
    args = ("--fixture", str(path), "--api-version", request.param, "--deploy-seconds", "0.1", "--status-lag-seconds", "0.05",
            "--job-delay-seconds", "0.3")
    with EmulatorProcess(args=args, token=TOKEN) as emu:
        emu.version = request.param
        yield emu


@pytest.fixture
def emu(env_emulator):
    env_emulator.reset()
    return env_emulator


def module_args(emu, token=TOKEN, **extra):
    # One retry, not five: the injected 500s of these tests are permanent, and five back-offs cost ~12 s a test. How
    # many retries are made and when is the reliability suite's business (tests/e2e/reliability/test_faults_env.py).
    args = {"api_url": emu.api_url, "api_token": token, "max_retries": 1}
    args.update(extra)
    return args


def run(run_module, emu, check_mode=False, diff=False, **args):
    result = run_module(coolify_env, module_args(emu, **args), check_mode=check_mode, diff=diff)
    assert_clean(result)
    return result


def assert_clean(result):
    """No value, no token, in any part of the result (msg, warnings, diff, errors)."""
    text = json.dumps(result, default=str)
    assert MARK not in text, text


def envs(emu, uuid):
    """(key, is_preview) -> row of the emulator's state (values included: the test's view, not the module's)."""
    return dict(((row["key"], row["is_preview"]), row) for row in emu.state()["envs"] if row["resource_uuid"] == uuid)


def writes(log):
    return [entry for entry in log if entry["method"] != "GET"]


def by_name(result):
    return dict((entry["name"], entry) for entry in result["resources"])


def shown_once_hidden(emu):
    return emu.version != "4.1.2"


# ------------------------------------------------------------------------------------------------ check -> apply -> re-run


def test_check_apply_rerun_verify(run_module, emu):
    args = dict(tags=["rotate"], env={"API_KEY": NEW, "LOG_LEVEL": "debug"}, max_workers=3)
    before = emu.state()["envs"]

    planned = run(run_module, emu, check_mode=True, diff=True, **args)
    assert planned["changed"] is True and not planned.get("failed")
    assert writes(emu.requests_log()) == []
    assert emu.state()["envs"] == before
    resources = by_name(planned)
    assert sorted(resources) == ["env-a", "env-b", "env-c"]
    assert resources["env-a"]["updated"] == ["API_KEY", "LOG_LEVEL"]
    assert resources["env-c"]["added"] == ["API_KEY"] and resources["env-c"]["updated"] == ["LOG_LEVEL"]
    assert all(entry["outcome"] == "untouched" for entry in planned["resources"])
    assert planned["summary"]["keys_added"] == 1 and planned["summary"]["keys_updated"] == 5
    assert planned["msg"].startswith("Would change 3 of 3 applications")
    # The diff masks every value and marks the changed ones.
    diff = planned["diff"]
    assert diff["before"]["env-a (app-a)"]["API_KEY"]["value"] == "********"
    assert diff["after"]["env-a (app-a)"]["API_KEY"]["value"] == "******** (changed)"
    assert diff["after"]["env-a (app-a)"]["API_KEY"]["is_literal"] is True
    assert "API_KEY" not in diff["before"]["env-c (app-c)"] and "API_KEY" in diff["after"]["env-c (app-c)"]

    emu.reset()
    applied = run(run_module, emu, **args)
    assert applied["changed"] is True and not applied.get("failed")
    assert [entry["outcome"] for entry in applied["resources"]] == ["written"] * 3
    assert applied["msg"] == "Changed 3 of 3 applications: 1 variable(s) added, 5 updated, 0 removed."
    log = writes(emu.requests_log())
    # One bulk PATCH per resource, nothing else, each item with the complete flag set.
    assert sorted(entry["path"] for entry in log) == ["/api/v1/applications/app-%s/envs/bulk" % x for x in "abc"]
    for entry in log:
        for item in entry["body"]["data"]:
            assert set(item) == {"key", "value", "is_preview", "is_literal", "is_multiline", "is_shown_once", "is_runtime",
                                 "is_buildtime", "comment"}

    rows = envs(emu, "app-a")
    assert rows[("API_KEY", False)]["value"] == NEW
    assert rows[("API_KEY", False)]["is_literal"] is True and rows[("API_KEY", False)]["comment"] == "primary"
    assert rows[("API_KEY", True)]["value"] == OLD_A_PREVIEW  # production scope leaves preview rows alone
    assert rows[("LOG_LEVEL", False)]["value"] == "debug"
    rows = envs(emu, "app-c")
    assert rows[("API_KEY", False)]["value"] == NEW
    # Coolify's automatic preview copy of a production create is kept (documented).
    assert rows[("API_KEY", True)]["value"] == NEW
    assert envs(emu, "app-d")[("API_KEY", False)]["value"] == OLD_D

    count = len(emu.requests_log())
    again = run(run_module, emu, **args)
    assert again["changed"] is False
    assert writes(emu.requests_log()[count:]) == []
    assert [entry["unchanged"] for entry in again["resources"]] == [["API_KEY", "LOG_LEVEL"]] * 3
    assert again["msg"] == "All 3 applications already match (6 variables compared)."


def test_alias_and_names_select(run_module, emu):
    result = run(run_module, emu, application_uuids=["app-b"], names=["env-d"], env={"API_KEY": NEW})
    assert [entry["uuid"] for entry in result["resources"]] == ["app-b", "app-d"]
    assert envs(emu, "app-b")[("API_KEY", False)]["value"] == NEW
    assert envs(emu, "app-d")[("API_KEY", False)]["value"] == NEW


def test_dict_values_set_flags_and_comment(run_module, emu):
    env = {"API_KEY": {"value": NEW, "is_literal": False, "is_buildtime": False, "comment": "rotated"}}
    result = run(run_module, emu, uuids=["app-a"], env=env)
    assert result["changed"]
    row = envs(emu, "app-a")[("API_KEY", False)]
    assert (row["value"], row["is_literal"], row["is_buildtime"], row["comment"]) == (NEW, False, False, "rotated")
    assert run(run_module, emu, uuids=["app-a"], env=env)["changed"] is False
    # A flag change alone is a change too.
    env["API_KEY"]["is_multiline"] = True
    assert run(run_module, emu, uuids=["app-a"], env=env)["resources"][0]["updated"] == ["API_KEY"]
    assert envs(emu, "app-a")[("API_KEY", False)]["is_multiline"] is True


def test_whitespace_is_compared_as_coolify_stores_it(run_module, emu):
    first = run(run_module, emu, uuids=["app-b"], env={"API_KEY": "  %s \n" % NEW})
    assert first["changed"] and any("API_KEY" in warning for warning in first["warnings"])
    assert envs(emu, "app-b")[("API_KEY", False)]["value"] == NEW
    assert run(run_module, emu, uuids=["app-b"], env={"API_KEY": "  %s \n" % NEW})["changed"] is False


# ------------------------------------------------------------------------------------------------ scope and preview rows


def test_scope_both_writes_preview_first_and_makes_no_extra_copy(run_module, emu):
    result = run(run_module, emu, uuids=["app-a", "app-b"], env={"API_KEY": NEW}, scope="both")
    resources = by_name(result)
    assert resources["env-a"]["updated"] == ["API_KEY@preview", "API_KEY"]
    assert resources["env-b"]["added"] == ["API_KEY@preview"] and resources["env-b"]["updated"] == ["API_KEY"]
    body = [entry for entry in emu.requests_log() if entry["path"] == "/api/v1/applications/app-b/envs/bulk"][0]["body"]
    assert [(item["key"], item["is_preview"]) for item in body["data"]] == [("API_KEY", True), ("API_KEY", False)]
    rows = [row for row in emu.state()["envs"] if row["resource_uuid"] == "app-b" and row["key"] == "API_KEY"]
    assert sorted((row["is_preview"], row["value"]) for row in rows) == [(False, NEW), (True, NEW)]
    assert run(run_module, emu, uuids=["app-a", "app-b"], env={"API_KEY": NEW}, scope="both")["changed"] is False


def test_scope_preview_only_touches_preview_rows(run_module, emu):
    result = run(run_module, emu, uuids=["app-a"], env={"API_KEY": NEW2}, scope="preview")
    assert result["resources"][0]["updated"] == ["API_KEY@preview"]
    rows = envs(emu, "app-a")
    assert rows[("API_KEY", True)]["value"] == NEW2 and rows[("API_KEY", False)]["value"] == OLD_A


def test_services_refuse_preview_scope_before_any_request(run_module, emu):
    result = run(run_module, emu, resource_type="service", uuids=["svc-db"], env={"TZ": "UTC"}, scope="both")
    assert result["failed"] and "no preview" in result["msg"]
    assert emu.requests_log() == []


# ------------------------------------------------------------------------------------------------ state=absent and prune


def test_absent_deletes_by_uuid_in_scope_only(run_module, emu):
    uuid = envs(emu, "app-a")[("API_KEY", False)]["uuid"]
    result = run(run_module, emu, uuids=["app-a"], env={"API_KEY": None, "NOT_THERE": None}, state="absent")
    assert result["resources"][0]["removed"] == ["API_KEY"]
    assert [(entry["method"], entry["path"]) for entry in writes(emu.requests_log())] == [
        ("DELETE", "/api/v1/applications/app-a/envs/%s" % uuid)]
    rows = envs(emu, "app-a")
    assert ("API_KEY", False) not in rows and ("API_KEY", True) in rows
    assert run(run_module, emu, uuids=["app-a"], env={"API_KEY": None}, state="absent")["changed"] is False


def test_prune_removes_unlisted_keys_in_scope_but_not_service_keys(run_module, emu):
    env = {"API_KEY": OLD_A, "LOG_LEVEL": "info"}
    planned = run(run_module, emu, uuids=["app-a"], env=env, prune=True, check_mode=True)
    assert planned["resources"][0]["removed"] == ["STALE_KEY"] and planned["resources"][0]["updated"] == []
    result = run(run_module, emu, uuids=["app-a"], env=env, prune=True)
    rows = envs(emu, "app-a")
    assert ("STALE_KEY", False) not in rows
    assert ("STALE_KEY", True) in rows and ("SERVICE_FQDN_WEB", False) in rows
    assert result["summary"]["keys_removed"] == 1
    assert run(run_module, emu, uuids=["app-a"], env=env, prune=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [False, True])
def test_prune_with_an_empty_env_fails_before_any_request(run_module, emu, check_mode):
    before = emu.state()["envs"]
    result = run(run_module, emu, check_mode=check_mode, tags=["rotate"], env={}, prune=True)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == ("prune=true needs at least one key in env; an empty env would delete every variable in "
                             "scope.")
    assert emu.requests_log() == []
    assert emu.state()["envs"] == before


def test_service_keys_are_protected_unless_asked(run_module, emu):
    result = run(run_module, emu, resource_type="service", uuids=["svc-db"], env={"TZ": "Europe/Paris"}, prune=True)
    assert result["resources"][0]["removed"] == ["LOG_LEVEL"] and result["resources"][0]["updated"] == ["TZ"]
    rows = envs(emu, "svc-db")
    assert rows[("SERVICE_PASSWORD_POSTGRES", False)]["value"] == DB_PASSWORD and ("SERVICE_FQDN_DB", False) in rows

    count = len(emu.requests_log())
    refused = run(run_module, emu, resource_type="service", uuids=["svc-db"], env={"SERVICE_PASSWORD_POSTGRES": NEW})
    assert refused["failed"] and "manage_service_keys" in refused["msg"] and "SERVICE_PASSWORD_POSTGRES" in refused["msg"]
    assert emu.requests_log()[count:] == []

    allowed = run(run_module, emu, resource_type="service", uuids=["svc-db"], env={"SERVICE_PASSWORD_POSTGRES": NEW},
                  manage_service_keys=True)
    assert allowed["resources"][0]["updated"] == ["SERVICE_PASSWORD_POSTGRES"]
    assert envs(emu, "svc-db")[("SERVICE_PASSWORD_POSTGRES", False)]["value"] == NEW


def test_services_cannot_be_selected_by_tag(run_module, emu):
    result = run(run_module, emu, resource_type="service", tags=["staging"], env={"TZ": "UTC"})
    assert result["failed"] and "tag" in result["msg"]
    assert writes(emu.requests_log()) == []


# ------------------------------------------------------------------------------------------------ hidden values


def test_token_without_read_sensitive_updates_and_warns_by_default(run_module, emu):
    args = dict(token=NOSENS_TOKEN, uuids=["app-b"], env={"API_KEY": OLD_B, "NEW_KEY": NEW})
    result = run(run_module, emu, **args)
    entry = result["resources"][0]
    assert result["changed"] and entry["updated"] == ["API_KEY"] and entry["added"] == ["NEW_KEY"]
    assert any("read:sensitive" in warning and "API_KEY" in warning for warning in result["warnings"])
    # Without read:sensitive the value cannot be compared, so the second run writes again (documented).
    again = run(run_module, emu, **args)
    assert again["changed"] and again["resources"][0]["updated"] == ["API_KEY", "NEW_KEY"]


def test_hidden_values_skip_and_fail(run_module, emu):
    skipped = run(run_module, emu, token=NOSENS_TOKEN, uuids=["app-b"], env={"API_KEY": NEW}, hidden_values="skip")
    assert skipped["changed"] is False and skipped["resources"][0]["skipped"] == ["API_KEY"]
    assert any("skipped" in warning for warning in skipped["warnings"])
    assert writes(emu.requests_log()) == []

    failed = run(run_module, emu, token=NOSENS_TOKEN, uuids=["app-b", "app-c"], env={"API_KEY": NEW}, hidden_values="fail")
    assert failed["failed"] and "read:sensitive" in failed["msg"] and "env-b" in failed["msg"]
    assert writes(emu.requests_log()) == []
    assert envs(emu, "app-b")[("API_KEY", False)]["value"] == OLD_B


def test_shown_once_values_follow_the_policy_even_for_root(run_module, emu):
    result = run(run_module, emu, uuids=["app-c"], env={"ONCE_TOKEN": ONCE_C})
    if shown_once_hidden(emu):
        # Coolify >= 4.2.0 never shows is_shown_once values, so the default policy rewrites and warns.
        assert result["changed"] and any("is_shown_once" in warning for warning in result["warnings"])
    else:
        # 4.1.2 still shows them to sensitive tokens: a normal, idempotent comparison.
        assert result["changed"] is False and not result.get("warnings")
    assert envs(emu, "app-c")[("ONCE_TOKEN", False)]["is_shown_once"] is True


# ------------------------------------------------------------------------------------------------ input validation


@pytest.mark.parametrize("env, words", [
    ({"1BAD": "x"}, ["1BAD", "invalid"]),
    ({"PORT": 8080}, ["PORT", "quote"]),
    ({"FLAG": True}, ["FLAG", "quote"]),
    ({"K": {"value": NEW, "is_literal": "perhaps"}}, ["K", "boolean"]),
])
def test_invalid_input_fails_before_any_request(run_module, emu, env, words):
    result = run(run_module, emu, tags=["rotate"], env=env)
    assert result["failed"]
    for word in words:
        assert word in result["msg"]
    assert emu.requests_log() == []


def test_rolling_restart_without_wait_is_refused_before_any_write(run_module, emu):
    result = run(run_module, emu, tags=["rotate"], env={"API_KEY": NEW}, restart="changed", strategy="rolling", wait=False)
    assert result["failed"] and "wait" in result["msg"]
    assert writes(emu.requests_log()) == []


# ------------------------------------------------------------------------------------------------ failures and rollback


# A recreated row is a new row: Coolify gives it a new uuid and id and stamps its creation time and version.
RECREATED = ("updated", "created", "uuid", "id", "version")


def _comparable(state, ignore=("updated",)):
    """Env rows keyed by (resource, key, is_preview), without the fields a write necessarily changes."""
    return dict(((row["resource_uuid"], row["key"], row["is_preview"]),
                 dict((name, value) for name, value in row.items() if name not in ignore)) for row in state["envs"])


def test_injected_failure_with_rollback_restores_state_exactly(run_module, emu):
    before = emu.state()
    emu.configure(fail_paths=["^PATCH /api/v1/applications/app-c/envs/bulk$"])
    result = run(run_module, emu, tags=["rotate"], env={"API_KEY": NEW, "NEW_KEY": NEW2, "LOG_LEVEL": "debug"},
                 rollback=True, max_workers=1)
    assert result["failed"] is True and result["changed"] is False
    resources = by_name(result)
    assert resources["env-a"]["outcome"] == "rolled_back" and resources["env-a"]["rolled_back"]
    assert resources["env-b"]["outcome"] == "rolled_back"
    assert resources["env-c"]["outcome"] == "failed" and "HTTP 500" in resources["env-c"]["error"]
    assert result["summary"]["rolled_back"] == 2 and result["summary"]["failed"] == 1
    assert "env-c" in result["msg"] and "2 rolled back" in result["msg"]
    after = emu.state()
    # Every row back, with its uuid, id, value, flags and comment: only `updated` (a write's timestamp) may differ.
    assert _comparable(after) == _comparable(before)
    assert len(after["envs"]) == len(before["envs"])
    # The NEW_KEY rows and the preview copies Coolify made for them were deleted again.
    deleted = [entry for entry in emu.requests_log() if entry["method"] == "DELETE"]
    assert len(deleted) == 4


def test_rollback_recreates_deleted_rows(run_module, emu):
    before = emu.state()
    emu.configure(fail_paths=["^PATCH /api/v1/applications/app-b/envs/bulk$"])
    result = run(run_module, emu, uuids=["app-a", "app-b"], env={"API_KEY": NEW, "LOG_LEVEL": "info"}, prune=True,
                 rollback=True, max_workers=1)
    assert result["failed"]
    assert by_name(result)["env-a"]["outcome"] == "rolled_back" and by_name(result)["env-a"]["removed"] == ["STALE_KEY"]
    assert by_name(result)["env-b"]["outcome"] == "failed" and by_name(result)["env-b"]["rolled_back"] is True
    # STALE_KEY (production) of app-a was deleted, then recreated: a new row, so a new uuid, id, creation time and
    # `version` (the Coolify version that created it); every other field is back. Its preview row existed all along,
    # so Coolify made no copy; SERVICE_FQDN_WEB was never touched.
    ignore = RECREATED
    assert _comparable(emu.state(), ignore) == _comparable(before, ignore)
    assert len(emu.state()["envs"]) == len(before["envs"])


def test_rollback_deletes_the_copy_made_when_recreating_a_production_row(run_module, emu):
    before = emu.state()
    emu.configure(fail_paths=["^DELETE /api/v1/applications/app-a/envs/"])
    result = run(run_module, emu, uuids=["app-b", "app-a"], env={"LOG_LEVEL": "info"}, prune=True, rollback=True,
                 max_workers=1)
    assert result["failed"] and by_name(result)["env-b"]["outcome"] == "rolled_back"
    assert by_name(result)["env-b"]["error"] is None and by_name(result)["env-a"]["outcome"] == "failed"
    ignore = RECREATED
    assert _comparable(emu.state(), ignore) == _comparable(before, ignore)
    # app-b's API_KEY had no preview row: recreating it made Coolify add a copy, which the rollback deleted.
    assert ("API_KEY", True) not in envs(emu, "app-b")
    copies = [entry for entry in emu.requests_log() if entry["method"] == "DELETE" and "/app-b/" in entry["path"]]
    assert len(copies) == 2  # the prune, then the copy


def test_failure_without_rollback_reports_partial_success(run_module, emu):
    emu.configure(fail_paths=["^PATCH /api/v1/applications/app-b/envs/bulk$"])
    result = run(run_module, emu, tags=["rotate"], env={"API_KEY": NEW}, max_workers=1)
    assert result["failed"] is True and result["changed"] is True
    outcomes = [(entry["name"], entry["outcome"], entry["changed"]) for entry in result["resources"]]
    assert outcomes == [("env-a", "written", True), ("env-b", "failed", False), ("env-c", "written", True)]
    assert result["msg"].startswith("Writing failed on 1 of 3 applications (first: env-b (app-b):")
    assert envs(emu, "app-a")[("API_KEY", False)]["value"] == NEW
    assert envs(emu, "app-b")[("API_KEY", False)]["value"] == OLD_B


def test_read_failure_stops_before_any_write(run_module, emu):
    emu.configure(fail_paths=["^GET /api/v1/applications/app-b/envs$"])
    result = run(run_module, emu, tags=["rotate"], env={"API_KEY": NEW})
    assert result["failed"] and "nothing was written" in result["msg"]
    assert writes(emu.requests_log()) == []


# ------------------------------------------------------------------------------------------------ restart


def restarts(log):
    return [entry["path"].split("/")[4] for entry in log if entry["method"] == "POST" and entry["path"].endswith("/restart")]


def test_restart_changed_restarts_only_changed_resources(run_module, emu):
    args = dict(uuids=["app-a", "app-b"], env={"API_KEY": OLD_B}, restart="changed", strategy="rolling", batch_size=1, **FAST)
    planned = run(run_module, emu, check_mode=True, **args)
    assert [entry["restarted"] for entry in planned["resources"]] == [True, False]
    assert restarts(emu.requests_log()) == []
    result = run(run_module, emu, **args)
    assert not result.get("failed"), result["msg"]
    assert [entry["restarted"] for entry in result["resources"]] == [True, False]
    assert restarts(emu.requests_log()) == ["app-a"]
    assert result["msg"].endswith("; 1 restarted.")
    count = len(emu.requests_log())
    assert run(run_module, emu, **args)["changed"] is False
    assert restarts(emu.requests_log()[count:]) == []


def test_failed_restart_rolls_back_and_restarts_again(run_module, emu):
    before = emu.state()
    emu.configure(deploy_outcomes={"app-a": "failed"})
    result = run(run_module, emu, uuids=["app-a", "app-b"], env={"API_KEY": NEW}, restart="changed", rollback=True,
                 strategy="rolling", batch_size=1, **FAST)
    assert result["failed"] is True
    resources = by_name(result)
    assert resources["env-a"]["outcome"] == "failed" and "restart failed" in resources["env-a"]["error"]
    assert resources["env-a"]["rolled_back"] is True
    assert resources["env-b"]["outcome"] == "rolled_back" and resources["env-b"]["restarted"] is False
    assert _comparable(emu.state()) == _comparable(before)
    # app-a was restarted with the new value, then again after the rollback; app-b (after the halt) never was.
    assert restarts(emu.requests_log()) == ["app-a", "app-a"]


def test_several_kinds_are_one_run_and_restart_kind_by_kind(run_module, emu):
    args = dict(resource_types=["application", "service"], uuids=["app-b", "svc-db"], env={"LOG_LEVEL": "debug"},
                restart="changed", rollback=True, scope="both", **FAST)
    result = run(run_module, emu, **args)
    assert not result.get("failed"), result["msg"]
    assert [(entry["type"], entry["name"], entry["restarted"]) for entry in result["resources"]] == [
        ("application", "env-b", True), ("service", "env-db", True)]
    # scope=both reached the application's preview row; the service (no preview rows) took production.
    assert envs(emu, "app-b")[("LOG_LEVEL", True)]["value"] == "debug"
    assert envs(emu, "svc-db")[("LOG_LEVEL", False)]["value"] == "debug"
    assert restarts(emu.requests_log()) == ["app-b", "svc-db"]
    assert run(run_module, emu, **args)["changed"] is False


def test_a_failed_service_restart_rolls_back_the_applications_too(run_module, emu):
    before = emu.state()
    emu.configure(fail_paths=["^POST /api/v1/services/svc-db/restart$"])
    result = run(run_module, emu, resource_types=["application", "service"], uuids=["app-a", "app-b", "svc-db"],
                 env={"LOG_LEVEL": NEW}, restart="changed", rollback=True, **FAIL_FAST)
    assert result["failed"] is True
    resources = by_name(result)
    assert resources["env-db"]["outcome"] == "failed" and "restart failed" in resources["env-db"]["error"]
    for name in ("env-a", "env-b"):
        assert resources[name]["rolled_back"] is True and resources[name]["outcome"] == "rolled_back"
    # One unit: every kind's rows are back, and the applications, restarted on the new value, were restarted again.
    # The service's restart got a 500, so its outcome is unknown (it may run the new value): restarted again too.
    assert resources["env-db"]["restarted"] is True and "restart after rollback" in resources["env-db"]["error"]
    assert _comparable(emu.state()) == _comparable(before)
    assert sorted(restarts(emu.requests_log())) == ["app-a", "app-a", "app-b", "app-b", "svc-db", "svc-db"]


def test_resource_types_spans_applications_and_databases_as_one_unit(emulator_factory, run_module, tmp_path):
    """resource_types=[application, database]: both kinds written and restarted kind by kind; then a database whose
    restart fails rolls the application back too and restarts it again onto the old value."""
    fixture = dict(FIXTURE, databases=[
        {"uuid": "db-env", "name": "env-pg", "type": "postgresql", "project": "prj-env", "environment": "staging",
         "server": "srv-1", "status": "running:healthy", "envs": [{"key": "LOG_LEVEL", "value": "info"}]}])
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(fixture))
    emu = emulator_factory("--fixture", str(path), "--deploy-seconds", "0.1", "--status-lag-seconds", "0.05",
                           "--job-delay-seconds", "0", token=TOKEN)
    args = dict(resource_types=["application", "database"], uuids=["app-b", "db-env"], env={"LOG_LEVEL": "debug"},
                restart="changed", rollback=True, poll_interval=0.05, wait_timeout=30)
    result = run(run_module, emu, **args)
    assert not result.get("failed"), result["msg"]
    assert [(entry["type"], entry["name"], entry["restarted"]) for entry in result["resources"]] == [
        ("application", "env-b", True), ("database", "env-pg", True)]
    assert envs(emu, "db-env")[("LOG_LEVEL", False)]["value"] == "debug"
    assert restarts(emu.requests_log()) == ["app-b", "db-env"]
    assert run(run_module, emu, **args)["changed"] is False

    before = emu.state()
    emu.configure(fail_paths=["^POST /api/v1/databases/db-env/restart$"])
    count = len(emu.requests_log())
    failing = dict(args)
    failing.update(env={"LOG_LEVEL": NEW}, wait_timeout=FAIL_FAST["wait_timeout"])
    result = run(run_module, emu, **failing)
    assert result["failed"] is True
    resources = by_name(result)
    assert resources["env-pg"]["outcome"] == "failed" and "restart failed" in resources["env-pg"]["error"]
    assert resources["env-b"]["rolled_back"] is True and resources["env-b"]["outcome"] == "rolled_back"
    assert _comparable(emu.state()) == _comparable(before)
    # The database's restart outcome is unknown (a 500), so it is restarted again after the rollback, as the app is.
    assert sorted(restarts(emu.requests_log()[count:])) == ["app-b", "app-b", "db-env", "db-env"]


def test_resource_types_refuses_a_repeated_kind_before_any_request(run_module, emu):
    count = len(emu.requests_log())
    result = run(run_module, emu, resource_types=["service", "service"], uuids=["svc-db"], env={"TZ": "UTC"})
    assert result["failed"] and "twice" in result["msg"]
    assert emu.requests_log()[count:] == []


# ------------------------------------------------------------------------------------------------ answers that quote values


class _EchoProxy(BaseHTTPRequestHandler):
    """Forwards to the emulator, except the writes matching ``server.echo``: those get a 4xx that quotes every value
    sent, as a validation message with Laravel's ``:input`` placeholder or a web application firewall's page would."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, ctype, body):
        reply(self, status, ctype, body)

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        server = self.server
        if server.echo and re.search(server.echo, "%s %s" % (self.command, self.path)):
            server.matched += 1
            if server.matched > server.echo_after:
                values = [item.get("value") for item in json.loads(body.decode("utf-8"))["data"]]
                if server.answer == "html":
                    return self._reply(403, "text/html", ("<html><body>Request blocked: %s</body></html>" % values[0]).encode())
                errors = dict(("data.%d.value" % n, ["The value %s is not allowed." % value]) for n, value in enumerate(values))
                return self._reply(422, "application/json", json.dumps(
                    {"message": "The value %s is not allowed." % values[0], "errors": errors}).encode())
        headers = dict((name, value) for name, value in self.headers.items() if name.lower() in ("authorization", "accept", "content-type"))
        request = urllib.request.Request(server.target + self.path, data=body, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # nosec - loopback emulator
                status, ctype, raw = answer.status, answer.headers.get("Content-Type"), answer.read()
        except urllib.error.HTTPError as exc:
            status, ctype, raw = exc.code, exc.headers.get("Content-Type"), exc.read()
        return self._reply(status, ctype or "application/json", raw)

    do_GET = do_POST = do_PATCH = do_DELETE = _forward


@pytest.fixture
def echo_proxy(emu):
    """A proxy in front of ``emu``: set ``echo`` (a regex on "METHOD /path"), ``echo_after`` and ``answer``."""
    with serve(_EchoProxy, target=emu.base_url, echo=None, echo_after=0, matched=0, answer="json") as server:
        yield server


# A multi-line value with a sentence break and a final period: the client folds such text into one sentence, so a quoted
# copy no longer equals the value that Ansible's no_log (and a plain replace) would look for.
MULTILINE = "first-%s line\nsecond. %s-end." % (MARK, MARK)


@pytest.mark.parametrize("answer", ["json", "html"])
def test_values_quoted_back_by_a_refused_write_stay_out_of_the_result(run_module, emu, echo_proxy, answer):
    echo_proxy.echo, echo_proxy.answer = "^PATCH /api/v1/applications/app-a/envs/bulk$", answer
    result = run(run_module, emu, api_url=echo_proxy.url, uuids=["app-a"], diff=True,
                 env={"API_KEY": {"value": MULTILINE, "is_multiline": True}, "NEW_KEY": NEW})
    assert result["failed"] is True and echo_proxy.matched == 1
    assert ("HTTP 422" if answer == "json" else "HTTP 403") in result["msg"]
    assert envs(emu, "app-a")[("API_KEY", False)]["value"] == OLD_A


def test_snapshot_values_quoted_back_by_a_refused_rollback_stay_out_of_the_result(run_module, emu, echo_proxy):
    """The values a rollback writes back come from Coolify, not from the task, so no_log cannot mask them."""
    status, _headers, _body = emu.request("PATCH", "/applications/app-a/envs", json_body={
        "key": "API_KEY", "value": MULTILINE, "is_literal": True, "is_multiline": True})
    assert status in (200, 201)
    emu.configure(fail_paths=["^PATCH /api/v1/applications/app-b/envs/bulk$"])
    echo_proxy.echo, echo_proxy.echo_after = "^PATCH /api/v1/applications/app-a/envs/bulk$", 1  # the restore, not the write
    result = run(run_module, emu, api_url=echo_proxy.url, uuids=["app-a", "app-b"], env={"API_KEY": NEW}, rollback=True,
                 max_workers=1)
    assert result["failed"] is True and echo_proxy.matched == 2
    assert "rollback failed" in by_name(result)["env-a"]["error"] and "HTTP 422" in by_name(result)["env-a"]["error"]


# ------------------------------------------------------------------------------------------------ maybe written (issue 11)


def test_an_unsettled_lost_answer_is_unknown_changed_and_restarted(run_module, emu):
    """The token cannot read values, so after a lost answer the re-read cannot tell: unknown, never "not changed"."""
    emu.configure(lose_paths=["^PATCH /api/v1/applications/app-b/envs/bulk$"])
    result = run(run_module, emu, token=NOSENS_TOKEN, uuids=["app-a", "app-b"], env={"API_KEY": NEW}, restart="changed",
                 max_retries=1, **FAST)
    assert result["failed"] is True and result["changed"] is True
    entry = by_name(result)["env-b"]
    assert (entry["outcome"], entry["settled"], entry["changed"], entry["failed"]) == ("unknown", "unknown", True, True)
    assert entry["restarted"] is True and "unknown" in entry["error"]
    assert by_name(result)["env-a"]["outcome"] == "written"
    assert result["summary"]["unknown"] == 1 and result["summary"]["changed"] == 2 and result["summary"]["restarted"] == 2
    assert "1 with an unknown outcome" in result["msg"]
    assert sorted(restarts(emu.requests_log())) == ["app-a", "app-b"]
    assert envs(emu, "app-b")[("API_KEY", False)]["value"] == NEW  # it had landed


def test_a_partly_written_resource_is_changed_and_restarted(run_module, emu):
    emu.configure(fail_paths=["^DELETE /api/v1/applications/app-a/envs/"])
    result = run(run_module, emu, uuids=["app-a"], env={"API_KEY": NEW, "LOG_LEVEL": "info"}, prune=True,
                 restart="changed", **FAST)
    assert result["failed"] is True
    entry = result["resources"][0]
    assert (entry["outcome"], entry["settled"], entry["changed"]) == ("failed", "partly", True)
    assert entry["restarted"] is True and "partly written" in entry["error"]
    assert restarts(emu.requests_log()) == ["app-a"]


def test_rollback_runs_deletes_only_after_every_upsert_succeeded(run_module, emu):
    before = emu.state()
    emu.configure(fail_paths=["^PATCH /api/v1/applications/app-b/envs/bulk$"])
    result = run(run_module, emu, uuids=["app-a", "app-b"], env={"API_KEY": NEW, "LOG_LEVEL": "info"}, prune=True,
                 rollback=True, max_workers=1)
    assert result["failed"] is True
    assert by_name(result)["env-a"]["outcome"] == "rolled_back"
    # app-a's STALE_KEY was never deleted (so it keeps its uuid): the upsert of app-b failed first.
    assert [entry for entry in emu.requests_log() if entry["method"] == "DELETE"] == []
    assert _comparable(emu.state()) == _comparable(before)


def test_rollback_deletes_follow_all_upserts_on_success(run_module, emu):
    result = run(run_module, emu, uuids=["app-a", "app-b"], env={"API_KEY": NEW}, prune=True, rollback=True,
                 max_workers=1)
    assert not result.get("failed"), result["msg"]
    methods = [entry["method"] for entry in writes(emu.requests_log())]
    assert methods == ["PATCH", "PATCH", "DELETE", "DELETE", "DELETE"], methods
    assert by_name(result)["env-a"]["removed"] == ["LOG_LEVEL", "STALE_KEY"]
    assert by_name(result)["env-b"]["removed"] == ["LOG_LEVEL"]


def test_a_failed_restore_lists_every_key_left_changed_or_deleted(run_module, emu, echo_proxy):
    # Deletes run on app-a (wave 1), then app-b's delete fails; app-a's restoring PATCH is then refused (422).
    emu.configure(fail_paths=["^DELETE /api/v1/applications/app-b/envs/"])
    echo_proxy.echo, echo_proxy.echo_after = "^PATCH /api/v1/applications/app-a/envs/bulk$", 1
    result = run(run_module, emu, api_url=echo_proxy.url, uuids=["app-a", "app-b"], env={"API_KEY": NEW}, prune=True,
                 rollback=True, max_workers=1)
    assert result["failed"] is True
    app_a, app_b = by_name(result)["env-a"], by_name(result)["env-b"]
    assert app_a["not_restored"] == ["API_KEY", "LOG_LEVEL", "STALE_KEY"]
    assert app_a["outcome"] == "failed" and app_a["changed"] is True and app_a["rolled_back"] is False
    assert "API_KEY (changed), LOG_LEVEL (deleted), STALE_KEY (deleted)" in app_a["error"]
    assert app_b["not_restored"] == [] and app_b["rolled_back"] is True
    assert result["summary"]["keys_not_restored"] == 3
    assert "not restored: env-a (app-a): API_KEY, LOG_LEVEL, STALE_KEY." in result["msg"]
    rows = envs(emu, "app-a")
    assert rows[("API_KEY", False)]["value"] == NEW and ("STALE_KEY", False) not in rows


# ------------------------------------------------------------------------------------------------ masking (issue 11, 7b)

# Everyday values that occur inside uuids, names, counts and messages, plus a marker value that must never appear.
SHORT_VALUES = {"WORKERS": "2", "DEBUG": "true", "LETTER": "a", "LOG_LEVEL": "info", "ONE": "1", "API_KEY": NEW}
NO_LOG_MARK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def run_as_ansible_does(emu, **args):
    """The module in its own process with Ansible's real exit_json/fail_json (and so its no_log handling), with the
    invocation echo on; returns (raw stdout, result)."""
    import ansible_collections  # pylint: disable=import-outside-toplevel
    root = os.path.dirname(list(ansible_collections.__path__)[0])
    arguments = dict(module_args(emu, **args), _ansible_inject_invocation=True)
    env = dict(os.environ, PYTHONPATH=root)
    proc = subprocess.run([sys.executable, coolify_env.__file__, json.dumps({"ANSIBLE_MODULE_ARGS": arguments})],
                          capture_output=True, text=True, timeout=120, env=env, check=False)
    return proc.stdout, json.loads(proc.stdout.strip().splitlines()[-1])


def test_short_values_leave_every_returned_field_intact(emu):
    stdout, result = run_as_ansible_does(emu, uuids=["app-a", "app-b"], env=SHORT_VALUES)
    assert MARK not in stdout
    assert not result.get("failed"), result
    assert [(entry["uuid"], entry["name"], entry["type"]) for entry in result["resources"]] == [
        ("app-a", "env-a", "application"), ("app-b", "env-b", "application")]
    assert result["resources"][0]["added"] == ["DEBUG", "LETTER", "ONE", "WORKERS"]
    assert result["summary"]["total"] == 2 and result["summary"]["changed"] == 2 and result["summary"]["keys_added"] == 8
    assert result["msg"] == "Changed 2 of 2 applications: 8 variable(s) added, 2 updated, 0 removed."
    # The echo of the arguments names the keys of env only; the token is masked as always.
    echo = result["invocation"]["module_args"]
    assert echo["env"] == dict((key, NO_LOG_MARK) for key in SHORT_VALUES)
    assert echo["api_token"] == NO_LOG_MARK and echo["uuids"] == ["app-a", "app-b"]
    del result["invocation"]
    assert NO_LOG_MARK not in json.dumps(result) and "********" not in json.dumps(result)
    assert envs(emu, "app-b")[("WORKERS", False)]["value"] == "2"


def test_short_values_leave_error_texts_intact(emu):
    emu.configure(fail_paths=["^PATCH /api/v1/applications/app-b/envs/bulk$"])
    stdout, result = run_as_ansible_does(emu, uuids=["app-a", "app-b"], env=SHORT_VALUES, max_workers=1)
    assert MARK not in stdout
    assert result["failed"] is True
    error = result["resources"][1]["error"]
    assert error.startswith("Coolify API PATCH /applications/app-b/envs/bulk returned HTTP 500"), error
    assert "********" not in json.dumps(result)
    assert "(first: env-b (app-b): Coolify API PATCH /applications/app-b/envs/bulk" in result["msg"], result["msg"]
    assert result["summary"]["total"] == 2 and result["summary"]["failed"] == 1


def test_an_answer_quoting_a_short_value_is_withheld_not_mangled(run_module, emu, echo_proxy):
    echo_proxy.echo = "^PATCH /api/v1/applications/app-a/envs/bulk$"
    result = run(run_module, emu, api_url=echo_proxy.url, uuids=["app-a"], env={"ALPHA": "2", "API_KEY": NEW})
    assert result["failed"] is True
    error = result["resources"][0]["error"]
    # Coolify's message quoted "2": it is withheld as a whole, and so is the field error quoting it; the long value is
    # masked in its field error. The method, path and status around them are intact.
    assert error.startswith("Coolify API PATCH /applications/app-a/envs/bulk returned HTTP 422: (withheld"), error
    assert "data.0.value: (withheld" in error and "data.1.value: The value ******** is not allowed" in error


def test_database_variables_written_restarted_and_idempotent(emulator_factory, run_module):
    """resource_type=database on files/databases.yml: one bulk write, the restart applies it, a rerun does nothing."""
    from ansible_collections.coolops.coolify.tests.e2e.modules.db_helpers import FIXTURE  # pylint: disable=import-outside-toplevel
    emu = emulator_factory("--fixture", FIXTURE, "--job-delay-seconds", "0", "--status-lag-seconds", "0.1")
    args = {"api_url": emu.api_url, "api_token": emu.token, "resource_type": "database", "names": ["shop-pg"],
            "env": {"PGTUNE": "off", "POOL_SIZE": "20"}, "restart": "changed", "poll_interval": 0.05}
    result = run_module(coolify_env, args)
    assert not result.get("failed"), result["msg"]
    assert result["resources"][0]["type"] == "database" and result["resources"][0]["restarted"] is True
    rows = dict((row["key"], row["value"]) for row in emu.state()["envs"] if row["resource_uuid"] == "db-shop-pg")
    assert rows == {"PGTUNE": "off", "POOL_SIZE": "20"}
    paths = [(r["method"], r["path"]) for r in emu.requests_log() if r["method"] != "GET"]
    assert paths == [("PATCH", "/api/v1/databases/db-shop-pg/envs/bulk"), ("POST", "/api/v1/databases/db-shop-pg/restart")]
    again = run_module(coolify_env, args)
    assert again["changed"] is False and len([r for r in emu.requests_log() if r["method"] != "GET"]) == 2
    preview = run_module(coolify_env, dict(args, scope="preview"))
    assert preview["failed"] and "databases have no preview environment variables" in preview["msg"]


def test_database_credential_variables_are_never_pruned_nor_managed(emulator_factory, run_module):
    """prune on a Redis database keeps REDIS_PASSWORD and REDIS_USERNAME (Coolify reads the password back from that env,
    API-NOTES 14.2, so deleting it would start the database without one); listing a credential key is refused before
    any write. Review-b reproduction."""
    from ansible_collections.coolops.coolify.tests.e2e.modules.db_helpers import FIXTURE  # pylint: disable=import-outside-toplevel
    emu = emulator_factory("--fixture", FIXTURE, "--job-delay-seconds", "0", "--status-lag-seconds", "0.1")
    args = {"api_url": emu.api_url, "api_token": emu.token, "resource_type": "database", "names": ["shop-redis"],
            "env": {"APP_MODE": "x"}, "prune": True}
    result = run_module(coolify_env, args)
    assert not result.get("failed"), result["msg"]
    keys = sorted(row["key"] for row in emu.state()["envs"] if row["resource_uuid"] == "db-shop-redis")
    assert keys == ["APP_MODE", "REDIS_PASSWORD", "REDIS_USERNAME"], keys
    writes = len([r for r in emu.requests_log() if r["method"] != "GET"])
    refused = run_module(coolify_env, dict(args, env={"REDIS_PASSWORD": "new-pass", "APP_MODE": "x"}))
    assert refused["failed"] and "REDIS_PASSWORD" in refused["msg"] and "credentials" in refused["msg"]
    assert "new-pass" not in json.dumps(refused)
    absent = run_module(coolify_env, dict(args, env={"POSTGRES_PASSWORD": None}, prune=False, state="absent"))
    assert absent["failed"] and "POSTGRES_PASSWORD" in absent["msg"]
    assert len([r for r in emu.requests_log() if r["method"] != "GET"]) == writes
