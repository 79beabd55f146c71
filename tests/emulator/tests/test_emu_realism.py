# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator is at least as hard as Coolify: queued jobs, lost answers, unique uuids, the routes Coolify has."""

from __future__ import annotations

import re

import pytest

from emu_helpers import FIXTURE, ROOT, harness  # pylint: disable=import-error

NGINX_504 = re.compile(r"<title>504 Gateway Time-out</title>.*<center>nginx</center>", re.S)


# -------------------------------------------------------------------------------------------------- queued jobs

def test_service_restart_keeps_running_until_the_job_runs(api):
    api.emu.configure(job_delay_seconds=1.0, status_lag_seconds=1.0)
    assert api.post("/services/svc-analytics/restart").json() == {"message": "Service restarting request queued."}
    # The old status is not evidence of anything: it still reads running while the job waits.
    assert api.service_status("svc-analytics") == "running:healthy"
    [job] = api.jobs("svc-analytics")
    assert (job["kind"], job["action"], job["status"]) == ("service", "restart", "pending")
    # Coolify's transitions (API-NOTES 9.3): the stop phase marks the containers exited, the start activity reads
    # starting:unhealthy, then the containers read exited until the next status check finds them running.
    api.wait_for(lambda: api.service_status("svc-analytics") == "exited")
    api.wait_for(lambda: api.service_status("svc-analytics") == "starting:unhealthy")
    assert api.jobs("svc-analytics")[0]["status"] == "running"
    api.wait_for(lambda: api.service_status("svc-analytics") == "exited")
    api.wait_for(lambda: api.service_status("svc-analytics") == "running:healthy")
    api.wait_for(lambda: api.jobs("svc-analytics")[0]["status"] == "done")


def test_service_stop_is_queued(api):
    api.emu.configure(job_delay_seconds=1.0)
    assert api.post("/services/svc-analytics/stop").status_code == 200
    assert api.service_status("svc-analytics") == "running:healthy"
    # The guard looks at the status, which has not moved: a second stop is queued too, as in Coolify.
    assert api.post("/services/svc-analytics/stop").status_code == 200
    assert [job["status"] for job in api.jobs("svc-analytics")] == ["pending", "pending"]
    api.wait_for(lambda: api.service_status("svc-analytics") == "exited")


def test_app_stop_is_queued(api):
    api.emu.configure(job_delay_seconds=1.0, status_lag_seconds=0.1)
    assert api.post("/applications/app-web/stop").json() == {"message": "Application stopping request queued."}
    assert api.app_status("app-web") == "running:healthy"
    [job] = api.jobs("app-web")
    assert (job["kind"], job["action"], job["status"]) == ("application", "stop", "pending")
    api.wait_for(lambda: api.app_status("app-web") == "exited:unhealthy")


def test_job_delay_flag_zero_runs_jobs_at_once(start_emulator):
    emu = start_emulator("--fixture", FIXTURE, "--job-delay-seconds", "0", "--status-lag-seconds", "5")
    assert emu.post("/services/svc-cache/start").status_code == 200
    assert emu.service_status("svc-cache") == "starting:unhealthy"
    assert emu.jobs("svc-cache")[0]["status"] == "running"
    assert emu.emu.state()["settings"]["job_delay_seconds"] == 0


def test_job_delay_flag_rejects_a_negative_value(start_emulator):
    with pytest.raises(harness.EmulatorError):
        start_emulator("--job-delay-seconds", "-1")


def test_reset_forgets_jobs(api):
    api.emu.configure(job_delay_seconds=30)
    api.post("/services/svc-analytics/stop")
    assert api.jobs("svc-analytics")
    api.emu.reset()
    assert api.emu.state()["jobs"] == []


# -------------------------------------------------------------------------------------------------- lost answers

def test_lost_response_is_processed_then_answered_504(start_emulator):
    emu = start_emulator("--fixture", FIXTURE, "--lose-response", r"^POST /api/v1/applications/[^/]+/restart$")
    resp = emu.post("/applications/app-api/restart")
    assert resp.status_code == 504
    assert resp.headers["Content-Type"].startswith("text/html")
    assert NGINX_504.search(resp.text)
    # The restart happened: its deployment is there although the client never saw the uuid.
    listed = emu.get("/deployments/applications/app-api").json()
    assert listed["count"] == 1 and listed["deployments"][0]["restart_only"] is True
    [entry] = [row for row in emu.emu.requests_log() if row["method"] == "POST"]
    assert (entry["status"], entry["fault"]) == (504, "lost")
    # Other requests are answered normally.
    assert emu.post("/applications/app-web/stop").status_code == 200


def test_lose_paths_can_be_switched_on_for_one_step(api):
    assert api.emu.configure(lose_paths=["POST .*/services/.*/stop"])["lose_paths"] == ["POST .*/services/.*/stop"]
    assert api.post("/services/svc-analytics/stop").status_code == 504
    assert api.jobs("svc-analytics")[0]["action"] == "stop"
    api.emu.configure(lose_paths=[])
    assert api.post("/services/svc-analytics/restart").status_code == 200


def test_lose_paths_rejects_a_bad_pattern(api):
    with pytest.raises(harness.EmulatorError):
        api.emu.configure(lose_paths=["("])


# -------------------------------------------------------------------------------------------------- uuids

def _all_uuids(state):
    found = set()
    for table in ("servers", "projects", "environments", "applications", "services", "envs"):
        for row in state[table]:
            found.add(row["uuid"])
    for row in state["services"]:
        found.update(sub["uuid"] for sub in row["applications"] + row["databases"])
    return found


def test_new_uuids_never_repeat_a_seeded_one(fleet):
    seeded = _all_uuids(fleet.emu.state())
    app = fleet.get("/applications").json()[0]["uuid"]
    created = []
    for index in range(40):
        resp = fleet.post("/applications/%s/envs" % app, json={"key": "NEW_%d" % index, "value": "x"})
        assert resp.status_code == 201
        created.append(resp.json()["uuid"])
    assert not seeded & set(created)
    assert len(set(created)) == len(created)


def test_uuids_stay_unique_across_a_reset(fleet):
    app = fleet.get("/applications").json()[0]["uuid"]
    before = fleet.post("/applications/%s/envs" % app, json={"key": "ONE", "value": "x"}).json()["uuid"]
    fleet.emu.reset()
    after = fleet.post("/applications/%s/envs" % app, json={"key": "ONE", "value": "x"}).json()["uuid"]
    assert before != after


def test_delete_of_a_new_env_removes_only_that_row(fleet):
    app = fleet.get("/applications").json()[0]["uuid"]
    before = {row["uuid"] for row in fleet.emu.state()["envs"]}
    new_uuid = fleet.post("/applications/%s/envs" % app, json={"key": "TEMP", "value": "x"}).json()["uuid"]
    assert fleet.delete("/applications/%s/envs/%s" % (app, new_uuid)).status_code == 200
    after = {row["uuid"] for row in fleet.emu.state()["envs"]}
    # The preview copy of TEMP stays; every seeded row is still there.
    assert before <= after and new_uuid not in after


def test_seeded_fleet_stays_deterministic(start_emulator):
    one = start_emulator("--random-seed", "7")
    two = start_emulator("--random-seed", "7")
    assert _all_uuids(one.emu.state()) == _all_uuids(two.emu.state())


# -------------------------------------------------------------------------------------------------- routes

def test_teams_lists_only_the_token_team(api):
    teams = api.get("/teams").json()
    assert [team["id"] for team in teams] == [0]
    assert "custom_server_limit" not in teams[0]
    assert api.get("/teams", token="6|acme-root").json()[0]["name"] == "Acme Corp"


def test_team_by_id_and_members(api):
    assert api.get("/teams/0").json()["name"] == "Root Team"
    assert api.get("/teams/7").status_code == 404
    assert api.get("/teams/7").json() == {"message": "Team not found."}
    assert api.get("/teams/99/members").json() == {"message": "Team not found."}
    members = api.get("/teams/0/members").json()
    ids = [member["id"] for member in members]
    assert 1 in ids and 2 in ids and 6 not in ids
    assert all("password" not in member and "pivot" not in member for member in members)
    assert api.get("/team/members").json() == members
    assert api.get("/teams/current/members").json() == members
    assert api.get("/teams/current").json()["id"] == 0


def test_service_sub_resources(api):
    apps = api.get("/services/svc-analytics/applications").json()
    assert [row["name"] for row in apps] == ["plausible"]
    assert apps[0]["fqdn"] == "https://stats.shop.example.com" and "service_id" in apps[0] and "id" not in apps[0]
    assert list(apps[0])[:2] == ["uuid", "name"]
    dbs = api.get("/services/svc-analytics/databases").json()
    assert dbs and all("service_id" not in row and row["status"] for row in dbs)
    assert api.get("/services/nope/applications").json() == {"message": "Service not found."}
    assert api.get("/services/svc-analytics/databases", token="6|acme-root").status_code == 404
    assert api.get("/services/svc-analytics/applications", token="7|member-read").status_code == 200


def test_server_get_has_proxy_type(api):
    assert api.get("/servers/srv-main").json()["proxy_type"] == "traefik"


def test_read_ability_is_enough_for_the_new_routes(api):
    for path in ("/teams", "/teams/0", "/teams/0/members", "/team/members", "/services/svc-analytics/applications"):
        assert api.get(path, token="2|read-only").status_code == 200, path
    assert api.get("/teams", token=ROOT).status_code == 200
