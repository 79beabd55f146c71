# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication, the middleware order, abilities, team scoping and the version switches."""

from __future__ import annotations

import pytest

from emu_helpers import FIXTURE  # pylint: disable=import-error


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Bearer 1|wrong-secret", "Basic 1|coolops-emulator-root-token",
                                    "Bearer 2|coolops-emulator-root-token"])
def test_unauthenticated(api, header):
    headers = {} if header is None else {"Authorization": header}
    resp = api.get("/applications", token="", headers=headers)
    assert resp.status_code == 401
    assert resp.json() == {"message": "Unauthenticated."}


def test_bearer_is_case_insensitive_and_the_bare_secret_authenticates(api):
    assert api.get("/version", token="", headers={"Authorization": "bearer 1|coolops-emulator-root-token"}).status_code == 200
    assert api.get("/version", token="coolops-emulator-root-token").status_code == 200


def test_token_of_a_missing_team_is_invalid(api):
    resp = api.get("/applications", token="9|orphan")
    assert resp.status_code == 401
    assert resp.json() == {"message": "Invalid token."}


def test_elevated_token_of_a_member_needs_a_team_role(api):
    resp = api.get("/applications", token="8|member-deploy")
    assert resp.status_code == 403
    assert resp.json() == {"message": "Missing required team role."}
    assert api.get("/applications", token="7|member-read").status_code == 200


def test_member_cannot_list_service_envs(api):
    resp = api.get("/services/svc-analytics/envs", token="7|member-read")
    assert resp.status_code == 403
    assert resp.json()["message"] == "You are not authorized to perform this action."
    assert api.get("/applications/app-web/envs", token="7|member-read").status_code == 200


def test_api_disabled_is_403_with_success_true(api):
    api.emu.configure(api_enabled=False)
    resp = api.get("/applications")
    assert resp.status_code == 403
    assert resp.json() == {"success": True, "message": "API is disabled."}


def test_api_disabled_flag_and_enable_endpoint(start_emulator):
    client = start_emulator("--api-disabled", "--add-token", "2|other-team-writer=write@1", "--seed-apps", "1")
    assert client.get("/version").json() == {"success": True, "message": "API is disabled."}
    resp = client.post("/enable", token="2|other-team-writer")
    assert resp.status_code == 403
    assert resp.json() == {"message": "You are not allowed to enable the API."}
    assert client.get("/enable").status_code == 405
    resp = client.post("/enable")
    assert resp.status_code == 200 and resp.json() == {"message": "API enabled."}
    assert client.get("/version").status_code == 200
    assert client.post("/disable").json() == {"message": "API disabled."}
    assert client.get("/version").status_code == 403


def test_middleware_order(api):
    api.emu.configure(api_enabled=False)
    # authentication first: a bad token is 401 even with the API disabled
    assert api.get("/applications", token="nope").status_code == 401
    # the team check comes before ApiAllowed
    assert api.get("/applications", token="9|orphan").json() == {"message": "Invalid token."}
    # ApiAllowed before the ability check
    assert api.get("/applications", token="4|writer").json()["message"] == "API is disabled."
    api.emu.configure(api_enabled=True)
    assert api.get("/applications", token="4|writer").json() == {"message": "Missing required permissions: read"}


@pytest.mark.parametrize("token, method, path, ability", [
    ("4|writer", "GET", "/applications", "read"),
    ("5|deployer", "GET", "/version", "read"),
    ("2|read-only", "POST", "/applications/app-web/start", "deploy"),
    ("4|writer", "POST", "/applications/app-web/restart", "deploy"),
    ("2|read-only", "POST", "/applications/app-web/envs", "write"),
    ("5|deployer", "PATCH", "/applications/app-web/envs", "write"),
    ("2|read-only", "POST", "/deploy", "deploy"),
    ("2|read-only", "POST", "/services/svc-cache/start", "deploy"),
])
def test_abilities_never_imply_each_other(api, token, method, path, ability):
    resp = api.call(method, path, token=token, json={"key": "A", "value": "b"})
    assert resp.status_code == 403
    assert resp.json() == {"message": "Missing required permissions: %s" % ability}


def test_read_sensitive_does_not_grant_read(start_emulator):
    client = start_emulator("--add-token", "2|sens=read:sensitive", "--seed-apps", "1")
    assert client.get("/applications", token="2|sens").json() == {"message": "Missing required permissions: read"}


@pytest.mark.parametrize("path", ["/applications/app-acme", "/applications/app-acme/envs", "/services/svc-acme",
                                  "/services/svc-acme/envs", "/servers/srv-acme", "/projects/prj-acme",
                                  "/deployments/applications/app-acme"])
def test_other_teams_resources_are_404(api, path):
    assert api.get(path).status_code == 404
    assert api.get(path, token="6|acme-root").status_code == 200


def test_other_teams_actions_are_404(api):
    assert api.post("/applications/app-acme/start").status_code == 404
    assert api.post("/services/svc-acme/stop").json() == {"message": "Service not found."}
    assert api.post("/deploy", json={"uuid": "app-acme"}).json() == {"message": "No resources found."}
    assert {app["uuid"] for app in api.get("/applications", token="6|acme-root").json()} == {"app-acme"}


def test_other_teams_deployment_is_404_and_cancel_is_403(api):
    dep = api.post("/applications/app-acme/start", token="6|acme-root").json()["deployment_uuid"]
    assert api.get("/deployments/" + dep, token="6|acme-root").status_code == 200
    assert api.get("/deployments/" + dep).json() == {"message": "Deployment not found."}
    assert api.get("/deployments").json() == []
    resp = api.post("/deployments/%s/cancel" % dep)
    assert resp.status_code == 403
    assert resp.json() == {"message": "You do not have permission to cancel this deployment."}


@pytest.mark.parametrize("path", ["/applications/app-web/start", "/applications/app-web/stop", "/applications/app-web/restart",
                                  "/services/svc-cache/start", "/services/svc-cache/stop", "/services/svc-cache/restart",
                                  "/deploy", "/applications/unknown-uuid/start"])
def test_get_on_actions_is_405_after_auth_and_ability(api, path):
    resp = api.get(path)
    assert resp.status_code == 405
    assert resp.json() == {"message": "This endpoint has changed to a POST request."}
    assert resp.headers["Allow"] == "POST"
    assert api.get(path, token="2|read-only").json() == {"message": "Missing required permissions: deploy"}
    assert api.get(path, token="nope").status_code == 401
    assert api.emu.state()["deployments"] == []


def test_api_version_4_1_2_lets_get_act(start_emulator):
    client = start_emulator("--fixture", FIXTURE, "--api-version", "4.1.2", "--deploy-seconds", "5")
    assert client.get("/version").text == "4.1.2"
    resp = client.get("/applications/app-web/start")
    assert resp.status_code == 200 and resp.json()["message"] == "Deployment request queued."
    assert client.post("/applications/app-api/start").json()["message"] == "Deployment request queued."
    assert client.get("/deploy", params={"uuid": "app-worker"}).json()["deployments"][0]["resource_uuid"] == "app-worker"
    assert client.get("/services/svc-cache/start").json() == {"message": "Service starting request queued."}
    # enable/disable were GET-only then; a POST fell through to the catch-all
    assert client.post("/disable").status_code == 404
    assert client.get("/disable").json() == {"message": "API disabled."}


def test_api_version_4_1_2_force_string_false_is_truthy(start_emulator):
    client = start_emulator("--fixture", FIXTURE, "--api-version", "4.1.2", "--deploy-seconds", "5")
    client.post("/deploy", params={"uuid": "app-web"})
    # de-duplicated without force; "force=false" counted as true on <= 4.1.2, so this one is queued anew
    item = client.post("/deploy", params={"uuid": "app-web", "force": "false"}).json()["deployments"][0]
    assert item["message"] == "Application shop-web deployment queued."


def test_old_versions_answer_invalid_token_with_docs(start_emulator):
    client = start_emulator("--fixture", FIXTURE, "--api-version", "4.0.0")
    resp = client.get("/applications", token="9|orphan")
    assert resp.status_code == 400
    assert resp.json() == {"message": "Invalid token.", "docs": "https://coolify.io/docs/api-reference/authorization"}
