# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_app_batch end to end: the real main() over loopback HTTP against the emulator.

Every test checks the module's report against the emulator's own state and request log, never against itself.
"""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import run_lifecycle
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import resolve
from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch
from ansible_collections.coolops.coolify.tests.e2e.modules.batch_helpers import FLEET, Kind, args_for, run_beside, writes

# Team 0 of the seeded fleet (batch_helpers.FLEET) has these 12 applications.
EXITED = ["billing-api", "shop-worker", "shop-worker-staging"]          # exited:unhealthy
NOT_RUNNING = ["shop-api", "billing-api", "shop-worker", "shop-worker-staging"]  # shop-api is restarting:unknown
STAGING = ["billing-api-staging", "billing-web-staging", "billing-worker-staging", "shop-api-staging", "shop-web-staging",
           "shop-worker-staging"]
MARK = "mrk4b9d2f"
APPS = Kind("applications")
real_statuses, uuid_of, by_name, assert_reports_real_state = (
    APPS.real_statuses, APPS.uuid_of, APPS.by_name, APPS.assert_reports_real_state)


# --------------------------------------------------------------------------------------------------- the main path


def test_started_check_mode_plans_without_writing(emulator, run_module):
    result = run_module(coolify_app_batch, args_for(emulator, project="shop", state="started"), check_mode=True, diff=True)
    assert result["changed"] is True and not result.get("failed")
    items = by_name(result)
    assert items["shop-worker"]["reason"] == "would start (currently exited:unhealthy)"
    assert items["shop-api"]["reason"] == "would start (currently restarting:unknown)"
    assert items["shop-web"]["reason"] == "already running (running:healthy)" and items["shop-web"]["action"] is None
    assert sorted(n for n, i in items.items() if i["changed"]) == ["shop-api", "shop-worker", "shop-worker-staging"]
    assert result["msg"] == "would start 3 of 6 applications (3 already running)"
    assert result["summary"] == {"total": 6, "changed": 3, "ok": 6, "failed": 0, "skipped": 0}
    shop_worker = "shop-worker (%s)" % items["shop-worker"]["uuid"]
    assert result["diff"]["before"][shop_worker] == "exited:unhealthy" and result["diff"]["after"][shop_worker] == "running"
    assert writes(emulator) == []
    assert real_statuses(emulator)["shop-worker"] == "exited:unhealthy"


def test_started_apply_then_idempotent(emulator, run_module):
    result = run_module(coolify_app_batch, args_for(emulator, tags=["production", "staging"], state="started"), diff=True)
    assert result["changed"] is True and not result.get("failed"), result["msg"]
    assert result["msg"] == "started 4 of 12 applications (8 already running)"
    items = by_name(result)
    posts = sorted(r["path"] for r in writes(emulator))
    assert posts == sorted("/api/v1/applications/%s/start" % items[n]["uuid"] for n in NOT_RUNNING)
    for name in NOT_RUNNING:
        assert items[name]["changed"] and items[name]["deployment_status"] == "finished"
        assert items[name]["status_after"] == "running:healthy"
        assert items[name]["reason"] == "started (was %s)" % items[name]["status_before"]
    deployments = {d["deployment_uuid"]: d for d in emulator.state()["deployments"]}
    assert all(deployments[items[n]["deployment_uuid"]]["status"] == "finished" for n in NOT_RUNNING)
    assert_reports_real_state(emulator, result)
    diff_key = "billing-api (%s)" % items["billing-api"]["uuid"]
    assert result["diff"]["after"][diff_key] == "running:healthy"

    again = run_module(coolify_app_batch, args_for(emulator, tags=["production", "staging"], state="started"))
    assert again["changed"] is False and again["msg"] == "started 0 of 12 applications (12 already running)"
    assert len(writes(emulator)) == len(NOT_RUNNING)  # nothing new


def test_stopped_with_docker_cleanup_then_idempotent(emulator, run_module):
    result = run_module(coolify_app_batch, args_for(emulator, tags=["staging"], state="stopped", docker_cleanup=False))
    assert result["changed"] is True and not result.get("failed"), result["msg"]
    items = by_name(result)
    assert sorted(items) == STAGING
    assert items["shop-worker-staging"]["action"] is None and not items["shop-worker-staging"]["changed"]
    stops = writes(emulator)
    assert len(stops) == 5 and all(r["path"].endswith("/stop") and r["query"] == {"docker_cleanup": "false"} for r in stops)
    assert all(item["status_after"] == "exited:unhealthy" for item in items.values())
    assert_reports_real_state(emulator, result)
    again = run_module(coolify_app_batch, args_for(emulator, tags=["staging"], state="stopped"))
    assert again["changed"] is False and len(writes(emulator)) == 5


def test_docker_cleanup_defaults_to_true(emulator, run_module):
    run_module(coolify_app_batch, args_for(emulator, names=["shop-web"], state="stopped", wait=False))
    assert [r["query"] for r in writes(emulator)] == [{"docker_cleanup": "true"}]


def test_restarted_by_alias_always_acts(emulator, run_module):
    uuids = [uuid_of(emulator, "shop-web"), uuid_of(emulator, "billing-api")]
    result = run_module(coolify_app_batch, args_for(emulator, application_uuids=uuids, state="restarted"))
    assert [i["uuid"] for i in result["applications"]] == uuids  # input order
    assert result["changed"] is True and result["msg"] == "restarted 2 of 2 applications"
    assert [r["path"] for r in writes(emulator)] == ["/api/v1/applications/%s/restart" % u for u in uuids] or \
        sorted(r["path"] for r in writes(emulator)) == sorted("/api/v1/applications/%s/restart" % u for u in uuids)
    deployments = {d["deployment_uuid"]: d for d in emulator.state()["deployments"]}
    for item in result["applications"]:
        assert deployments[item["deployment_uuid"]]["restart_only"] is True
        assert item["status_after"] == "running:healthy"
    again = run_module(coolify_app_batch, args_for(emulator, application_uuids=uuids, state="restarted"))
    assert again["changed"] is True and len(writes(emulator)) == 4


def test_deployed_sends_force_and_instant_deploy(emulator, run_module):
    result = run_module(coolify_app_batch, args_for(emulator, names=["shop-web", "shop-api"], state="deployed", force=True,
                                                    instant_deploy=True))
    assert not result.get("failed") and result["summary"]["changed"] == 2
    for request in writes(emulator):
        assert request["path"].endswith("/start") and request["query"] == {"force": "true", "instant_deploy": "true"}
    deployments = {d["deployment_uuid"]: d for d in emulator.state()["deployments"]}
    assert all(deployments[i["deployment_uuid"]]["force_rebuild"] for i in result["applications"])


def test_wait_false_returns_after_the_posts(emulator, run_module):
    result = run_module(coolify_app_batch, args_for(emulator, names=EXITED, state="started", wait=False))
    assert result["changed"] is True and "not waited for" in result["msg"]
    assert all(item["status_after"] is None and item["deployment_uuid"] for item in result["applications"])
    assert all(item["reason"].startswith("start queued (deployment") for item in result["applications"])
    log = emulator.requests_log()
    assert [r["method"] for r in log].count("POST") == 3
    # Each returned deployment uuid is read back (one list read covers all three), never followed to the end.
    reads = [r for r in log if r["path"].startswith("/api/v1/deployments")]
    assert 1 <= len(reads) <= 3
    assert all(item["deployment_status"] in ("queued", "in_progress") for item in result["applications"])


def test_healthy_requires_running_healthy(emulator, run_module):
    # billing-worker is running:unhealthy and stays so: nothing is sent, and waiting for healthy times out.
    result = run_module(coolify_app_batch, args_for(emulator, names=["billing-worker", "billing-api"], state="started",
                                                    healthy=True, wait_timeout=1))
    assert result["failed"] is True
    items = by_name(result)
    assert items["billing-worker"]["failed"] and not items["billing-worker"]["changed"]
    assert "Timed out after 1s waiting for running:healthy (last status: running:unhealthy)" in items["billing-worker"]["error"]
    assert items["billing-api"]["status_after"] == "running:healthy" and not items["billing-api"]["failed"]
    assert [r["path"] for r in writes(emulator)] == ["/api/v1/applications/%s/start" % items["billing-api"]["uuid"]]
    assert result["msg"].startswith("started 1 of 2 applications; 1 failed: billing-worker (timed out waiting for running:healthy")


# --------------------------------------------------------------------------------------------------- deployments


def test_failed_and_cancelled_deployments(emulator, run_module):
    failing, cancelled = uuid_of(emulator, "shop-worker"), uuid_of(emulator, "billing-api")
    emulator.configure(deploy_outcomes={failing: "failed", cancelled: "cancelled-by-user"})
    result = run_module(coolify_app_batch, args_for(emulator, names=NOT_RUNNING, state="started"))
    assert result["failed"] is True and result["changed"] is True
    items = by_name(result)
    assert items["shop-worker"]["deployment_status"] == "failed" and items["shop-worker"]["failed"]
    assert items["billing-api"]["deployment_status"] == "cancelled-by-user" and items["billing-api"]["failed"]
    assert items["shop-worker"]["error"] == "Deployment %s ended failed." % items["shop-worker"]["deployment_uuid"]
    assert not items["shop-api"]["failed"] and items["shop-api"]["status_after"] == "running:healthy"
    assert result["summary"] == {"total": 4, "changed": 2, "ok": 2, "failed": 2, "skipped": 0}
    assert result["msg"] == ("started 2 of 4 applications; 2 failed: billing-api (deployment cancelled-by-user), "
                             "shop-worker (deployment failed)")
    assert_reports_real_state(emulator, result)
    assert items["shop-worker"]["status_after"] == "exited:unhealthy"


def test_max_fail_percentage_tolerates_partial_failure(emulator, run_module):
    emulator.configure(deploy_outcomes={uuid_of(emulator, "shop-worker"): "failed"})
    args = args_for(emulator, names=NOT_RUNNING, state="started", max_fail_percentage=25)
    result = run_module(coolify_app_batch, args)
    assert not result.get("failed") and result["summary"]["failed"] == 1
    assert by_name(result)["shop-worker"]["failed"] is True
    emulator.reset()
    emulator.configure(deploy_outcomes={uuid_of(emulator, "shop-worker"): "failed"})
    args["max_fail_percentage"] = 24
    assert run_module(coolify_app_batch, args)["failed"] is True


def test_already_queued_follows_the_real_deployment(emulator, run_module):
    uuid = uuid_of(emulator, "shop-worker")
    emulator.configure(deploy_seconds=0.6)
    status, _headers, body = emulator.request("POST", "/applications/%s/start" % uuid)
    assert status == 200 and body["deployment_uuid"]
    result = run_module(coolify_app_batch, args_for(emulator, names=["shop-worker"], state="started"))
    item = result["applications"][0]
    assert not result.get("failed"), result["msg"]
    assert item["deployment_uuid"] == body["deployment_uuid"]  # Coolify gave no uuid; the queued one was found
    assert item["deployment_status"] == "finished" and item["status_after"] == "running:healthy"
    assert any(r["path"] == "/api/v1/deployments/applications/%s" % uuid for r in emulator.requests_log())


def test_full_queue_uuid_that_does_not_exist_fails(emulator, run_module):
    # queue_limit 0: Coolify answers "queued" with a uuid it never stored (API-NOTES 6.3).
    emulator.configure(queue_limit=0)
    result = run_module(coolify_app_batch, args_for(emulator, names=["shop-worker"], state="started"))
    item = result["applications"][0]
    assert result["failed"] is True and item["failed"]
    assert "never stored: nothing was queued" in item["error"] and item["changed"] is False
    assert result["msg"] == "started 0 of 1 applications; 1 failed: shop-worker (not queued)"
    assert item["status_after"] == "exited:unhealthy" == real_statuses(emulator)["shop-worker"]
    assert emulator.state()["deployments"] == [] or all(
        d["deployment_uuid"] != item["deployment_uuid"] for d in emulator.state()["deployments"])


# --------------------------------------------------------------------------------------------------- pacing and clocks


def test_polls_at_a_steady_interval_through_the_injected_sleep(emulator):
    """No busy loop and no back-off while a deployment runs: one list read per poll_interval, through the sleep."""
    client = CoolifyClient(emulator.api_url, emulator.token)
    emulator.configure(deploy_seconds=1.5)
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        time.sleep(seconds)

    resources = resolve(client, "application", {"names": ["shop-worker"]})
    result = run_lifecycle(client, "application", resources, "started", {"poll_interval": 0.05}, sleep=sleep)
    item = result["items"][0]
    assert not result["failed"] and item["deployment_status"] == "finished"
    assert len(slept) > 10 and set(slept) == {0.05}
    log = emulator.requests_log()
    lists = [r for r in log if r["path"] == "/api/v1/deployments"]
    ones = [r for r in log if r["path"] == "/api/v1/deployments/%s" % item["deployment_uuid"]]
    assert len(lists) <= len(slept) + 1 and len(ones) == 1  # the one read once it left the list
    client.close()


def test_wait_timeout_follows_the_injected_clock(emulator):
    """The deadline is measured on the injected clock, and a sleep never runs past it."""
    client = CoolifyClient(emulator.api_url, emulator.token)
    emulator.configure(deploy_seconds=120)
    now = [1000.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds  # virtual time: nothing really waits

    resources = resolve(client, "application", {"names": ["shop-worker"]})
    result = run_lifecycle(client, "application", resources, "started", {"poll_interval": 2, "wait_timeout": 30},
                           clock=lambda: now[0], sleep=sleep)
    item = result["items"][0]
    assert result["failed"] is True and item["changed"] is True
    assert item["error"] == "Timed out after 30s waiting for deployment %s to finish (last deployment status: in_progress)." % (
        item["deployment_uuid"])
    assert sum(slept) == pytest.approx(30) and item["elapsed_seconds"] == pytest.approx(30)
    assert item["status_after"] == "exited:unhealthy" == real_statuses(emulator)["shop-worker"]
    client.close()


# --------------------------------------------------------------------------------------------------- strategies


def test_rolling_waits_for_each_wave_and_halts_on_a_failed_one(emulator, run_module):
    names = ["shop-web", "shop-api", "billing-web", "billing-api", "shop-worker", "billing-worker"]
    emulator.configure(deploy_outcomes={uuid_of(emulator, "billing-web"): "failed"})
    result = run_module(coolify_app_batch, args_for(emulator, names=names, state="restarted", strategy="rolling",
                                                    batch_size=2))
    assert result["failed"] is True
    items = result["applications"]
    assert [i["name"] for i in items] == names
    assert [i["skipped"] for i in items] == [False, False, False, False, True, True]
    assert items[2]["failed"] and not items[3]["failed"]
    assert items[4]["reason"] == "not attempted (the rolling run halted after a failed wave)"
    assert items[4]["status_after"] == items[4]["status_before"] and items[4]["action"] == "restart"
    assert result["summary"] == {"total": 6, "changed": 3, "ok": 3, "failed": 1, "skipped": 2}
    assert result["msg"].endswith("; 2 not attempted (the rolling run halted after a failed wave)")
    log = emulator.requests_log()
    posts = [n for n, r in enumerate(log) if r["method"] == "POST"]
    assert len(posts) == 4  # the halted wave's apps were never sent
    # Wave 2 starts only after wave 1 finished: its first POST comes after wave 1's last deployment poll.
    wave1 = {items[0]["deployment_uuid"], items[1]["deployment_uuid"]}
    last_wave1_poll = max(n for n, r in enumerate(log) if r["path"].rsplit("/", 1)[-1] in wave1)
    assert sorted(posts)[2] > last_wave1_poll
    assert_reports_real_state(emulator, result)


def test_rolling_without_wait_is_refused_before_any_request(emulator, run_module):
    result = run_module(coolify_app_batch, args_for(emulator, tags=["staging"], state="restarted", strategy="rolling",
                                                    wait=False))
    assert result["failed"] is True and "strategy=rolling needs wait=true" in result["msg"]
    assert emulator.requests_log() == []


def test_restarted_reads_the_servers_beside_the_selection(emulator_factory, run_module):
    emu = emulator_factory(*FLEET, "--latency-ms", "200")
    result = run_module(coolify_app_batch, args_for(emu, names=["shop-web"], state="restarted", wait=False))
    assert not result.get("failed"), result["msg"]
    log = emu.requests_log()
    # The build-slot limits are read at the same time as the selection, not one round trip later.
    assert sorted(r["path"] for r in log[:2]) == ["/api/v1/applications", "/api/v1/servers"]
    assert [r["path"] for r in log].count("/api/v1/servers") == 1
    assert emu.stats()["peak_in_flight"] >= 2


# (Wholly blank uuids, names and tags under restarted: test_trust_review's templated-empty cases.)
@pytest.mark.parametrize("selector", [dict(names=["shop-web", " "]), dict(names=["shop-web", "shop-web"])],
                         ids=["blank-name-among-names", "repeated-name"])
def test_restarted_with_bad_selectors_sends_nothing(emulator, run_module, selector):
    result = run_module(coolify_app_batch, args_for(emulator, state="restarted", **selector))
    assert result["failed"] is True
    assert emulator.requests_log() == []  # not even the servers read that a restart sends early


def test_sequential_runs_one_at_a_time(emulator, run_module):
    result = run_module(coolify_app_batch, args_for(emulator, tags=["frontend"], state="stopped", strategy="sequential",
                                                    max_workers=8))
    assert not result.get("failed") and emulator.stats()["peak_in_flight"] == 1
    assert_reports_real_state(emulator, result)


# --------------------------------------------------------------------------------------------------- failures


def test_unknown_names_fail_before_any_write(emulator, run_module):
    result = run_module(coolify_app_batch, args_for(emulator, names=["shop-web", "nope-1", "nope-2"], state="restarted"))
    assert result["failed"] is True
    assert "unknown names: nope-1, nope-2" in result["msg"]
    assert writes(emulator) == []


def test_api_disabled_fails_before_any_write(emulator, run_module):
    emulator.configure(api_enabled=False)
    result = run_module(coolify_app_batch, args_for(emulator, tags=["staging"], state="stopped"))
    assert result["failed"] is True and "API is disabled" in result["msg"]
    assert result["status_code"] == 403
    assert writes(emulator) == []


def test_token_without_deploy_ability_fails_every_item(emulator_factory, run_module):
    emu = emulator_factory(*FLEET, "--add-token", "2|ro-%s=read@0" % MARK)
    args = args_for(emu, api_token="2|ro-%s" % MARK, names=EXITED, state="started")
    result = run_module(coolify_app_batch, args)
    assert result["failed"] is True and result["changed"] is False
    assert result["summary"] == {"total": 3, "changed": 0, "ok": 0, "failed": 3, "skipped": 0}
    for item in result["applications"]:
        assert "HTTP 403: Missing required permissions: deploy" in item["error"]
        assert item["status_after"] == "exited:unhealthy"
    assert len(writes(emu)) == 3  # every item attempted, none retried
    assert MARK not in json.dumps(result)


def test_app_deleted_mid_batch(emulator, run_module):
    victim = uuid_of(emulator, "billing-api")
    emulator.configure(deploy_seconds=0.5)
    stop, watcher = run_beside(emulator, lambda: emulator.delete_resource(victim),
                               when=lambda r: r["method"] == "POST" and victim in r["path"])
    try:
        result = run_module(coolify_app_batch, args_for(emulator, names=["shop-worker", "billing-api", "shop-worker-staging"],
                                                        state="started", strategy="sequential"))
    finally:
        stop.set()
        watcher.join()
    items = by_name(result)
    assert result["failed"] is True
    assert items["billing-api"]["failed"] and items["billing-api"]["error"] == "The application no longer exists (HTTP 404)."
    assert items["billing-api"]["status_after"] is None
    assert not items["shop-worker"]["failed"] and not items["shop-worker-staging"]["failed"]  # the batch went on
    assert items["shop-worker-staging"]["status_after"] == "running:healthy"
    assert result["msg"].endswith("1 failed: billing-api (deleted)")


def test_fail_path_on_one_app(emulator, run_module):
    victim = uuid_of(emulator, "shop-web")
    emulator.configure(fail_paths=["POST /api/v1/applications/%s/" % victim])
    result = run_module(coolify_app_batch, args_for(emulator, tags=["frontend"], state="restarted"))
    items = by_name(result)
    assert result["failed"] is True and items["shop-web"]["failed"]
    assert "returned HTTP 500" in items["shop-web"]["error"]
    assert items["shop-web"]["status_after"] == "running:healthy"  # read back, unchanged
    assert [i["failed"] for n, i in items.items() if n != "shop-web"] == [False] * 3
    assert sum(1 for r in writes(emulator) if victim in r["path"]) == 1  # a 500 on an action is not retried


@pytest.mark.parametrize("seed", ["11", "3"])  # 11: cut connections; 3: HTTP 500 on actions
@pytest.mark.parametrize("state", ["started", "stopped"])
def test_fault_rate_every_item_correct_or_failed_consistently(emulator_factory, run_module, state, seed):
    emu = emulator_factory(*FLEET[:-6], "--random-seed", seed, "--deploy-seconds", "0.2", "--status-lag-seconds", "0.1",
                           "--fault-rate", "0.2")
    # An action whose outcome stays unknown is watched until wait_timeout: 6 s, not 20, is still long against 0.4 s.
    result = run_module(coolify_app_batch, args_for(emu, project="shop", state=state, max_retries=8, wait_timeout=6))
    log = emu.requests_log()
    if "applications" not in result:
        # The selector lookup itself failed: then nothing may have been written.
        assert result["failed"] is True and not [r for r in log if r["method"] == "POST"]
        return
    emu.configure(fault_rate=0)
    time.sleep(0.4)  # let anything a cut request started settle
    real = real_statuses(emu)
    target = "running" if state == "started" else "exited"
    for item in result["applications"]:
        posted = [r for r in log if r["method"] == "POST" and item["uuid"] in r["path"]]
        assert len(posted) <= 1 or all(r["status"] in (502, 503) for r in posted[:-1]), posted  # only proxy errors retried
        if not item["failed"]:
            assert real[item["name"]].startswith(target) and item["status_after"] == real[item["name"]]
        elif "outcome is unknown" in item["error"]:
            assert real[item["name"]].startswith(target) or real[item["name"]] == item["status_before"]
        else:
            assert item["error"]
            assert item["status_after"] in (None, real[item["name"]])
    assert result["failed"] is any(i["failed"] for i in result["applications"])


def test_token_never_in_results(emulator_factory, run_module):
    token = "1|root-%s-secret" % MARK
    emu = emulator_factory(*FLEET, token=token)
    emu.configure(fail_paths=["/start$"])
    results = [
        run_module(coolify_app_batch, args_for(emu, names=EXITED, state="started"), diff=True),
        run_module(coolify_app_batch, args_for(emu, names=["nope"], state="started")),
        run_module(coolify_app_batch, args_for(emu, api_token="1|wrong-%s" % MARK, names=EXITED, state="started")),
    ]
    assert results[0]["failed"] and results[1]["failed"] and results[2]["failed"]
    assert results[2]["status_code"] == 401
    assert MARK not in json.dumps(results)


def test_old_coolify_4_1_2(emulator_factory, run_module):
    emu = emulator_factory(*FLEET, "--api-version", "4.1.2")
    result = run_module(coolify_app_batch, args_for(emu, names=EXITED, state="started"))
    assert not result.get("failed") and result["summary"]["changed"] == 3
    assert all(r["method"] == "POST" for r in writes(emu))
    assert_reports_real_state(emu, result)
