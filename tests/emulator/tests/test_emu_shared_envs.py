# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared variables: routes and messages, hidden values, scoped resolution, and what a restart picks up (§16)."""

from __future__ import annotations

import os

import pytest

from emu_helpers import EMULATOR_DIR, FAST, Api, harness  # pylint: disable=import-error

SHARED = os.path.join(EMULATOR_DIR, "fixtures", "shared-vars.yml")
LOG_LEVEL_USERS = {"application": {"app-alpha-web", "app-alpha-api", "app-alpha-worker", "app-alpha-staging",
                                   "app-beta-web", "app-beta-api"},
                   "service": {"svc-alpha-cache", "svc-beta-stats"}, "database": {"db-alpha"}}


@pytest.fixture(scope="module")
def shared_emulator():
    with harness.EmulatorProcess(args=("--fixture", SHARED) + FAST) as emu:
        yield emu


@pytest.fixture
def sv(shared_emulator):
    shared_emulator.reset()
    client = Api(shared_emulator)
    yield client
    client.session.close()


def team_var(client, key, token=None):
    return next(row for row in client.get("/team/envs", token=token).json() if row["key"] == key)


def real_values(client, kind, uuid):
    return {row["key"]: row["real_value"] for row in client.get("/%s/%s/envs" % (kind, uuid)).json()
            if not row.get("is_preview")}


def test_fixture_key_is_used_by_six_apps_two_services_one_database(sv):
    state = sv.emu.state()
    owners = {"application": {row["id"]: row["uuid"] for row in state["applications"]},
              "service": {row["id"]: row["uuid"] for row in state["services"]},
              "database": {row["id"]: row["uuid"] for row in state["databases"]}}
    users = {kind: set() for kind in owners}
    for env in state["envs"]:
        if env["value"] == "{{team.LOG_LEVEL}}" and env["resource_type"] in owners:
            users[env["resource_type"]].add(owners[env["resource_type"]][env["resource_id"]])
    users["application"].discard("app-acme")  # another team's app (and another team's LOG_LEVEL)
    assert users == LOG_LEVEL_USERS
    assert len({row["project_uuid"] for row in state["applications"] if row["uuid"] in users["application"]}) == 2


def test_list_shape_and_hidden_values(sv):
    rows = sv.get("/team/envs").json()
    assert [row["key"] for row in rows] == ["LOG_LEVEL", "SIGNING_KEY"]
    assert list(rows[0]) == ["id", "comment", "is_literal", "is_multiline", "is_shown_once", "key", "type", "value",
                             "created_at", "updated_at"]
    assert rows[0]["value"] == "info" and rows[0]["type"] == "team"
    assert "value" not in rows[1]  # is_shown_once: hidden even from root
    for token in ("2|read-only", "7|member-read"):
        assert all("value" not in row for row in sv.get("/team/envs", token=token).json())
    assert team_var(sv, "LOG_LEVEL", "3|sensitive-reader")["value"] == "info"
    assert [row["value"] for row in sv.get("/team/envs", token="6|acme-root").json()] == ["debug"]
    server = sv.get("/servers/srv-a/envs").json()
    assert [(row["key"], row["value"], row["is_literal"]) for row in server] == [
        ("COOLIFY_SERVER_UUID", "srv-a", True), ("COOLIFY_SERVER_NAME", "alpha-host", True), ("REGION", "eu-central", False)]
    assert [row["key"] for row in sv.get("/projects/prj-alpha/envs").json()] == ["API_HOST", "ALPHA_ONLY"]
    for ref in ("staging", "env-alpha-staging"):  # environment by name first, then uuid
        assert [row["key"] for row in sv.get("/projects/prj-alpha/environments/%s/envs" % ref).json()] == ["FEATURE_FLAGS"]
    assert sv.get("/projects/prj-alpha/environments/production/envs").json() == []


def test_parent_lookups(sv):
    for path, text in (("/projects/nope/envs", "Project not found."), ("/projects/prj-acme/envs", "Project not found."),
                       ("/projects/prj-alpha/environments/nope/envs", "Environment not found."),
                       ("/servers/srv-acme/envs", "Server not found."), ("/servers/nope/envs/1", "Server not found.")):
        method = "PATCH" if path.endswith("/1") else "GET"
        resp = sv.call(method, path, json={"value": "x"})
        assert resp.status_code == 404 and resp.json() == {"message": text}, path


def test_create_validation_and_conflicts(sv):
    resp = sv.post("/team/envs", json={"key": "NEW_KEY", "value": "v", "is_literal": True})
    assert resp.status_code == 201 and list(resp.json()) == ["id"] and isinstance(resp.json()["id"], int)
    assert sv.post("/team/envs", json={"key": "NEW_KEY", "value": "w"}).json() == {
        "message": "Environment variable already exists. Use PATCH request to update it."}
    # the same key in another scope is fine
    assert sv.post("/projects/prj-beta/envs", json={"key": "ALPHA_ONLY", "value": "b"}).status_code == 201
    bad = sv.post("/team/envs", json={"key": "1BAD", "value": 5, "color": "red"})
    assert bad.status_code == 422 and bad.json()["errors"] == {
        "key": ["The key field format is invalid."], "value": ["The value field must be a string."],
        "color": ["This field is not allowed."]}
    assert sv.post("/team/envs", json={}).json() == {"message": "Invalid request.", "error": "Empty JSON."}
    assert sv.post("/team/envs", json={"key": "X"}, token="2|read-only").json() == {
        "message": "Missing required permissions: write"}
    assert sv.post("/team/envs", json={"value": "v"}).json()["errors"] == {"key": ["This field is required."]}


def test_update_and_delete(sv):
    row = team_var(sv, "LOG_LEVEL")
    path = "/team/envs/%d" % row["id"]
    resp = sv.patch(path, json={"value": "error"})
    assert resp.status_code == 200
    assert resp.json()["value"] == "error" and resp.json()["comment"] == "fleet-wide log level"  # partial update
    assert sv.patch(path, json={"key": "SIGNING_KEY"}).json() == {"message": "Environment variable already exists with this key."}
    assert sv.patch(path, json={"key": "LOG_LEVEL", "is_shown_once": True}).status_code == 200
    assert "value" not in team_var(sv, "LOG_LEVEL")
    project_row = sv.get("/projects/prj-alpha/envs").json()[0]
    # a row of another scope is not found through this one
    assert sv.patch("/projects/prj-beta/envs/%d" % project_row["id"], json={"value": "x"}).json() == {
        "message": "Environment variable not found."}
    assert sv.patch("/team/envs/%d" % project_row["id"], json={"value": "x"}).status_code == 404
    assert sv.patch("/team/envs/abc", json={"value": "x"}).status_code == 500
    assert sv.patch(path, json={"bogus": 1}).json()["errors"] == {"bogus": ["This field is not allowed."]}
    assert sv.delete(path).json() == {"message": "Environment variable deleted."}
    assert sv.delete(path).json() == {"message": "Environment variable not found."}
    # the reference is left in place and no longer resolves
    assert real_values(sv, "applications", "app-alpha-api")["LOG_LEVEL"] == "{{team.LOG_LEVEL}}"


def test_resolution_is_scoped(sv):
    alpha = real_values(sv, "applications", "app-alpha-web")
    assert alpha["LOG_LEVEL"] == "info" and alpha["API_URL"] == "https://alpha.internal/v1"
    assert alpha["REGION"] == "eu-central" and alpha["SIGNING_KEY"] == "team-signing-secret"  # `{{ team.X }}` trims
    beta = real_values(sv, "applications", "app-beta-web")
    assert beta["API_URL"] == "https://beta.internal/v1"  # the same key resolves per project
    assert beta["SECRET"] == "{{project.ALPHA_ONLY}}"  # another project's key stays verbatim
    assert beta["FEATURES"] == "{{environment.FEATURE_FLAGS}}" and beta["UNKNOWN"] == "{{team.NOPE}}-{{foo.BAR}}"
    assert real_values(sv, "applications", "app-alpha-staging")["FEATURES"] == "beta,dark-mode"
    assert real_values(sv, "applications", "app-alpha-worker")["REGION"] == "{{server.REGION}}"  # on srv-b
    assert real_values(sv, "services", "svc-beta-stats")["REGION"] == "{{server.REGION}}"
    assert real_values(sv, "databases", "db-alpha") == {"LOG_LEVEL": "info", "REGION": "eu-central"}
    assert sv.get("/applications/app-acme/envs", token="6|acme-root").json()[0]["real_value"] == "debug"
    flags = {row["key"]: row["is_shared"] for row in sv.get("/applications/app-beta-web/envs").json()}
    assert flags == {"LOG_LEVEL": True, "API_URL": False, "SECRET": True, "FEATURES": True, "UNKNOWN": True}
    hidden = sv.get("/applications/app-alpha-web/envs", token="2|read-only").json()
    assert all("real_value" not in row and "value" not in row for row in hidden)


def started(client, kind, uuid):
    table = {"application": "applications", "service": "services", "database": "databases"}[kind]
    return next(row for row in client.emu.state()[table] if row["uuid"] == uuid)["started_env"]


def test_restart_picks_up_a_new_value_and_nothing_before(sv):
    assert started(sv, "application", "app-alpha-web") is None
    dep = sv.post("/applications/app-alpha-web/restart").json()["deployment_uuid"]
    sv.wait_for(lambda: sv.deployment(dep)["status"] == "finished")
    assert started(sv, "application", "app-alpha-web")["LOG_LEVEL"] == "info"
    sv.patch("/team/envs/%d" % team_var(sv, "LOG_LEVEL")["id"], json={"value": "trace"})
    assert real_values(sv, "applications", "app-alpha-web")["LOG_LEVEL"] == "trace"  # the API shows the new value
    assert started(sv, "application", "app-alpha-web")["LOG_LEVEL"] == "info"  # the running containers do not
    dep = sv.post("/applications/app-alpha-web/restart").json()["deployment_uuid"]
    sv.wait_for(lambda: sv.deployment(dep)["status"] == "finished")
    assert started(sv, "application", "app-alpha-web") == {
        "LOG_LEVEL": "trace", "API_URL": "https://alpha.internal/v1", "REGION": "eu-central",
        "SIGNING_KEY": "team-signing-secret"}
    assert started(sv, "application", "app-beta-web") is None  # not restarted


def test_failed_deployment_keeps_the_old_env(sv):
    sv.emu.configure(deploy_outcomes={"app-alpha-api": "failed"})
    dep = sv.post("/applications/app-alpha-api/restart").json()["deployment_uuid"]
    sv.wait_for(lambda: sv.deployment(dep)["status"] == "failed")
    assert started(sv, "application", "app-alpha-api") is None


def test_service_and_database_restarts(sv):
    sv.patch("/team/envs/%d" % team_var(sv, "LOG_LEVEL")["id"], json={"value": "warn"})
    assert sv.post("/services/svc-alpha-cache/restart").status_code == 200
    assert sv.post("/databases/db-alpha/restart").status_code == 200
    assert started(sv, "service", "svc-alpha-cache") is None  # queued: nothing until the job runs
    sv.wait_for(lambda: started(sv, "service", "svc-alpha-cache") and started(sv, "database", "db-alpha"))
    assert started(sv, "service", "svc-alpha-cache") == {"LOG_LEVEL": "warn"}
    assert started(sv, "database", "db-alpha") == {"LOG_LEVEL": "warn", "REGION": "eu-central"}
    assert sv.post("/deploy", params={"uuid": "svc-beta-stats"}).status_code == 200  # runs inline
    assert started(sv, "service", "svc-beta-stats") == {"LOG_LEVEL": "warn", "REGION": "{{server.REGION}}"}
    sv.patch("/team/envs/%d" % team_var(sv, "LOG_LEVEL")["id"], json={"value": "info"})
    assert started(sv, "database", "db-alpha")["LOG_LEVEL"] == "warn"


def test_a_deployment_uses_the_values_read_when_its_build_started(sv):
    sv.emu.configure(deploy_seconds=1.0)
    dep = sv.post("/applications/app-beta-api/restart").json()["deployment_uuid"]
    sv.wait_for(lambda: sv.deployment(dep)["status"] == "in_progress")
    sv.patch("/team/envs/%d" % team_var(sv, "LOG_LEVEL")["id"], json={"value": "too-late"})
    sv.wait_for(lambda: sv.deployment(dep)["status"] == "finished")
    assert started(sv, "application", "app-beta-api") == {"LOG_LEVEL": "info"}
