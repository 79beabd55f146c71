# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issues 11 and 13 over HTTP: observed truth for queued jobs, wait:false read-backs, build slots, the shared watcher,
failure logs, cancel_on_timeout and progress. The real main() (or run_lifecycle) against the emulator, checked against
the emulator's own state and request log."""

from __future__ import annotations

import json
import re
import threading

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import run_lifecycle
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import resolve
from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch, coolify_service_batch
from ansible_collections.coolops.coolify.tests.e2e.modules.batch_helpers import FLEET, Kind, args_for, writes

APPS = Kind("applications")
SERVICES = Kind("services")


def running_services(emu):
    return sorted(name for name, status in SERVICES.real_statuses(emu).items() if status.startswith("running"))


def jobs_of(emu, uuid):
    return [job for job in emu.state()["jobs"] if job["resource_uuid"] == uuid]


# --------------------------------------------------------------------------------------------------- queued jobs


def test_service_restart_is_done_only_once_its_transition_was_observed(emulator, run_module):
    emulator.configure(job_delay_seconds=1.0)
    name = running_services(emulator)[0]
    uuid = SERVICES.uuid_of(emulator, name)
    result = run_module(coolify_service_batch, args_for(emulator, names=[name], state="restarted"))
    item = result["services"][0]
    assert not result.get("failed"), result["msg"]
    assert item["changed"] and item["status_after"] == "running:healthy" == SERVICES.real_statuses(emulator)[name]
    # Coolify's job waited 1 s in the queue while the status still read running: the module waited it out.
    [job] = jobs_of(emulator, uuid)
    assert job["status"] in ("running", "done") and item["elapsed_seconds"] >= 1.0
    statuses = [r for r in emulator.requests_log() if r["method"] == "GET" and r["path"].startswith("/api/v1/services")]
    assert statuses, "the status was never read"


def test_a_restart_never_observed_fails_not_observed(emulator, run_module):
    emulator.configure(job_delay_seconds=30.0)
    name = running_services(emulator)[0]
    result = run_module(coolify_service_batch, args_for(emulator, names=[name], state="restarted", wait_timeout=1))
    item = result["services"][0]
    assert result["failed"] is True and item["failed"] and item["changed"]
    assert item["error"].startswith("Not observed: no status change caused by this action was seen")
    assert result["msg"] == "restarted 0 of 1 services; 1 failed: %s (not observed)" % name
    assert len(writes(emulator)) == 1


def test_rolling_waits_for_the_observed_restart_before_the_next_wave(emulator, run_module):
    emulator.configure(job_delay_seconds=0.5)
    names = running_services(emulator)[:2]
    result = run_module(coolify_service_batch, args_for(emulator, names=names, state="restarted", strategy="rolling",
                                                        batch_size=1))
    assert not result.get("failed"), result["msg"]
    first, second = [SERVICES.uuid_of(emulator, name) for name in names]
    [job] = jobs_of(emulator, first)
    posts = [r for r in emulator.requests_log() if r["method"] == "POST"]
    assert [p["path"].split("/")[4] for p in posts] == [first, second]
    # The second wave's POST came after the first service's job had run (its status changes were observed).
    second_at = _epoch(posts[1]["time"])
    assert second_at > job["runs_at"] + 0.2


def _epoch(stamp):
    import datetime  # pylint: disable=import-outside-toplevel
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


# --------------------------------------------------------------------------------------------------- wait: false


def test_wait_false_reads_back_a_uuid_that_was_never_stored(emulator, run_module):
    emulator.configure(queue_limit=0)  # Coolify's quirk: "queued", with a uuid it never stored (API-NOTES 6.3)
    result = run_module(coolify_app_batch, args_for(emulator, names=["shop-worker"], state="started", wait=False))
    item = result["applications"][0]
    assert result["failed"] is True and item["failed"] and item["changed"] is False
    assert "never stored: nothing was queued" in item["error"]
    assert result["msg"] == "started 0 of 1 applications; 1 failed: shop-worker (not queued)"
    reads = [r for r in emulator.requests_log() if r["path"].startswith("/api/v1/deployments")]
    assert [r["status"] for r in reads][-1] == 404


def test_wait_false_returns_once_every_item_is_queued_and_none_is_lost(emulator, run_module):
    # One build and a queue of one per server: 12 restarts fit only when submitted at Coolify's pace.
    emulator.configure(queue_limit=1, concurrent_builds=1, deploy_seconds=0.3)
    result = run_module(coolify_app_batch, args_for(emulator, project="shop", state="restarted", wait=False))
    assert not result.get("failed"), result["msg"]
    deployments = {dep["deployment_uuid"]: dep for dep in emulator.state()["deployments"]}
    for item in result["applications"]:
        assert item["deployment_uuid"] in deployments, item  # stored: nothing lost to a full queue
        assert item["reason"].startswith("restart queued (deployment")
    assert not [r for r in emulator.requests_log() if r["status"] == 429]


# --------------------------------------------------------------------------------------------------- the watcher


def test_one_watcher_reads_the_list_not_each_deployment(emulator, run_module):
    emulator.configure(deploy_seconds=1.0)
    result = run_module(coolify_app_batch, args_for(emulator, project="shop", state="restarted", poll_interval=0.1))
    assert not result.get("failed"), result["msg"]
    log = emulator.requests_log()
    items = result["applications"]
    ones = [r for r in log if re.match(r"/api/v1/deployments/[^/]+$", r["path"]) and "applications" not in r["path"]]
    lists = [r for r in log if r["path"] == "/api/v1/deployments"]
    # Each deployment is read once by uuid (when it left the list); the list read covers the polling.
    assert len(ones) == len(items)
    assert lists and len(log) <= 4 * len(items) + len(lists)
    assert sum(1 for r in log if r["path"] == "/api/v1/servers") == 1


@pytest.mark.parametrize("rate_limit, one_by_one", [(10 ** 9, True), (200, False)])
def test_status_waits_of_a_few_among_many_applications_skip_the_list_unless_a_rate_limit_prices_requests(
        emulator_factory, run_module, rate_limit, one_by_one):
    """Three of 300 applications started; their statuses turn running 2 s after the send, long after the build (0.2 s),
    so the watcher reads them over many polls. Without a binding rate limit it reads the list once (to learn its size),
    then one GET per application and poll, not 300 applications per poll; under Coolify's default rate limit
    (200 a minute) every request is dear and the list is read each poll where two or more wait."""
    emu = emulator_factory("--seed-apps", "300", "--seed-services", "0", "--seed-servers", "2", "--seed-projects", "2",
                           "--random-seed", "7", "--deploy-seconds", "0.2", "--status-lag-seconds", "2.0",
                           "--rate-limit", str(rate_limit))
    exited = sorted(app["uuid"] for app in emu.state()["applications"]
                    if app["team_id"] == 0 and app["status"].startswith("exited"))[:3]
    assert len(exited) == 3
    result = run_module(coolify_app_batch, args_for(emu, uuids=exited, state="started", poll_interval=0.1))
    assert not result.get("failed"), result["msg"]
    assert all(item["status_after"] == "running:healthy" for item in result["applications"])
    routes = emu.stats()["by_route"]
    lists, gets = routes.get("GET /api/v1/applications", 0), routes.get("GET /api/v1/applications/{uuid}", 0)
    if one_by_one:
        assert lists == 2, routes  # the selectors' list and the watcher's first; then GET /applications/{uuid}
    else:
        # The watcher reads the list again (not only to learn its size). How often, and whether a wait left alone
        # after its peers settled is read by itself (status_list_min, older than the cost rule), depends on where the
        # polls fall on a loaded machine; the pricing itself is unit-tested (test_watcher).
        assert lists >= 3, routes


def test_status_waits_read_one_by_one_fail_deleted_when_their_applications_are_deleted(emulator_factory, run_module):
    """Three of 300 applications started, no binding rate limit: once their builds finished, the watcher reads them
    with one GET each. Deleted then (their status would turn running only a minute later), each GET answers 404 and
    each wait fails "deleted" at once: never a hang until wait_timeout, never a success."""
    emu = emulator_factory("--seed-apps", "300", "--seed-services", "0", "--seed-servers", "2", "--seed-projects", "2",
                           "--random-seed", "7", "--deploy-seconds", "0.2", "--status-lag-seconds", "60",
                           "--rate-limit", str(10 ** 9))
    doomed = sorted(app["uuid"] for app in emu.state()["applications"]
                    if app["team_id"] == 0 and app["status"].startswith("exited"))[:3]
    assert len(doomed) == 3
    done = threading.Event()

    def delete_once_read_one_by_one():
        def builds_finished():
            deps = [dep for dep in emu.state()["deployments"] if dep["application_uuid"] in doomed]
            return len(deps) == 3 and all(dep["status"] == "finished" for dep in deps)

        def per_item_gets():
            return emu.stats()["by_route"].get("GET /api/v1/applications/{uuid}", 0)

        while not done.is_set() and not builds_finished():
            done.wait(0.05)
        start = per_item_gets()
        while not done.is_set() and per_item_gets() < start + 3:
            done.wait(0.05)  # the watcher reads them one by one now (three more GETs after the builds)
        for uuid in doomed:
            emu.delete_resource(uuid)

    helper = threading.Thread(target=delete_once_read_one_by_one, daemon=True)
    helper.start()
    try:
        result = run_module(coolify_app_batch, args_for(emu, uuids=doomed, state="started", poll_interval=0.1,
                                                        wait_timeout=300))
    finally:
        done.set()
        helper.join()
    assert result["failed"] and result["summary"]["failed"] == 3, result["msg"]
    for entry in result["applications"]:
        assert entry["failed"] and "404" in entry["error"], entry
        assert entry["status_after"] != "running:healthy", entry
    routes = emu.stats()["by_route"]
    assert routes.get("GET /api/v1/applications", 0) == 2, routes  # the selectors' and the watcher's first only


def test_max_workers_caps_requests_in_flight_including_the_watcher(emulator_factory, run_module):
    emu = emulator_factory(*FLEET, "--latency-ms", "30")
    run_module(coolify_app_batch, args_for(emu, project="shop", state="restarted", max_workers=2, poll_interval=0.05))
    stats = emu._admin("GET", "stats")  # pylint: disable=protected-access
    assert stats["peak_in_flight"] <= 2


# --------------------------------------------------------------------------------------------------- on failure


def test_failure_log_lines_returns_the_tail_without_hidden_entries_and_masked(emulator, run_module):
    worker = APPS.uuid_of(emulator, "shop-worker")
    emulator.configure(deploy_outcomes={worker: "failed"}, deploy_seconds=0.5)
    result = run_module(coolify_app_batch, args_for(emulator, names=["shop-worker"], state="started",
                                                    failure_log_lines=5))
    item = result["applications"][0]
    assert item["failed"] and item["deployment_status"] == "failed"
    lines = item["log_lines"]
    assert len(lines) == 5 and lines[-1] == "Deployment failed: the build exited with code 1."
    assert not [line for line in lines if line.startswith("[CMD]") or "ApplicationDeploymentJob.php" in line]
    assert emulator.token not in json.dumps(result)


def test_failure_log_lines_with_a_token_that_cannot_read_logs_says_so_once(emulator_factory, run_module):
    """Through the module: the watcher's note reaches the task as one Ansible warning, not once per item."""
    token = "5|nosensitive-token-for-logs"
    emu = emulator_factory(*FLEET, "--add-token", "%s=read,deploy" % token)
    emu.configure(deploy_outcomes={APPS.uuid_of(emu, name): "failed" for name in ("shop-worker", "billing-api")})
    result = run_module(coolify_app_batch, args_for(emu, api_token=token, names=["shop-worker", "billing-api"],
                                                    state="started", poll_interval=0.05, failure_log_lines=3))
    assert result["failed"] and len(result["applications"]) == 2
    assert all(item["failed"] and item["log_lines"] == [] for item in result["applications"])
    assert result["warnings"] == ["failure_log_lines needs a token with read:sensitive; Coolify sent no deployment logs."]
    assert token not in json.dumps(result)


def test_cancel_on_timeout_cancels_only_this_tasks_deployments_still_running(emulator, run_module):
    emulator.configure(deploy_seconds=30)
    args = args_for(emulator, names=["shop-worker"], state="started", wait_timeout=1)
    # Without the option a timeout cancels nothing.
    result = run_module(coolify_app_batch, args)
    assert result["failed"] is True and "cancelled" not in result["applications"][0]
    assert not [r for r in emulator.requests_log() if r["path"].endswith("/cancel")]
    emulator.reset()
    emulator.configure(deploy_seconds=30)
    result = run_module(coolify_app_batch, dict(args, cancel_on_timeout=True))
    item = result["applications"][0]
    assert result["failed"] is True and item["failed"] and item["cancelled"] is True
    assert item["deployment_status"] == "cancelled-by-user" and "cancel_on_timeout" in item["error"]
    [dep] = [d for d in emulator.state()["deployments"] if d["deployment_uuid"] == item["deployment_uuid"]]
    assert dep["status"] == "cancelled-by-user"
    cancels = [r for r in emulator.requests_log() if r["path"].endswith("/cancel")]
    assert [r["path"] for r in cancels] == ["/api/v1/deployments/%s/cancel" % item["deployment_uuid"]]


# --------------------------------------------------------------------------------------------------- progress


def test_progress_callback_reports_counts_and_ends_complete(emulator):
    emulator.configure(deploy_seconds=0.6)
    client = CoolifyClient(emulator.api_url, emulator.token)
    seen = []
    resources = resolve(client, "application", {"project": "shop"})
    result = run_lifecycle(client, "application", resources, "restarted", {"poll_interval": 0.05},
                           on_progress=seen.append, progress_every=0.2)
    client.close()
    total = len(resources)
    assert not result["failed"] and seen
    assert all(set(counts) == {"total", "done", "failed", "pending"} and counts["total"] == total for counts in seen)
    assert all(counts["done"] + counts["failed"] + counts["pending"] == total for counts in seen)
    assert seen[-1] == {"total": total, "done": total, "failed": 0, "pending": 0}
    assert any(counts["pending"] for counts in seen[:-1])


def test_a_deployment_already_queued_for_the_commit_is_followed_but_not_claimed(emulator, run_module):
    emulator.configure(deploy_seconds=0.8)
    uuid = APPS.uuid_of(emulator, "shop-web")
    status, _headers, body = emulator.request("POST", "/applications/%s/restart" % uuid)
    assert status == 200
    result = run_module(coolify_app_batch, args_for(emulator, names=["shop-web"], state="restarted"))
    item = result["applications"][0]
    assert not result.get("failed"), result["msg"]
    assert item["changed"] is False and item["deployment_uuid"] == body["deployment_uuid"]
    assert item["reason"] == ("a deployment of this commit was already queued; nothing new was queued, and it was "
                              "followed to the end")
    assert item["deployment_status"] == "finished" and item["status_after"] == "running:healthy"
    assert len([d for d in emulator.state()["deployments"] if d["application_uuid"] == uuid]) == 1


def test_cancel_on_timeout_never_cancels_another_actors_deployment_it_only_followed(emulator, run_module):
    """Coolify answered "already queued for this commit" (this task queued nothing) and the engine followed the other
    actor's deployment; when the wait runs out, cancel_on_timeout must not cancel a deployment this task did not create."""
    emulator.configure(deploy_seconds=30)
    uuid = APPS.uuid_of(emulator, "shop-web")
    status, _headers, _body = emulator.request("POST", "/applications/%s/restart" % uuid)
    assert status == 200
    result = run_module(coolify_app_batch, args_for(emulator, names=["shop-web"], state="restarted", wait_timeout=1,
                                                    cancel_on_timeout=True))
    assert result["applications"][0]["changed"] is False
    cancels = [entry["path"] for entry in emulator.requests_log() if entry["path"].endswith("/cancel")]
    assert cancels == [], cancels
