# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_shared_env over HTTP against the emulator: a team-level rotation restarts exactly its users.

The world: a team-level DB_PASSWORD used by 6 applications, 2 services and 1 database across two projects (whole
values and inside longer values), plus look-alikes that must not restart: a project-level key of the same name, a
different team key, plain values. The emulator records which resolved values each resource was last started with
(``started_env`` in /_emulator/state), which proves a restart picked up the new (or, after a rollback, the old) value.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

# pylint: disable=import-error
from _support import EMULATOR_FLAGS, MARK, READ_TOKEN, ROOT, ROOT_TOKEN, api_log, connection, load_harness, writes
from test_secrets import ansible_bin, ansible_env, grep_everything

OLD = "%s-shared-old-value" % MARK
NEW = "%s-shared-new-value" % MARK
KEY = "DB_PASSWORD"
URL = "postgres://app:{{team.DB_PASSWORD}}@db:5432/app"

# name -> (project, server, env rows); the first six and the services and database marked ref- use the team key.
REF_APPS = ["ref-app-%d" % index for index in range(1, 7)]
REF_SERVICES = ["ref-svc-1", "ref-svc-2"]
REF_DATABASES = ["ref-db"]
USERS = REF_APPS + REF_SERVICES + REF_DATABASES
READ_TOKEN_NO_SENSITIVE = READ_TOKEN.replace("read", "nosens")


def _app(name, project, server, envs):
    return {"name": name, "project": project, "environment": "production", "server": server, "status": "running:healthy",
            "envs": envs}


def world():
    apps = []
    for index, name in enumerate(REF_APPS):
        project, server = ("shop", "edge-01") if index < 4 else ("blog", "edge-02")
        value = URL if index % 2 == 0 else "{{ team.DB_PASSWORD }}"
        apps.append(_app(name, project, server, [{"key": "DATABASE_URL", "value": value}, {"key": "LOG_LEVEL", "value": "info"}]))
    apps.append(_app("other-project-key", "shop", "edge-01", [{"key": "P", "value": "{{project.DB_PASSWORD}}"}]))
    apps.append(_app("other-team-key", "blog", "edge-02", [{"key": "O", "value": "{{team.OTHER_KEY}}"}]))
    apps.append(_app("other-missing", "blog", "edge-02", [{"key": "M", "value": "{{team.NOT_THERE}}"}]))
    apps.append(_app("other-plain", "shop", "edge-01", [{"key": "DB_PASSWORD", "value": "literal"}]))
    # Server- and environment-level look-alikes: the same reference text on both sides of a scope boundary.
    apps.append(_app("scoped-shop", "shop", "edge-01", [{"key": "R", "value": "{{server.REGION}}/{{environment.FLAGS}}"}]))
    apps.append(_app("scoped-blog", "blog", "edge-02", [{"key": "R", "value": "{{server.REGION}}/{{environment.FLAGS}}"}]))
    services = []
    for name, project in (("ref-svc-1", "shop"), ("ref-svc-2", "blog"), ("other-svc", "shop")):
        value = "{{team.DB_PASSWORD}}" if name.startswith("ref-") else "plain"
        services.append({"name": name, "project": project, "environment": "production", "server": "edge-01",
                         "status": "running:healthy", "applications": [{"name": "web", "image": "nginx:1.27"}],
                         "envs": [{"key": "SMTP_PASSWORD", "value": value}]})
    databases = [{"name": "ref-db", "type": "postgresql", "project": "blog", "environment": "production",
                  "server": "edge-02", "status": "running:healthy"},
                 {"name": "other-db", "type": "postgresql", "project": "shop", "environment": "production",
                  "server": "edge-01", "status": "running:healthy"}]
    return {
        "teams": [{"id": 0, "name": "Root Team"}],
        "tokens": [{"token": ROOT_TOKEN, "abilities": ["root"], "user": 1},
                   {"token": READ_TOKEN_NO_SENSITIVE, "abilities": ["read", "write", "deploy"], "user": 2}],
        "servers": [{"name": "edge-01", "ip": "10.1.0.1"}, {"name": "edge-02", "ip": "10.1.0.2"}],
        "projects": [{"name": "shop", "environments": ["production"]}, {"name": "blog", "environments": ["production"]}],
        "applications": apps,
        "services": services,
        "databases": databases,
    }


@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory):
    path = tmp_path_factory.mktemp("shared") / "world.json"
    path.write_text(json.dumps(world()), encoding="utf-8")
    with load_harness().EmulatorProcess(args=("--fixture", str(path)) + EMULATOR_FLAGS, token=ROOT_TOKEN) as emulator:
        yield emulator


def _api(emulator, method, path, body=None):
    status, _headers, answer = emulator.request(method, path, json_body=body)
    assert 200 <= status < 300, "%s %s: %s %s" % (method, path, status, answer)
    return answer


@pytest.fixture
def emu(shared_emulator):
    """Reset, then the shared variables and the database's env rows (through the API, as a user would)."""
    shared_emulator.reset()
    _api(shared_emulator, "POST", "/team/envs", {"key": KEY, "value": OLD})
    _api(shared_emulator, "POST", "/team/envs", {"key": "OTHER_KEY", "value": "%s-other" % MARK})
    _api(shared_emulator, "POST", "/projects/%s/envs" % _uuid(shared_emulator, "projects", "shop"), {"key": KEY, "value": "p"})
    _api(shared_emulator, "POST", "/databases/%s/envs" % _uuid(shared_emulator, "databases", "ref-db"),
         {"key": "REPLICA_PASSWORD", "value": "{{team.DB_PASSWORD}}"})
    _api(shared_emulator, "POST", "/databases/%s/envs" % _uuid(shared_emulator, "databases", "other-db"),
         {"key": "REPLICA_PASSWORD", "value": "{{project.DB_PASSWORD}}"})
    yield shared_emulator


def _uuid(emulator, table, name):
    return [row for row in emulator.state()[table] if row["name"] == name][0]["uuid"]


def _names_by_uuid(state):
    names = {}
    for table in ("applications", "services", "databases"):
        for row in state[table]:
            names[row["uuid"]] = row["name"]
    return names


def started_with(state, text):
    """The names of the resources whose last (re)start handed them a value containing ``text`` (``started_env``)."""
    names = []
    for table in ("applications", "services", "databases"):
        for row in state[table]:
            if any(isinstance(value, str) and text in value for value in (row.get("started_env") or {}).values()):
                names.append(row["name"])
    return sorted(names)


def restarts_by_name(emulator):
    """{name: accepted restart requests} from the emulator's request log."""
    names = _names_by_uuid(emulator.state())
    counts = {}
    for entry in api_log(emulator):
        parts = entry["path"].split("/")
        if entry["method"] == "POST" and parts[-1] == "restart" and 200 <= entry["status"] < 300:
            counts[names[parts[-2]]] = counts.get(names[parts[-2]], 0) + 1
    return counts


def shared_value(state, key):
    rows = [row for row in state["shared_envs"] if row["key"] == key and row["type"] == "team"]
    assert len(rows) == 1, rows
    return rows[0]["value"]


def rotate(run_module, emu, value, **extra):
    from ansible_collections.coolops.coolify.plugins.modules import coolify_shared_env  # pylint: disable=import-outside-toplevel
    args = connection(emu.api_url, level="team", env={KEY: value}, restart="changed", rollback=True, strategy="rolling",
                      batch_size=3)
    args.update(extra)
    return run_module(coolify_shared_env, args)


def test_team_rotation_restarts_exactly_its_users_and_is_idempotent(run_module, emu):
    result = rotate(run_module, emu, NEW)
    assert not result["failed"], result["msg"]
    assert result["changed"]
    assert result["variables"] == [{"key": KEY, "outcome": "updated", "changed": True}]
    assert sorted(entry["name"] for entry in result["restarted"] if entry["restarted"]) == sorted(USERS)
    assert sorted(entry["name"] for entry in result["references"] if entry["restart"]) == sorted(USERS)
    # A missing team key is reported, naming the resource and the key.
    assert any("other-missing" in text and "team.NOT_THERE" in text for text in result.get("warnings", []))
    state = emu.state()
    assert shared_value(state, KEY) == NEW
    # Exactly the 9 users restarted (once each), and each now runs the new value; nothing else holds it.
    assert restarts_by_name(emu) == dict((name, 1) for name in USERS)
    assert started_with(state, NEW) == sorted(USERS)

    before = len(api_log(emu))
    again = rotate(run_module, emu, NEW)
    assert not again["failed"] and not again["changed"], again["msg"]
    assert again["restarted"] == []
    assert writes(api_log(emu)[before:]) == []
    assert MARK not in json.dumps(result) + json.dumps(again)


def test_wave_two_failure_rolls_back_and_restarts_wave_one_onto_the_old_value(run_module, emu):
    emu.configure(deploy_outcomes={_uuid(emu, "applications", "ref-app-5"): "failed"})
    result = rotate(run_module, emu, NEW)
    assert result["failed"]
    assert "ref-app-5" in result["msg"]
    state = emu.state()
    assert shared_value(state, KEY) == OLD
    assert result["variables"] == [{"key": KEY, "outcome": "rolled_back", "changed": False}]
    entries = dict((entry["name"], entry) for entry in result["restarted"])
    for name in REF_APPS[:3]:
        assert entries[name]["restarted"] and entries[name]["restarted_again"], entries[name]
    # Wave 1 was restarted onto the new value, then again onto the restored old one.
    counts = restarts_by_name(emu)
    for name in REF_APPS[:3]:
        assert counts[name] == 2, counts
    assert started_with(state, NEW) == []
    assert set(REF_APPS[:3]) <= set(started_with(state, OLD))
    # Services and the database came after the failed kind: never restarted.
    for name in REF_SERVICES + REF_DATABASES:
        assert entries[name]["outcome"] == "not attempted"
        assert name not in counts
    assert MARK not in json.dumps(result)


PLAYBOOK_ARGS = ["-e", "rotate_level=team", "-e", "rotate_batch_size=3", "-e", "rotate_poll_interval=0.1"]


def run_rotate_keys(emu, tmp_path):
    """playbooks/rotate-keys.yml in shared mode at -vvvv, with --diff; the inputs (token, value) outside ``out``."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    vars_file = inputs / "secrets.json"
    vars_file.write_text(json.dumps({"coolify_api_url": emu.api_url, "coolify_api_token": ROOT_TOKEN,
                                     "rotate_env": {KEY: NEW}}))
    env, out = ansible_env(tmp_path)
    proc = subprocess.run([ansible_bin("ansible-playbook"), "-vvvv", "-i", "localhost,", "--diff",
                           os.path.join(ROOT, "playbooks", "rotate-keys.yml"), "-e", "@%s" % vars_file] + PLAYBOOK_ARGS,
                          capture_output=True, text=True, env=env, cwd=str(out), timeout=300, check=False)
    return proc, out


def test_playbook_shared_mode_at_vvvv_leaks_nothing(emu, tmp_path):
    proc, out = run_rotate_keys(emu, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    state = emu.state()
    assert shared_value(state, KEY) == NEW
    assert started_with(state, NEW) == sorted(USERS)
    hits = grep_everything(out, proc.stdout, proc.stderr)
    assert not hits, "secret marker found in: %s" % "; ".join(hits)


def test_project_level_key_restarts_only_users_inside_that_project(run_module, emu):
    result = rotate(run_module, emu, "%s-project-new" % MARK, level="project", project="shop")
    assert not result["failed"], result["msg"]
    # other-project-key (app) and other-db use {{project.DB_PASSWORD}} inside shop; nothing in blog sees shop's key.
    assert sorted(entry["name"] for entry in result["restarted"] if entry["restarted"]) == ["other-db", "other-project-key"]
    assert sorted(entry["name"] for entry in result["references"]) == ["other-db", "other-project-key"]
    assert shared_value(emu.state(), KEY) == OLD


def test_check_mode_plans_the_restarts_and_writes_nothing(run_module, emu):
    from ansible_collections.coolops.coolify.plugins.modules import coolify_shared_env  # pylint: disable=import-outside-toplevel
    before = len(api_log(emu))
    result = run_module(coolify_shared_env, connection(emu.api_url, level="team", env={KEY: NEW}, restart="changed"),
                        check_mode=True, diff=True)
    assert result["changed"] and not result["failed"], result["msg"]
    assert sorted(entry["name"] for entry in result["restarted"]) == sorted(USERS)
    assert set(entry["outcome"] for entry in result["restarted"]) == {"would restart"}
    assert result["diff"]["after"][KEY]["value"] == "******** (changed)"
    assert writes(api_log(emu)[before:]) == []
    assert MARK not in json.dumps(result)


@pytest.mark.parametrize("extra, message", [
    ({"level": "project", "project": "no-such-project"}, "does not exist"),
    ({"level": "server", "server": "edge-01", "project": "shop"}, "level=server takes no project"),
    ({"env": {"BAD-KEY": "x"}}, "is invalid"),
    ({"hidden_values": "fail", "api_token": "READ_ONLY"}, "cannot compare values it cannot read"),
    ({"env": {}, "prune": True, "restart": "none"}, "an empty env would delete every"),
])
def test_bad_input_fails_before_any_write(run_module, emu, extra, message):
    if extra.get("api_token") == "READ_ONLY":
        extra = dict(extra, api_token=READ_TOKEN_NO_SENSITIVE)
    before = len(api_log(emu))
    result = rotate(run_module, emu, NEW, **extra)
    assert result["failed"]
    assert message in result["msg"], result["msg"]
    assert writes(api_log(emu)[before:]) == []
    assert MARK not in json.dumps(result)


def test_token_without_read_sensitive_says_it_cannot_compare(run_module, emu):
    result = rotate(run_module, emu, NEW, api_token=READ_TOKEN_NO_SENSITIVE, restart="none", rollback=False)
    assert not result["failed"], result["msg"]
    assert result["variables"] == [{"key": KEY, "outcome": "updated", "changed": True}]
    assert any("could not read the current values" in text and "read:sensitive" in text
               for text in result.get("warnings", [])), result
    assert shared_value(emu.state(), KEY) == NEW
    assert MARK not in json.dumps(result)


def test_unreadable_references_fail_a_restart_before_any_write(run_module, emu):
    before = len(api_log(emu))
    result = rotate(run_module, emu, NEW, api_token=READ_TOKEN_NO_SENSITIVE)
    assert result["failed"]
    assert "Cannot tell which resources use the changed keys, so nothing was written" in result["msg"]
    assert writes(api_log(emu)[before:]) == []
    assert shared_value(emu.state(), KEY) == OLD
    assert MARK not in json.dumps(result)


@pytest.mark.parametrize("level, scope", [
    ("server", {"server": "edge-01"}),
    ("environment", {"project": "shop", "environment": "production"}),
])
def test_server_and_environment_levels_restart_only_inside_their_scope(run_module, emu, level, scope):
    key = "REGION" if level == "server" else "FLAGS"
    created = rotate(run_module, emu, "first", level=level, env={key: "%s-first" % MARK}, restart="none", **scope)
    assert not created["failed"] and created["variables"] == [{"key": key, "outcome": "added", "changed": True}]
    result = rotate(run_module, emu, "second", level=level, env={key: "%s-second" % MARK}, **scope)
    assert not result["failed"], result["msg"]
    assert [entry["name"] for entry in result["restarted"] if entry["restarted"]] == ["scoped-shop"]
    assert restarts_by_name(emu) == {"scoped-shop": 1}
    assert started_with(emu.state(), "%s-second" % MARK) == ["scoped-shop"]


def test_a_failed_write_rolls_back_the_keys_already_written_and_restarts_nothing(run_module, emu):
    emu.configure(fail_paths=["^POST /api/v1/team/envs$"])
    result = rotate(run_module, emu, NEW, env={KEY: NEW, "NEW_KEY": "%s-added" % MARK})
    assert result["failed"]
    assert result["msg"].startswith("Writing failed: Coolify API POST /team/envs returned HTTP 500"), result["msg"]
    assert "partly written" in result["msg"]
    outcomes = [(entry["key"], entry["outcome"]) for entry in result["variables"]]
    assert outcomes == [(KEY, "rolled_back"), ("NEW_KEY", "failed")]  # the refused create never landed
    state = emu.state()
    assert shared_value(state, KEY) == OLD
    assert [row for row in state["shared_envs"] if row["key"] == "NEW_KEY"] == []
    assert restarts_by_name(emu) == {}
    assert MARK not in json.dumps(result)


def test_a_lost_create_answer_is_settled_by_reading_and_creates_one_row(run_module, emu):
    emu.configure(lose_paths=[r"^POST /api/v1/team/envs$"])
    result = rotate(run_module, emu, NEW, env={KEY: NEW, "NEW_KEY": "%s-added" % MARK})
    assert not result["failed"], result["msg"]
    assert [(entry["key"], entry["outcome"]) for entry in result["variables"]] == [(KEY, "updated"), ("NEW_KEY", "added")]
    state = emu.state()
    assert len([row for row in state["shared_envs"] if row["key"] == "NEW_KEY" and row["type"] == "team"]) == 1
    assert any("re-reading them showed the write had been applied" in text for text in result.get("warnings", []))
    assert shared_value(state, KEY) == NEW
    assert restarts_by_name(emu) == dict((name, 1) for name in USERS)
    assert MARK not in json.dumps(result)


def test_playbook_shared_mode_failure_reports_every_user_and_leaks_nothing(emu, tmp_path):
    emu.configure(deploy_outcomes={_uuid(emu, "applications", "ref-app-5"): "failed"})
    proc, out = run_rotate_keys(emu, tmp_path)
    assert proc.returncode != 0
    assert "application ref-app-1 (" in proc.stdout and "restarted again onto the previous values" in proc.stdout
    assert "Rotating the team-level shared variables DB_PASSWORD failed" in proc.stdout
    assert shared_value(emu.state(), KEY) == OLD
    hits = grep_everything(out, proc.stdout, proc.stderr)
    assert not hits, "secret marker found in: %s" % "; ".join(hits)


def test_a_partly_written_run_without_rollback_still_restarts_the_users(run_module, emu):
    emu.configure(fail_paths=["^POST /api/v1/team/envs$"])
    result = rotate(run_module, emu, NEW, env={KEY: NEW, "NEW_KEY": "%s-added" % MARK}, rollback=False)
    assert result["failed"] and "partly written" in result["msg"]
    # Read back per key: the update landed, the refused create did not.
    assert [(entry["key"], entry["outcome"], entry["changed"]) for entry in result["variables"]] == [
        (KEY, "updated", True), ("NEW_KEY", "failed", False)]
    state = emu.state()
    assert shared_value(state, KEY) == NEW
    # The key that landed is live on every user; a rerun (which sees it unchanged) would not restart them.
    assert restarts_by_name(emu) == dict((name, 1) for name in USERS)
    assert started_with(state, NEW) == sorted(USERS)
    assert MARK not in json.dumps(result)


def test_absent_deletes_only_the_listed_key_and_warns_about_its_users(run_module, emu):
    before = len(api_log(emu))
    result = rotate(run_module, emu, None, state="absent", env={"OTHER_KEY": None}, restart="none", strategy="parallel")
    assert not result["failed"] and result["changed"], result["msg"]
    assert result["variables"] == [{"key": "OTHER_KEY", "outcome": "removed", "changed": True}]
    # other-team-key still references it: after its next restart it reads the {{...}} text verbatim.
    assert any("other-team-key" in text for text in result.get("warnings", [])), result.get("warnings")
    keys = sorted(row["key"] for row in emu.state()["shared_envs"] if row["type"] == "team")
    assert keys == [KEY]
    assert [(entry["method"], entry["path"].rsplit("/", 1)[0]) for entry in writes(api_log(emu)[before:])] == [
        ("DELETE", "/api/v1/team/envs")]
    again = rotate(run_module, emu, None, state="absent", env={"OTHER_KEY": None}, restart="none", strategy="parallel")
    assert not again["failed"] and not again["changed"], again["msg"]
    assert MARK not in json.dumps(result)


@pytest.mark.parametrize("extra, text", [
    ({"wait": False}, "strategy=rolling needs wait=true"),
    ({"max_fail_percentage": 150.0}, "max_fail_percentage must be between 0 and 100"),
])
def test_bad_restart_options_are_refused_before_any_request(run_module, emu, extra, text):
    # Review of cover (bc4b0bf): the restart options are now checked once, before any read; prove it refuses them
    # before any request, so nothing is written and nothing restarts.
    before = len(api_log(emu))
    result = rotate(run_module, emu, NEW, **extra)
    assert result["failed"] and not result["changed"], result
    assert text in result["msg"]
    assert api_log(emu)[before:] == []
    assert shared_value(emu.state(), KEY) == OLD
    assert MARK not in json.dumps(result)
