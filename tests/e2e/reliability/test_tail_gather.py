# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile review of the tail gather (wait: false): a confirm read that comes due while the last actions are on the
wire waits for their answers (at most TAIL_GATHER). Whatever the gather does, an item is claimed queued only from a
read sent after its action was answered, no action is sent twice, and the watcher's thread ends with the task."""

from __future__ import annotations

import re
import threading
import time

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch

# pylint: disable=import-error
from _support import APP_NAMES, api_log, connection, count, processed, uuids_of

LIST = r"^/api/v1/deployments$"


def watcher_threads():
    return [thread for thread in threading.enumerate() if thread.name == "coolify-watcher" and thread.is_alive()]


def timed_proxy(proxy):
    """Arrival times of the list reads, and when each request the proxy forwarded was answered (its log entry is
    recorded just before the answer is written back)."""
    arrivals, answered = [], []
    proxy.add_rule("hook", LIST, method="GET", hook=lambda method, path: arrivals.append(time.monotonic()))
    record = proxy._record  # pylint: disable=protected-access

    def timed_record(method, path, kind, status):
        answered.append((method, path, time.monotonic()))
        record(method, path, kind, status)

    proxy._record = timed_record  # pylint: disable=protected-access
    return arrivals, answered


def assert_each_queued_once(emu, result, uuids):
    """Every item confirmed queued from a list read, its restart processed once; returns the emulator's log."""
    assert not result["failed"], result["msg"]
    for entry in result["applications"]:
        assert entry["reason"].startswith("restart queued (deployment"), entry
    log = api_log(emu)
    for uuid in uuids:
        assert processed(log, "POST", r"^/api/v1/applications/%s/restart$" % uuid) == 1
    assert count(log, "GET", r"^/api/v1/deployments/") == 0, "a deployment left the list unread"
    return log


def test_a_hung_last_action_is_claimed_queued_only_from_a_read_sent_after_its_answer(emu, proxy, run_module):
    # Every other action is answered at once; the last one hangs 1.5 s after Coolify queued its deployment (which
    # is in the list all along). The read due meanwhile gathers at most 0.2 s and goes without it; the hung item is
    # confirmed by a read sent after its answer, and nothing is sent twice.
    emu.configure(deploy_seconds=30.0)  # nothing leaves the list during the task: every read is a list read
    uuids = uuids_of(emu.state(), "applications", APP_NAMES)
    hung = uuids[-1]
    proxy.add_rule("delay_after", r"^/api/v1/applications/%s/restart$" % hung, method="POST", seconds=1.5)
    arrivals, answered = timed_proxy(proxy)
    before = watcher_threads()
    result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted", wait=False,
                                                      poll_interval=2.0, max_workers=6, timeout=10))
    assert_each_queued_once(emu, result, uuids)
    hung_answered = [at for method, path, at in answered if method == "POST" and hung in path]
    assert len(hung_answered) == 1
    later = [at for at in arrivals if at > hung_answered[0]]
    assert later, "the hung item was claimed queued without a list read sent after its answer: %r" % (arrivals,)
    assert len(arrivals) <= 3, arrivals
    assert watcher_threads() == before


def test_wait_false_under_a_tight_rate_limit_sends_each_action_once_and_confirms_every_item(emu, run_module):
    # Four requests a second: most actions wait in the pacer for the next window while a few are on the wire.
    emu.configure(rate_limit=4, rate_window=1.0, deploy_seconds=30.0)
    uuids = uuids_of(emu.state(), "applications", APP_NAMES)
    before = watcher_threads()
    result = run_module(coolify_app_batch, connection(emu.api_url, uuids=uuids, state="restarted", wait=False,
                                                      poll_interval=2.0, max_workers=4, max_retries=8,
                                                      wait_timeout=60))
    emu.configure(rate_limit=200)
    log = assert_each_queued_once(emu, result, uuids)
    assert watcher_threads() == before
    assert [entry for entry in log if re.search(LIST, entry["path"])]
