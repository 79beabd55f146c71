# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile review of the rate-window confirms (9762b23..386cca6) over HTTP: a held rate-limit window while one
action's answer hangs (it is on the wire, and the pacer does not probe the next window while it is)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch

# pylint: disable=import-error
from _support import APP_NAMES, admits_uncertainty, api_log, connection, count, processed, uuids_of

RESTART = r"^/api/v1/applications/%s/restart$"


def restart_two_one_hanging(emu, proxy, run_module, limit, **extra):
    """app-1's restart is answered at once (its deployment is over in 0.2 s); app-2's answer hangs 2.5 s. With
    ``limit`` requests per 12 s the window is spent down to the watcher's reserve by the two restarts and the first
    reads: the actions are held while app-2's restart is still on the wire."""
    emu.configure(rate_limit=limit, rate_window=12.0, deploy_seconds=0.2)
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:2])
    proxy.add_rule("delay_after", RESTART % uuids[1], method="POST", seconds=2.5)
    args = connection(proxy.api_url, uuids=uuids, state="restarted", poll_interval=0.5, max_workers=2,
                      max_retries=3, timeout=10, wait_timeout=3)
    args.update(extra)
    return uuids, run_module(coolify_app_batch, args)


@pytest.mark.parametrize("limit", [6, 7, 8])
def test_a_deployment_that_left_the_list_in_a_held_window_is_read_before_its_deadline(emu, proxy, run_module, limit):
    """app-1's deployment finished half a second after its restart and left the list; its one GET /deployments/{uuid}
    is due at the next poll. On 386cca6 Watcher._read_left skips it while the window is held and anything is on the
    wire (app-2's hung restart) or a confirm is unread (app-2's, once answered), so the 3 s wait_timeout runs out
    first: app-1 fails "timed out ... (last deployment status: not read)" although Coolify says finished. On d8d2296
    the GET went at the first poll that missed it and app-1 was reported finished."""
    uuids, result = restart_two_one_hanging(emu, proxy, run_module, limit, wait=False)
    log = api_log(emu)
    state = emu.state()
    app1 = [item for item in result["applications"] if item["uuid"] == uuids[0]][0]
    dep = [d for d in state["deployments"] if d["application_uuid"] == uuids[0]]
    assert len(dep) == 1 and dep[0]["status"] == "finished", dep
    for uuid in uuids:
        assert count(log, "POST", RESTART % uuid) == 1, "%s: the restart was sent again" % uuid
    assert not app1["failed"], (app1.get("error"), [(e["method"], e["path"], e["status"]) for e in log])
    assert app1["deployment_uuid"] == dep[0]["deployment_uuid"]
    assert re.search(r"finished; not waited for", app1["reason"]), app1


@pytest.mark.parametrize("deploy", [30.0, 0.2])
@pytest.mark.parametrize("limit", [8, 12])
@pytest.mark.parametrize("fault", ["504", "502", "504-after-hang"])
def test_lost_answers_in_a_held_window_are_never_resent_nor_claimed_unseen(emu, proxy, run_module, fault, limit,
                                                                           deploy):
    """Holds on 386cca6 (and d8d2296): restarts of app-4 and app-6 are processed but their answer is lost while the
    window is spent down to the watcher's reserve; each is found through GET /deployments/applications/{uuid}, never
    resent, and no item is claimed queued without a deployment read after its restart (check_truthful)."""
    from test_tail_gather_504 import lose_answers  # pylint: disable=import-error
    emu.configure(rate_limit=limit, rate_window=12.0, deploy_seconds=deploy)
    uuids = uuids_of(emu.state(), "applications", APP_NAMES)
    lost = [uuids[3], uuids[-1]]
    lose_answers(emu, proxy, lost, fault)
    try:
        result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted", wait=False,
                                                          poll_interval=0.5, max_workers=3, max_retries=3,
                                                          timeout=10, wait_timeout=40))
    finally:
        emu.configure(lose_paths=[])
    check_truthful_under_a_rate_limit(emu, result, uuids, lost)


def check_truthful_under_a_rate_limit(emu, result, uuids, lost):
    """check_truthful, where a throttled restart (429, not processed) may be sent again, and a lost restart the rate
    limiter refused (the emulator turns that 429 into the 504 too) is reported as unknown, never queued."""
    log = api_log(emu)
    state = emu.state()
    by_uuid = {entry["uuid"]: entry for entry in result["applications"]}
    for uuid in uuids:
        posts = [e for e in log if e["method"] == "POST" and re.search(RESTART % uuid, e["path"])]
        done = [index for index, e in enumerate(posts) if processed([e], "POST", RESTART % uuid)]
        trail = [(e["status"], e.get("fault"), e.get("processed")) for e in posts]
        assert len(done) <= 1, (uuid, trail)
        assert not done or posts[done[0] + 1:] == [], (
            "%s: the restart was sent again after Coolify processed it: %r" % (uuid, trail))
        entry = by_uuid[uuid]
        deployments = [dep for dep in state["deployments"] if dep["application_uuid"] == uuid]
        if not done:
            assert uuid in lost and entry["failed"] and admits_uncertainty(entry["error"]), (uuid, trail, entry)
            continue
        assert len(deployments) == 1, (uuid, trail, deployments)
        if entry["failed"]:
            assert uuid in lost and admits_uncertainty(entry["error"]), (uuid, trail, entry)
            continue
        assert entry["deployment_uuid"] == deployments[0]["deployment_uuid"], (entry, deployments)
        index = log.index(posts[done[0]])
        later = [e for e in log[index + 1:]
                 if e["method"] == "GET" and re.search(r"^/api/v1/deployments(/|$)", e["path"])]
        assert later, "%s claimed without any deployment read after its restart: %r" % (uuid, entry)


@pytest.mark.parametrize("limit", [7, 8])
def test_a_finished_deployment_gives_its_build_slot_back_in_a_held_window(emu, proxy, run_module, limit):
    """Build slots: edge-01 takes 1 build + 1 queued (2 slots). app-1's and app-2's restarts take them, app-3 waits.
    Both deployments are over 0.2 s after they were queued (app-2's answer alone hangs 2.5 s). The watcher gives a
    slot back in Watcher._leave, after the one GET of a deployment that left the list. On 386cca6 that GET is skipped
    while the window is held and app-2's restart is on the wire (then while its confirm is unread), so app-3 fails
    "the server freed no build slot for 4s (its deployment queue stayed full); nothing was sent" although nothing
    was queued on edge-01 for 3.5 of those 4 s. On d8d2296 app-3 got app-1's slot at the first poll and was sent."""
    emu.configure(rate_limit=limit, rate_window=12.0, deploy_seconds=0.2, concurrent_builds=1, queue_limit=1)
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:3])
    proxy.add_rule("delay_after", RESTART % uuids[1], method="POST", seconds=2.5)
    result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted", wait=True,
                                                      poll_interval=0.5, max_workers=3, max_retries=3, timeout=10,
                                                      wait_timeout=4))
    log = api_log(emu)
    for uuid in uuids:
        assert count(log, "POST", RESTART % uuid) <= 1, "%s: the restart was sent again" % uuid
    finished = [dep["status"] for dep in emu.state()["deployments"] if dep["application_uuid"] in uuids[:2]]
    assert finished == ["finished", "finished"], finished  # edge-01's queue emptied; its slots are free
    starved = [(item["name"], item["error"]) for item in result["applications"]
               if "freed no build slot" in (item.get("error") or "")]
    assert not starved, (starved, [(e["method"], e["path"], e["status"]) for e in log])
