# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile review of the pacer/watcher change (watcher first with a reserve, watcher reads sent once, lazy status
reads after finished deployments, Watcher.hurry): selection, resends, and claims of states never observed."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coolops.coolify.plugins.modules import (
    coolify_app_batch, coolify_database_batch, coolify_service_batch)

# pylint: disable=import-error
from _proxy import HTML_502, JSON_503
from _support import (
    APP_NAMES, SERVICE_NAMES, admits_uncertainty, api_log, assert_no_secret, assert_refused, connection, count,
    load_harness, processed, uuids_of)
from test_faults_databases import FLAGS as DB_FLAGS, TOKEN as DB_TOKEN, args as db_args
from test_lost_answers import ACTION_ROUTES, check_lost


@pytest.fixture(name="dbemu")
def dbemu_fixture():
    with load_harness().EmulatorProcess(args=DB_FLAGS, token=DB_TOKEN) as emulator:
        yield emulator


OTHER_EMPTY = [(coolify_app_batch, {"names": [""]}), (coolify_app_batch, {"tags": []}),
               (coolify_app_batch, {"uuids": [" "]}), (coolify_service_batch, {"names": []}),
               (coolify_service_batch, {"tags": [""]}), (coolify_service_batch, {"project": ""})]


OTHER_IDS = ["%s-%r" % (case[0].__name__.rsplit(".", 1)[-1], case[1]) for case in OTHER_EMPTY]


@pytest.mark.parametrize("module,extra", OTHER_EMPTY, ids=OTHER_IDS)
def test_app_and_service_batch_templated_empty_selection_is_refused_before_any_call(emu, run_module, module, extra):
    args = connection(emu.api_url, state="restarted")
    args.update(extra)
    assert_refused(run_module(module, args), emu, no_calls=True)


DB_EMPTY = [{"names": []}, {"uuids": []}, {"database_uuids": [""]}, {"tags": ["", " "]}, {"project": "  "},
            {"server": ""}, {"project": "shop", "environment": ""}, {"names": [" "]}]


@pytest.mark.parametrize("extra", DB_EMPTY, ids=[repr(case) for case in DB_EMPTY])
def test_database_batch_empty_or_templated_empty_selection_is_refused_before_any_call(emu, run_module, extra):
    args = connection(emu.api_url, state="restarted")
    args.update(extra)
    result = run_module(coolify_database_batch, args)
    assert_refused(result, emu, no_calls=True)


@pytest.mark.parametrize("strategy,wait", [("sequential", True), ("sequential", False), ("rolling", True)])
def test_lost_action_answers_with_hurried_watcher_send_one_action_each(emu, run_module, strategy, wait):
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:3])
    emu.configure(lose_paths=[ACTION_ROUTES])
    result = run_module(coolify_app_batch, connection(emu.api_url, uuids=uuids, state="restarted", wait=wait,
                                                      strategy=strategy, max_retries=3))
    emu.configure(lose_paths=[])
    check_lost("application", result, emu, uuids, "restart", wait=wait)


def test_worker_actions_keep_client_retries_while_watcher_reads_once_with_one_worker(emu, proxy, run_module):
    """Thread-locals: the worker's action must still be retried after a 503 from Laravel (proof of no processing),
    while the watcher's reads that met a 502 are not retried by the client; max_workers=1 so the in-flight cap is
    shared by the watcher and the single worker (no deadlock)."""
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:2])
    target = r"^/api/v1/applications/%s/restart$" % uuids[1]
    proxy.add_rule("answer", target, method="POST", times=1, status=503, body=JSON_503,
                   content_type="application/json")
    proxy.add_rule("answer", r"^/api/v1/deployments", method="GET", times=2, status=502, body=HTML_502)
    result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted", max_workers=1,
                                                      max_retries=3))
    assert not result["failed"], result["msg"]
    assert len(proxy.attempts("POST", target)) == 2, "the worker lost its client retry"
    log = api_log(emu)
    for uuid in uuids:
        assert count(log, "POST", r"^/api/v1/applications/%s/restart$" % uuid) == 1
    failed_reads = [entry for entry in proxy.log if entry["method"] == "GET" and entry["injected"] == "answer"]
    assert len(failed_reads) == 2
    assert_no_secret(result)


def test_lost_service_restart_wait_false_claims_nothing_it_did_not_read(emu, run_module):
    uuids = uuids_of(emu.state(), "services", SERVICE_NAMES)
    emu.configure(lose_paths=[ACTION_ROUTES])
    result = run_module(coolify_service_batch, connection(emu.api_url, uuids=uuids, state="restarted", wait=False,
                                                          max_retries=3))
    emu.configure(lose_paths=[])
    log = api_log(emu)
    for entry in result["services"]:
        assert count(log, "POST", r"^/api/v1/services/%s/restart$" % entry["uuid"]) == 1
        if not entry["failed"]:
            # A success after a lost answer is only allowed on something read after the send.
            assert "lost" in (entry.get("reason") or "").lower() or entry.get("status_after"), entry
        else:
            assert admits_uncertainty(entry["error"]), entry


def test_lazy_status_wait_never_reports_a_status_it_did_not_read(emu, proxy, run_module):
    """The deployment finishes, but every status read after the first action fails: the item must not claim running."""
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:2])
    proxy.add_rule("hook", r"/restart$", method="POST", times=1,
                   hook=lambda method, path: emu.configure(fail_paths=[r"^GET /api/v1/applications"]))
    result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted", wait_timeout=4,
                                                      poll_interval=0.2, max_retries=1))
    emu.configure(fail_paths=[])
    log = api_log(emu)
    for entry in result["applications"]:
        assert processed(log, "POST", r"^/api/v1/applications/%s/restart$" % entry["uuid"]) == 1
        assert entry.get("status_after") in (None, ""), entry
        assert entry["failed"] or "running" not in str(entry.get("reason", "")), entry
    assert_no_secret(result)


def test_finished_restart_whose_status_is_never_read_still_reports_changed(emu, proxy, run_module):
    """The restart was accepted and its deployment finished (read): the item changed something, even if the lazy
    status read never succeeded; changed=false would hide a restart that really happened."""
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:2])
    proxy.add_rule("hook", r"/restart$", method="POST", times=1,
                   hook=lambda method, path: emu.configure(fail_paths=[r"^GET /api/v1/applications"]))
    result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted", wait_timeout=4,
                                                      poll_interval=0.2, max_retries=1))
    emu.configure(fail_paths=[])
    assert result["failed"]
    for entry in result["applications"]:
        assert entry["deployment_status"] == "finished", entry
        assert entry["changed"], entry
    # summary.changed counts only items that succeeded (same at 603cbf3): not asserted here.
    assert result["changed"], result["summary"]


@pytest.mark.parametrize("wait", [True, False], ids=["wait", "nowait"])
def test_lost_database_restart_answer_is_sent_once_and_not_reported_done_unread(dbemu, run_module, wait):
    dbemu.configure(lose_paths=[r"^POST /api/v1/databases/[^/]+/restart$"])
    result = run_module(coolify_database_batch, db_args(dbemu.api_url, names=["shop-pg"], state="restarted", wait=wait))
    dbemu.configure(lose_paths=[])
    log = api_log(dbemu)
    assert count(log, "POST", r"^/api/v1/databases/db-shop-pg/restart$") == 1
    assert [item for item in log if item.get("fault") == "lost"], "the answer was not lost: the test proves nothing"
    entry = result["databases"][0]
    if entry["failed"]:
        assert admits_uncertainty(entry["error"]), entry
    else:
        # a success after a lost answer must rest on a status read after the send
        assert entry.get("status_after"), entry
        real = [row for row in dbemu.state()["databases"] if row["uuid"] == "db-shop-pg"][0]["status"]
        # healthy=false: the health part may move on (starting -> healthy) after the last read
        assert entry["status_after"].split(":")[0] == real.split(":")[0] == "running", (entry, real)


def test_queued_service_restart_is_not_reported_done_when_status_reads_fail(emu, proxy, run_module):
    """The restart is accepted (queued job) but no status read after it succeeds: never done."""
    uuids = uuids_of(emu.state(), "services", SERVICE_NAMES[:2])
    proxy.add_rule("hook", r"/restart$", method="POST", times=1,
                   hook=lambda method, path: emu.configure(fail_paths=[r"^GET /api/v1/services"]))
    result = run_module(coolify_service_batch, connection(proxy.api_url, uuids=uuids, state="restarted",
                                                          wait_timeout=3, poll_interval=0.2, max_retries=1))
    emu.configure(fail_paths=[])
    assert result["failed"]
    for entry in result["services"]:
        assert entry["failed"] and not entry.get("status_after"), entry
        assert count(api_log(emu), "POST", r"^/api/v1/services/%s/restart$" % entry["uuid"]) == 1


def test_wait_false_restart_never_claims_queued_when_no_read_after_the_send_succeeds(emu, proxy, run_module):
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:2])
    proxy.add_rule("hook", r"/restart$", method="POST", times=1,
                   hook=lambda method, path: emu.configure(fail_paths=[r"^GET /api/v1/(deployments|applications)"]))
    result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted", wait=False,
                                                      wait_timeout=3, poll_interval=0.2, max_retries=1))
    emu.configure(fail_paths=[])
    assert result["failed"]
    for entry in result["applications"]:
        assert entry["failed"] and entry["deployment_status"] is None and entry["status_after"] is None, entry
        assert "queued" not in (entry.get("reason") or ""), entry
        # wait=false waited to see it queued, not finished; the error says what it waited for
        assert entry["error"] == "Timed out after 3s waiting for deployment %s to be seen queued (last deployment status: "\
            "not read)." % entry["deployment_uuid"], entry


def test_wait_false_service_restart_reports_queued_only_after_a_read(emu, run_module):
    uuids = uuids_of(emu.state(), "services", SERVICE_NAMES)
    result = run_module(coolify_service_batch, connection(emu.api_url, uuids=uuids, state="restarted", wait=False))
    log = api_log(emu)
    for entry in result["services"]:
        posts = [index for index, item in enumerate(log)
                 if item["method"] == "POST" and item["path"] == "/api/v1/services/%s/restart" % entry["uuid"]]
        assert len(posts) == 1, entry
        later_reads = [item for item in log[posts[0] + 1:] if item["method"] == "GET"
                       and item["path"] in ("/api/v1/services", "/api/v1/services/%s" % entry["uuid"])]
        if not later_reads:  # nothing read after the send: only "requested" may be claimed
            assert entry["status_after"] is None and "requested" in entry["reason"], entry
            assert not any(word in json.dumps(entry) for word in ("queued", "done", "finished")), entry


def test_tight_rate_limit_with_one_worker_and_the_watcher_reserve_finishes_with_one_action_each(emu, run_module):
    """Reserve of 2 for the watcher + max_in_flight 1 + a limit of 6 requests per 2 s window: no deadlock, no 429
    resend of an action, every restart sent once and observed."""
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:3])
    emu.configure(rate_limit=6, rate_window=2.0)
    result = run_module(coolify_app_batch, connection(emu.api_url, uuids=uuids, state="restarted", max_workers=1,
                                                      wait_timeout=40, poll_interval=0.3))
    emu.configure(rate_limit=200)  # the emulator default
    log = api_log(emu)
    for uuid in uuids:
        assert processed(log, "POST", r"^/api/v1/applications/%s/restart$" % uuid) == 1
    assert not result["failed"], result["msg"]
