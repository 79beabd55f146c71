# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Statuses, deployments (queue, slots, de-duplication, the quirks), /deploy and service actions."""

from __future__ import annotations

import time

import pytest

from emu_helpers import FIXTURE  # pylint: disable=import-error

QUEUED_MSG = "Deployment request queued."
DEDUP = "Deployment already queued for this commit."
FULL = {"message": "Deployment queue is full. Please wait for existing deployments to complete."}


def statuses(api, uuids):
    return [api.deployment(uuid)["status"] for uuid in uuids]


def test_app_start_deploys_and_the_app_runs_afterwards(api):
    api.emu.configure(deploy_seconds=1.0)
    assert api.app_status("app-worker") == "exited:unhealthy"
    resp = api.post("/applications/app-worker/start")
    assert resp.status_code == 200
    body = resp.json()
    assert body["message"] == QUEUED_MSG and body["deployment_uuid"]
    dep = api.deployment(body["deployment_uuid"])
    assert dep["status"] in ("queued", "in_progress")
    assert dep["application_id"] == "3" and isinstance(dep["server_id"], int) and isinstance(dep["destination_id"], str)
    assert dep["commit"] == "HEAD" and dep["pull_request_id"] == 0 and dep["is_api"] is True
    assert api.app_status("app-worker") == "exited:unhealthy"
    api.wait_for(lambda: api.deployment(body["deployment_uuid"])["status"] == "finished")
    api.wait_for(lambda: api.app_status("app-worker") == "running:healthy")
    assert api.deployment(body["deployment_uuid"])["finished_at"]


def test_app_stop_flips_status_only_after_the_lag(api):
    api.emu.configure(status_lag_seconds=1.0)
    resp = api.post("/applications/app-web/stop", params={"docker_cleanup": "false"})
    assert resp.json() == {"message": "Application stopping request queued."}
    assert api.app_status("app-web") == "running:healthy"
    api.wait_for(lambda: api.app_status("app-web") == "exited:unhealthy")
    # stopping a stopped app is still a 200
    assert api.post("/applications/app-web/stop").status_code == 200


def test_restart_queues_a_restart_only_deployment(api):
    body = api.post("/applications/app-api/restart").json()
    assert body["message"] == "Restart request queued."
    dep = api.deployment(body["deployment_uuid"])
    assert dep["restart_only"] is True


def test_deployment_moves_queued_in_progress_finished(api):
    api.emu.configure(deploy_seconds=1.0)
    uuid = api.post("/applications/app-edge-1/start").json()["deployment_uuid"]
    seen = set()

    def done():
        status = api.deployment(uuid)["status"]
        seen.add(status)
        return status == "finished"

    api.wait_for(done)
    assert "in_progress" in seen and "finished" in seen


def test_forced_outcome_and_fail_rate(api):
    api.emu.configure(deploy_outcomes={"app-worker": "failed"})
    uuid = api.post("/applications/app-worker/start").json()["deployment_uuid"]
    api.wait_for(lambda: api.deployment(uuid)["status"] == "failed")
    time.sleep(0.3)
    assert api.app_status("app-worker") == "exited:unhealthy"  # a failed deployment leaves the status alone
    api.emu.configure(deploy_outcomes={"app-worker": None}, deploy_fail_rate=1.0)
    uuid = api.post("/applications/app-worker/start").json()["deployment_uuid"]
    api.wait_for(lambda: api.deployment(uuid)["status"] == "failed")
    api.emu.configure(deploy_fail_rate=0.0, deploy_outcomes={"app-worker": "cancelled-by-user"})
    uuid = api.post("/applications/app-worker/start").json()["deployment_uuid"]
    api.wait_for(lambda: api.deployment(uuid)["status"] == "cancelled-by-user")


def test_deduplication_without_uuid_on_start_and_restart(api):
    api.emu.configure(deploy_seconds=30)
    first = api.post("/applications/app-web/start").json()
    assert first["message"] == QUEUED_MSG
    for action in ("start", "restart"):
        assert api.post("/applications/app-web/%s" % action).json() == {"message": DEDUP}
    forced = api.post("/applications/app-web/start", params={"force": "true"}).json()
    assert forced["message"] == QUEUED_MSG and forced["deployment_uuid"] != first["deployment_uuid"]
    instant = api.post("/applications/app-web/start", json={"instant_deploy": True}).json()
    assert api.deployment(instant["deployment_uuid"])["status"] == "in_progress"


def test_concurrent_builds_per_server(api):
    api.emu.configure(deploy_seconds=30)
    uuids = [api.post("/applications/%s/start" % app).json()["deployment_uuid"] for app in ("app-web", "app-api", "app-worker")]
    assert statuses(api, uuids) == ["in_progress", "in_progress", "queued"]
    listed = api.get("/deployments").json()
    assert [dep["deployment_uuid"] for dep in listed] == uuids
    # cancelling one frees a slot for the queued deployment
    resp = api.post("/deployments/%s/cancel" % uuids[0])
    assert resp.json() == {"message": "Deployment cancelled successfully.", "deployment_uuid": uuids[0],
                           "status": "cancelled-by-user"}
    assert statuses(api, uuids) == ["cancelled-by-user", "in_progress", "in_progress"]
    resp = api.post("/deployments/%s/cancel" % uuids[0])
    assert resp.status_code == 400
    assert resp.json() == {"message": "Deployment cannot be cancelled. Current status: cancelled-by-user"}
    assert api.post("/deployments/nope/cancel").json() == {"message": "Deployment not found."}


def test_queue_picks_up_the_next_deployment_when_one_ends(api):
    api.emu.configure(deploy_seconds=0.3)
    uuids = [api.post("/applications/%s/start" % app).json()["deployment_uuid"] for app in ("app-web", "app-api", "app-worker")]
    api.wait_for(lambda: statuses(api, uuids) == ["finished"] * 3)


def test_full_queue_start_returns_a_uuid_that_was_never_stored(api):
    # srv-edge: concurrent_builds 1, queue_limit 2
    api.emu.configure(deploy_seconds=30)
    running = api.post("/applications/app-edge-1/start").json()["deployment_uuid"]
    queued = [api.post("/applications/app-edge-2/start").json()["deployment_uuid"],
              api.post("/applications/app-staging-web/start").json()["deployment_uuid"]]
    assert statuses(api, [running] + queued) == ["in_progress", "queued", "queued"]
    body = api.post("/applications/app-edge-2/start", params={"force": "1"}).json()
    assert body["message"] == QUEUED_MSG
    assert api.get("/deployments/" + body["deployment_uuid"]).status_code == 404
    # the queue-full check runs before de-duplication
    assert api.post("/applications/app-edge-2/start").json()["message"] == QUEUED_MSG
    assert len(api.get("/deployments").json()) == 3


def test_queue_limit_and_concurrent_builds_flags(start_emulator):
    client = start_emulator("--fixture", FIXTURE, "--deploy-seconds", "30", "--queue-limit", "1", "--concurrent-builds", "1")
    uuids = [client.post("/applications/%s/start" % app).json()["deployment_uuid"] for app in ("app-web", "app-api", "app-worker")]
    assert statuses(client, uuids[:2]) == ["in_progress", "queued"]
    assert client.get("/deployments/" + uuids[2]).status_code == 404
    settings = client.get("/servers/srv-main").json()["settings"]
    assert (settings["concurrent_builds"], settings["deployment_queue_limit"]) == (1, 1)


def test_deployments_by_application(api):
    api.emu.configure(deploy_seconds=0.05)
    made = []
    for _attempt in range(3):
        made.append(api.post("/applications/app-api/start", params={"force": "1"}).json()["deployment_uuid"])
    body = api.get("/deployments/applications/app-api").json()
    assert body["count"] == 3
    assert [dep["deployment_uuid"] for dep in body["deployments"]] == made[::-1]
    page = api.get("/deployments/applications/app-api", params={"skip": 1, "take": 1}).json()
    assert page["count"] == 3 and [dep["deployment_uuid"] for dep in page["deployments"]] == [made[1]]
    assert api.get("/deployments/applications/app-web").json() == {"count": 0, "deployments": []}
    assert api.get("/deployments/applications/missing").json() == {"message": "Application not found"}


def test_deployments_by_application_validation(api):
    resp = api.get("/deployments/applications/app-api", params={"skip": "x", "take": "0"})
    assert resp.status_code == 422
    assert resp.json() == {"message": "The skip field must be an integer. (and 1 more error)",
                           "errors": {"skip": ["The skip field must be an integer."], "take": ["The take field must be at least 1."]}}
    # validation runs before the application lookup
    assert api.get("/deployments/applications/missing", params={"skip": "-1"}).json()["message"] == "The skip field must be at least 0."
    resp = api.get("/deployments/applications/app-api", params={"take": "0"}, accept_json=False)
    assert resp.status_code == 302
    assert resp.headers["Location"]


def test_deployment_logs_only_for_sensitive_tokens(api):
    uuid = api.post("/applications/app-api/start").json()["deployment_uuid"]
    assert isinstance(api.deployment(uuid)["logs"], str)
    assert "logs" not in api.get("/deployments/" + uuid, token="2|read-only").json()
    assert api.get("/deployments/nope").json() == {"message": "Deployment not found."}


def test_deleted_application_mid_batch(api):
    api.emu.configure(deploy_seconds=30)
    uuid = api.post("/applications/app-api/start").json()["deployment_uuid"]
    api.emu.delete_resource("app-api")
    assert api.post("/applications/app-api/start").status_code == 404
    assert api.get("/deployments/" + uuid).status_code == 404


# -------------------------------------------------------------------------------------------------- /deploy

def test_deploy_uuid_mode_shape_and_unknown_uuids(api):
    resp = api.post("/deploy", params={"uuid": "app-web,nope,app-acme,,svc-cache"})
    assert resp.status_code == 200
    items = resp.json()["deployments"]
    assert [item["resource_uuid"] for item in items] == ["app-web", "svc-cache"]
    assert items[0]["message"] == "Application shop-web deployment queued." and items[0]["deployment_uuid"]
    assert list(items[0]) == ["message", "resource_uuid", "deployment_uuid"]
    assert items[1] == {"message": "Service shop-cache started. It could take a while, be patient.", "resource_uuid": "svc-cache"}
    assert api.get("/deployments/" + items[0]["deployment_uuid"]).status_code == 200


def test_deploy_uuid_from_json_body_and_dedup_uuid_never_stored(api):
    api.emu.configure(deploy_seconds=30)
    first = api.post("/deploy", json={"uuid": "app-api"}).json()["deployments"][0]
    second = api.post("/deploy", json={"uuid": "app-api"}).json()["deployments"][0]
    assert second["message"] == DEDUP
    assert second["deployment_uuid"] and second["deployment_uuid"] != first["deployment_uuid"]
    assert api.get("/deployments/" + second["deployment_uuid"]).status_code == 404
    forced = api.post("/deploy", json={"uuid": "app-api", "force": True}).json()["deployments"][0]
    assert forced["message"] == "Application shop-api deployment queued."


def test_deploy_429_partway_when_a_queue_is_full(api):
    api.emu.configure(deploy_seconds=30)
    for app in ("app-edge-1", "app-edge-2", "app-staging-web"):
        api.post("/applications/%s/start" % app)
    resp = api.post("/deploy", params={"uuid": "app-web,app-edge-1,app-api"})
    assert resp.status_code == 429
    assert resp.json() == FULL
    assert resp.headers["Retry-After"] == "60"
    # the resource before the full queue was deployed; the one after was not
    assert api.get("/deployments/applications/app-web").json()["count"] == 1
    assert api.get("/deployments/applications/app-api").json()["count"] == 0


def test_deploy_tag_mode_shape(api):
    api.emu.configure(deploy_seconds=30)
    resp = api.post("/deploy", params={"tag": "frontend,empty-tag,no-such-tag,staging"})
    assert resp.status_code == 200
    body = resp.json()
    assert list(body) == ["details", "message"]
    assert [item["resource_uuid"] for item in body["details"]] == ["app-web", "app-staging-web", "app-staging-web"]
    assert body["message"] == [
        "Application shop-web deployment queued.", "Application shop-web-staging deployment queued.",
        "No resources found for tag empty-tag.", DEDUP, "Service shop-cache started. It could take a while, be patient."]
    only_empty = api.post("/deploy", params={"tag": "empty-tag"}).json()
    assert only_empty == {"message": ["No resources found for tag empty-tag."]}
    resp = api.post("/deploy", params={"tag": "no-such-tag"})
    assert resp.status_code == 404 and resp.json() == {"message": "No resources found with this tag."}


@pytest.mark.parametrize("params, text", [
    ({"uuid": "app-web", "tag": "x"}, "You can only use uuid or tag, not both."),
    ({"tag": "x", "pr": "3"}, "You can only use tag or pr, not both."),
    ({"uuid": "app-web", "docker_tag": "v1"}, "docker_tag requires pull_request_id."),
    ({"tag": "x", "pull_request_id": "2", "docker_tag": "v1"}, "You can only use tag or pr, not both."),
    ({}, "You must provide uuid or tag."),
    ({"uuid": ""}, "You must provide uuid or tag."),
    ({"uuid": ",,"}, "No UUIDs provided."),
    ({"tag": ","}, "No TAGs provided."),
])
def test_deploy_400s(api, params, text):
    resp = api.post("/deploy", params=params)
    assert resp.status_code == 400
    assert resp.json() == {"message": text}


def test_deploy_uuid_as_json_array_is_a_server_error(api):
    assert api.post("/deploy", json={"uuid": ["app-web"]}).status_code == 500
    assert api.get("/deployments/applications/app-web").json()["count"] == 0


def test_deploy_nothing_found(api):
    resp = api.post("/deploy", params={"uuid": "nope,also-nope"})
    assert resp.status_code == 404 and resp.json() == {"message": "No resources found."}


# -------------------------------------------------------------------------------------------------- services

def test_service_start_guard_and_starting_status(api):
    resp = api.post("/services/svc-analytics/start")
    assert resp.status_code == 400 and resp.json() == {"message": "Service is already running."}
    api.emu.configure(status_lag_seconds=1.5)
    assert api.post("/services/svc-cache/start").json() == {"message": "Service starting request queued."}
    # The StartService job waits in the queue: until it runs, nothing reads as started.
    assert api.service_status("svc-cache") == "exited"
    api.wait_for(lambda: api.service_status("svc-cache") == "starting:unhealthy")
    # starting does not contain "running": a second start passes the guard
    assert api.post("/services/svc-cache/start").status_code == 200
    api.wait_for(lambda: api.service_status("svc-cache") == "running:healthy")
    assert api.post("/services/svc-cache/start").json() == {"message": "Service is already running."}


def test_service_stop_guard_and_plain_exited(api):
    resp = api.post("/services/svc-cache/stop")
    assert resp.status_code == 400 and resp.json() == {"message": "Service is already stopped."}
    api.emu.configure(status_lag_seconds=1.0)
    assert api.post("/services/svc-analytics/stop").json() == {"message": "Service stopping request queued."}
    assert api.service_status("svc-analytics") == "running:healthy"
    api.wait_for(lambda: api.service_status("svc-analytics") == "exited")
    assert all(sub["status"] == "exited" for sub in api.get("/services/svc-analytics").json()["databases"])


def test_degraded_service_can_be_started_and_stopped(api):
    assert api.service_status("svc-degraded") == "degraded:unhealthy"
    assert api.post("/services/svc-degraded/stop").status_code == 200
    assert api.post("/services/svc-degraded/start").status_code == 200
    api.wait_for(lambda: api.service_status("svc-degraded") == "running:healthy")


def test_service_restart_has_no_guard(api):
    assert api.post("/services/svc-analytics/restart", params={"latest": "true"}).json() == {
        "message": "Service restarting request queued."}
    assert api.post("/services/svc-cache/restart").status_code == 200
    api.wait_for(lambda: api.service_status("svc-cache") == "running:healthy")


def test_app_statuses_always_have_a_health_suffix(fleet):
    for app in fleet.get("/applications").json():
        assert len(app["status"].split(":")) >= 2
    for svc in fleet.get("/services").json():
        assert svc["status"] == "exited" or ":" in svc["status"]
