# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_service_batch end to end: the real main() over loopback HTTP against the emulator.

Every test checks the module's report against the emulator's own state and request log, never against itself.
"""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_service_batch
from ansible_collections.coolops.coolify.tests.e2e.modules.batch_helpers import FLEET, Kind, args_for, run_beside, writes

# Team 0's services in the seeded fleet (batch_helpers.FLEET).
ALL = ["shop-postgresql", "billing-redis", "shop-plausible", "billing-uptime-kuma"]  # the last one is exited
SHOP = ["shop-postgresql", "shop-plausible"]
MARK = "mrk8e3a71"
SERVICES = Kind("services")
real_statuses, uuid_of, by_name, assert_reports_real_state = (
    SERVICES.real_statuses, SERVICES.uuid_of, SERVICES.by_name, SERVICES.assert_reports_real_state)


# --------------------------------------------------------------------------------------------------- the main path


def test_started_check_mode_then_apply_then_idempotent(emulator, run_module):
    args = args_for(emulator, names=ALL, state="started")
    check = run_module(coolify_service_batch, args, check_mode=True, diff=True)
    assert check["changed"] is True and check["msg"] == "would start 1 of 4 services (3 already running)"
    kuma = by_name(check)["billing-uptime-kuma"]
    assert kuma["reason"] == "would start (currently exited)" and kuma["status_after"] == "exited"
    assert check["diff"]["after"]["billing-uptime-kuma (%s)" % kuma["uuid"]] == "running"
    assert writes(emulator) == []

    result = run_module(coolify_service_batch, args, diff=True)
    assert result["changed"] is True and not result.get("failed"), result["msg"]
    assert result["msg"] == "started 1 of 4 services (3 already running)"
    kuma = by_name(result)["billing-uptime-kuma"]
    assert kuma["status_before"] == "exited" and kuma["status_after"] == "running:healthy"
    assert kuma["deployment_uuid"] is None and kuma["deployment_status"] is None
    assert [r["path"] for r in writes(emulator)] == ["/api/v1/services/%s/start" % kuma["uuid"]]
    assert result["diff"]["before"]["billing-uptime-kuma (%s)" % kuma["uuid"]] == "exited"
    assert_reports_real_state(emulator, result)
    # The poll saw the start as a transition (starting:unhealthy), not as a result.
    polls = [r for r in emulator.requests_log() if r["path"] == "/api/v1/services/%s" % kuma["uuid"]]
    assert polls

    again = run_module(coolify_service_batch, args)
    assert again["changed"] is False and len(writes(emulator)) == 1


def test_stopped_by_project_then_idempotent(emulator, run_module):
    args = args_for(emulator, project="shop", state="stopped", docker_cleanup=False)
    result = run_module(coolify_service_batch, args)
    assert sorted(by_name(result)) == sorted(SHOP) and result["summary"]["changed"] == 2
    assert all(r["query"] == {"docker_cleanup": "false"} for r in writes(emulator))
    assert all(item["status_after"] == "exited" for item in result["services"])
    assert_reports_real_state(emulator, result)
    again = run_module(coolify_service_batch, args)
    assert again["changed"] is False and again["msg"] == "stopped 0 of 2 services (2 already stopped)"
    assert len(writes(emulator)) == 2


def test_restarted_with_latest_always_acts(emulator, run_module):
    uuids = [uuid_of(emulator, "billing-redis"), uuid_of(emulator, "billing-uptime-kuma")]
    result = run_module(coolify_service_batch, args_for(emulator, service_uuids=uuids, state="restarted", latest=True))
    assert result["changed"] is True and [i["uuid"] for i in result["services"]] == uuids
    assert sorted(r["path"] for r in writes(emulator)) == sorted("/api/v1/services/%s/restart" % u for u in uuids)
    assert all(r["query"] == {"latest": "true"} for r in writes(emulator))
    assert all(i["status_after"] == "running:healthy" for i in result["services"])
    assert_reports_real_state(emulator, result)


def test_wait_false(emulator, run_module):
    result = run_module(coolify_service_batch, args_for(emulator, names=SHOP, state="stopped", wait=False))
    assert result["changed"] is True and all(i["status_after"] is None for i in result["services"])
    assert [r["method"] for r in emulator.requests_log()] == ["GET", "POST", "POST"]


# --------------------------------------------------------------------------------------------------- Coolify's guards


def test_already_running_answer_means_unchanged(emulator, run_module):
    first, second = uuid_of(emulator, "billing-uptime-kuma"), uuid_of(emulator, "shop-plausible")
    status, _h, _b = emulator.request("POST", "/services/%s/stop" % second, params={"docker_cleanup": "false"})
    assert status == 200
    SERVICES.until_status(emulator, "shop-plausible", "exited")
    emulator.configure(status_lag_seconds=1.0)

    def start_second_behind_our_back():
        emulator.configure(status_lag_seconds=0, job_delay_seconds=0)  # ours is queued already: this one runs first
        assert emulator.request("POST", "/services/%s/start" % second)[0] == 200

    # Fire on the module's own first action, not on the stop this test sent above.
    stop, thread = run_beside(emulator, start_second_behind_our_back,
                              when=lambda r: r["method"] == "POST" and r["path"] == "/api/v1/services/%s/start" % first)
    try:
        result = run_module(coolify_service_batch, args_for(emulator, uuids=[first, second], state="started",
                                                            strategy="sequential"))
    finally:
        stop.set()
        thread.join()
    item = by_name(result)["shop-plausible"]
    assert not result.get("failed"), result["msg"]
    assert item["action"] == "start" and item["changed"] is False and item["failed"] is False
    assert item["reason"] == "already running (Coolify answered: Service is already running.)"
    assert item["status_after"] == "running:healthy"
    refused = [r for r in emulator.requests_log() if r["path"] == "/api/v1/services/%s/start" % second]
    assert [r["status"] for r in refused] == [200, 400]  # ours came second and was refused
    assert result["msg"] == "started 1 of 2 services (1 already running)"


def test_already_stopped_answer_means_unchanged(emulator, run_module):
    first, second = uuid_of(emulator, "shop-postgresql"), uuid_of(emulator, "billing-redis")
    emulator.configure(status_lag_seconds=1.0)

    def stop_second_behind_our_back():
        emulator.configure(status_lag_seconds=0, job_delay_seconds=0)  # ours is queued already: this one runs first
        assert emulator.request("POST", "/services/%s/stop" % second)[0] == 200

    stop, thread = run_beside(emulator, stop_second_behind_our_back,
                              when=lambda r: r["method"] == "POST" and r["path"] == "/api/v1/services/%s/stop" % first)
    try:
        result = run_module(coolify_service_batch, args_for(emulator, uuids=[first, second], state="stopped",
                                                            strategy="sequential"))
    finally:
        stop.set()
        thread.join()
    item = by_name(result)["billing-redis"]
    assert not result.get("failed"), result["msg"]
    assert item["changed"] is False and item["reason"] == "already stopped (Coolify answered: Service is already stopped.)"
    assert item["status_after"] == "exited"
    assert_reports_real_state(emulator, result)


def test_starting_is_a_transition_not_a_result(emulator, run_module):
    kuma = uuid_of(emulator, "billing-uptime-kuma")
    emulator.configure(status_lag_seconds=0.6)
    assert emulator.request("POST", "/services/%s/start" % kuma)[0] == 200
    SERVICES.until_status(emulator, "billing-uptime-kuma", "starting")
    result = run_module(coolify_service_batch, args_for(emulator, names=["billing-uptime-kuma"], state="started"))
    item = result["services"][0]
    assert item["status_before"] == "starting:unhealthy"
    assert item["action"] is None and item["changed"] is False
    assert item["reason"] == "already starting (starting:unhealthy)"
    assert item["status_after"] == "running:healthy"  # waited through the transition
    assert len(writes(emulator)) == 1  # only the start made beside the module


def test_healthy_service(emulator, run_module):
    result = run_module(coolify_service_batch, args_for(emulator, names=["billing-uptime-kuma"], state="started", healthy=True))
    assert not result.get("failed") and result["services"][0]["status_after"] == "running:healthy"


# --------------------------------------------------------------------------------------------------- failures


def test_tags_select_services_after_the_project_narrowed_them(emulator, run_module):
    args = args_for(emulator, tags=["service"], project="shop", state="stopped")
    result = run_module(coolify_service_batch, args, check_mode=True)
    assert not result.get("failed") and sorted(s["name"] for s in result["services"]) == sorted(SHOP)
    tag_reads = [r["path"] for r in emulator.requests_log() if r["path"].endswith("/tags")]
    assert len(tag_reads) == len(SHOP)  # one GET /services/{uuid}/tags per service of the project, no more
    assert writes(emulator) == []


def test_a_tag_matching_no_service_fails_before_any_write(emulator, run_module):
    result = run_module(coolify_service_batch, args_for(emulator, tags=["no-such-tag"], state="stopped"))
    assert result["failed"] is True and result["msg"] == "Cannot select services: tags matching nothing: no-such-tag."
    assert writes(emulator) == []


def test_unknown_names_fail_before_any_write(emulator, run_module):
    result = run_module(coolify_service_batch, args_for(emulator, names=["shop-postgresql", "ghost"], state="stopped"))
    assert result["failed"] is True and "unknown names: ghost" in result["msg"]
    assert writes(emulator) == []


def test_api_disabled(emulator_factory, run_module):
    emu = emulator_factory(*FLEET, "--api-disabled")
    result = run_module(coolify_service_batch, args_for(emu, names=ALL, state="stopped"))
    assert result["failed"] is True and "API is disabled" in result["msg"] and writes(emu) == []


def test_token_without_deploy(emulator_factory, run_module):
    emu = emulator_factory(*FLEET, "--add-token", "2|rw-%s=read,write@0" % MARK)
    result = run_module(coolify_service_batch, args_for(emu, api_token="2|rw-%s" % MARK, names=SHOP, state="restarted"))
    assert result["failed"] is True and result["summary"]["failed"] == 2
    assert all("Missing required permissions: deploy" in i["error"] for i in result["services"])
    assert all(i["status_after"] == "running:healthy" for i in result["services"])
    assert "2 failed: shop-postgresql (HTTP 403 Missing required permissions: deploy)" in result["msg"]
    assert MARK not in json.dumps(result)


def test_service_deleted_mid_batch(emulator, run_module):
    victim = uuid_of(emulator, "shop-postgresql")
    emulator.configure(status_lag_seconds=0.5)
    stop, thread = run_beside(emulator, lambda: emulator.delete_resource(victim))
    try:
        result = run_module(coolify_service_batch, args_for(emulator, uuids=[victim, uuid_of(emulator, "billing-redis")],
                                                            state="restarted", strategy="sequential"))
    finally:
        stop.set()
        thread.join()
    items = by_name(result)
    assert result["failed"] is True
    assert items["shop-postgresql"]["error"] == "The service no longer exists (HTTP 404)."
    assert items["shop-postgresql"]["changed"] is True  # the restart was accepted before the deletion
    assert not items["billing-redis"]["failed"] and items["billing-redis"]["status_after"] == "running:healthy"


def test_rolling_halts_on_failed_wave(emulator, run_module):
    emulator.configure(fail_paths=["POST /api/v1/services/%s/" % uuid_of(emulator, "shop-postgresql")])
    # The failed restart's outcome is unknown (a 500): the module watches it until wait_timeout, kept short here.
    result = run_module(coolify_service_batch, args_for(emulator, names=ALL, state="restarted", strategy="rolling",
                                                        batch_size=1, wait_timeout=2))
    assert result["failed"] is True
    assert [i["skipped"] for i in result["services"]] == [False, True, True, True]
    assert len(writes(emulator)) == 1


def test_rolling_tolerates_with_max_fail_percentage(emulator, run_module):
    emulator.configure(fail_paths=["POST /api/v1/services/%s/" % uuid_of(emulator, "shop-postgresql")])
    result = run_module(coolify_service_batch, args_for(emulator, names=ALL, state="restarted", strategy="rolling",
                                                        batch_size=2, max_fail_percentage=50,
                                                        wait_timeout=3))
    assert not result.get("failed") and result["summary"] == {"total": 4, "changed": 3, "ok": 3, "failed": 1, "skipped": 0}


@pytest.mark.parametrize("state", ["restarted", "stopped"])
def test_fault_rate(emulator_factory, run_module, state):
    emu = emulator_factory("--seed-apps", "2", "--seed-services", "10", "--random-seed", "5", "--status-lag-seconds", "0.1",
                           "--fault-rate", "0.2", "--job-delay-seconds", "0.3")
    names = sorted(s["name"] for s in emu.state()["services"] if s["team_id"] == 0)
    # An action whose outcome stays unknown is watched until wait_timeout: 6 s, not 20, is still long against 0.4 s.
    result = run_module(coolify_service_batch, args_for(emu, names=names, state=state, max_retries=8, wait_timeout=6))
    log = emu.requests_log()
    if "services" not in result:
        assert result["failed"] is True and not [r for r in log if r["method"] == "POST"]
        return
    emu.configure(fault_rate=0)
    time.sleep(0.3)
    real = real_statuses(emu)
    target = "running" if state == "restarted" else "exited"
    for item in result["services"]:
        if not item["failed"]:
            assert real[item["name"]].startswith(target) and item["status_after"] == real[item["name"]]
        elif "outcome is unknown" in item["error"]:
            assert real[item["name"]].startswith(target) or real[item["name"]] == item["status_before"]
        else:
            assert item["status_after"] in (None, real[item["name"]])
    assert result["failed"] is any(i["failed"] for i in result["services"])


def test_old_coolify_4_1_2(emulator_factory, run_module):
    emu = emulator_factory(*FLEET, "--api-version", "4.1.2")
    result = run_module(coolify_service_batch, args_for(emu, names=ALL, state="stopped"))
    assert not result.get("failed") and result["summary"]["changed"] == 3
    assert_reports_real_state(emu, result)
