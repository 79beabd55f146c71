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
from _support import APP_NAMES, api_log, connection, count, uuids_of

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
