# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lost answers on every action route (issue 11, row 2), with the emulator's ``lose_paths`` (``--lose-response``).

The emulator processes each action in full (a restart creates its deployment, a stop queues its job), then answers
with nginx's 504 page. Two promises are checked, whatever the modules later learn to verify:

* exactly one action request per item reaches the emulator: an action whose outcome is unknown is never resent;
* no item claims a success the emulator did not really carry out: a successful item names what really happened
  (its deployment, its status); every other item says its outcome is unknown.
"""

from __future__ import annotations

import time

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch, coolify_service_batch

# pylint: disable=import-error
from _support import (
    APP_NAMES,
    SERVICE_NAMES,
    admits_uncertainty,
    api_log,
    assert_no_secret,
    assert_one_sentence,
    check_lifecycle_items,
    connection,
    uuids_of,
)

ACTION_ROUTES = r"^POST /api/v1/(applications|services)/[^/]+/(start|stop|restart)$"


def action_entries(log, table, uuid):
    suffix = "/api/v1/%s/%s/" % (table, uuid)
    return [entry for entry in log if entry["method"] == "POST" and entry["path"].startswith(suffix)
            and entry["path"].rsplit("/", 1)[-1] in ("start", "stop", "restart")]


def stop_all(emu, table, uuids):
    """Stop resources through the API (not through the module) and wait until the emulator reports them exited."""
    for uuid in uuids:
        emu.request("POST", "/%s/%s/stop" % (table, uuid))
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = {row["uuid"]: row for row in emu.state()[table]}
        if all(rows[uuid]["status"].startswith("exited") for uuid in uuids):
            return
        time.sleep(0.05)
    raise AssertionError("the resources did not stop")


def check_lost(kind, result, emu, uuids, action, since=0, wait=True):
    table = "applications" if kind == "application" else "services"
    state, log = check_lifecycle_items(kind, result, emu, expect_items=len(uuids), since=since)
    rows = {row["uuid"]: row for row in state[table]}
    by_uuid = {item["uuid"]: item for item in result[table]}
    for uuid in uuids:
        sent = action_entries(log, table, uuid)
        assert len(sent) == 1, "%s: %d action requests reached the emulator, expected exactly one" % (uuid, len(sent))
        assert sent[0]["path"].endswith("/" + action) and sent[0].get("fault") == "lost", sent[0]
        item = by_uuid[uuid]
        if item["failed"]:
            assert admits_uncertainty(item["error"]), "%s: the action was carried out, yet: %s" % (uuid, item["error"])
            continue
        # A success must be what really happened.
        assert item["changed"], item
        if kind == "application" and action != "stop":
            deployments = [dep for dep in state["deployments"] if dep["application_uuid"] == uuid]
            assert len(deployments) == 1 and deployments[0]["deployment_uuid"] == item["deployment_uuid"], item
            if not wait:
                # wait=false: done once the deployment the lost request created was found queued (or further on).
                assert deployments[0]["status"] in ("queued", "in_progress", "finished"), deployments
                assert "The answer was lost; the deployment it created was found." in item["reason"], item
                continue
            assert deployments[0]["status"] == "finished", deployments
        elif not wait:
            continue  # a service or a stop without waiting: nothing is claimed beyond the accepted request
        expected = "exited" if action == "stop" else "running"
        assert rows[uuid]["status"].startswith(expected) and item["status_after"] == rows[uuid]["status"], item
    assert_one_sentence(result["msg"])
    assert_no_secret(result)
    return state, log


APP_CASES = [("restarted", "restart", True), ("deployed", "start", True), ("stopped", "stop", True),
             ("started", "start", True), ("restarted", "restart", False)]


@pytest.mark.parametrize("state,action,wait", APP_CASES,
                         ids=["%s-%s" % (case[0], "wait" if case[2] else "nowait") for case in APP_CASES])
def test_lost_answers_on_application_actions(emu, run_module, state, action, wait):
    names = APP_NAMES[:4]
    uuids = uuids_of(emu.state(), "applications", names)
    if state == "started":
        stop_all(emu, "applications", uuids)
    since = len(api_log(emu))  # the set-up's own stops come before
    emu.configure(lose_paths=[ACTION_ROUTES])
    result = run_module(coolify_app_batch, connection(emu.api_url, uuids=uuids, state=state, wait=wait, max_retries=3))
    emu.configure(lose_paths=[])
    check_lost("application", result, emu, uuids, action, since, wait=wait)
    assert result["failed"] == bool(result["summary"]["failed"])


SERVICE_CASES = [("restarted", "restart", True), ("stopped", "stop", True), ("started", "start", True),
                 ("stopped", "stop", False)]


@pytest.mark.parametrize("state,action,wait", SERVICE_CASES,
                         ids=["%s-%s" % (case[0], "wait" if case[2] else "nowait") for case in SERVICE_CASES])
def test_lost_answers_on_service_actions(emu, run_module, state, action, wait):
    uuids = uuids_of(emu.state(), "services", SERVICE_NAMES)
    if state == "started":
        stop_all(emu, "services", uuids)
    since = len(api_log(emu))  # the set-up's own stops come before
    emu.configure(lose_paths=[ACTION_ROUTES])
    result = run_module(coolify_service_batch, connection(emu.api_url, uuids=uuids, state=state, wait=wait,
                                                          max_retries=3))
    emu.configure(lose_paths=[])
    check_lost("service", result, emu, uuids, action, since, wait=wait)


def test_a_fleet_behind_a_proxy_that_loses_every_action_answer_gets_one_action_each(emu, run_module):
    """Issue 11: 9 apps and services each received 6 action POSTs, and were reported as a success."""
    apps = uuids_of(emu.state(), "applications", APP_NAMES)
    services = uuids_of(emu.state(), "services", SERVICE_NAMES)
    emu.configure(lose_paths=[ACTION_ROUTES])
    app_result = run_module(coolify_app_batch, connection(emu.api_url, uuids=apps, state="restarted", max_retries=5))
    service_result = run_module(coolify_service_batch, connection(emu.api_url, uuids=services, state="restarted",
                                                                  max_retries=5))
    emu.configure(lose_paths=[])
    posts = [entry for entry in api_log(emu) if entry["method"] == "POST"]
    assert len(posts) == len(apps) + len(services), [entry["path"] for entry in posts]
    check_lost("application", app_result, emu, apps, "restart")
    check_lost("service", service_result, emu, services, "restart")
