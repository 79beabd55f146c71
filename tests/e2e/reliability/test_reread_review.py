# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile review (helper-44, branch attack6) of 032a531 over HTTP: the GET /deployments/{uuid} of a deployment that
left the list meets a rate-limit 429 (Laravel's headers, answered by the proxy in front of the emulator) near the end
of its wait."""

from __future__ import annotations

import time

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch

# pylint: disable=import-error
from _proxy import JSON_429
from _support import APP_NAMES, api_log, connection, count, uuids_of

ONE_DEPLOYMENT = r"^/api/v1/deployments/[^/]+$"


def laravel_429_headers():
    reset = int(time.time()) + 1
    return [("Retry-After", "1"), ("X-RateLimit-Reset", str(reset)), ("X-RateLimit-Limit", "200"),
            ("X-RateLimit-Remaining", "0")]


@pytest.mark.parametrize("throttled", [1, 2])
@pytest.mark.parametrize("wait_timeout", [1, 2])
def test_a_departed_deployment_whose_get_meets_429s_is_reported_finished_not_timed_out(
        emu, proxy, run_module, throttled, wait_timeout):
    """app-1's deployment is over in 0.2 s and leaves the list; its GET meets ``throttled`` 429s (at most
    MAX_REREADS), the pacer holds the next request for about two seconds, so the re-read comes past the
    short wait_timeout. The claim: reported finished, never "timed out ... (last deployment status: not read)"."""
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:1])
    proxy.add_rule("answer", ONE_DEPLOYMENT, method="GET", times=throttled, status=429, body=JSON_429,
                   content_type="application/json", headers=laravel_429_headers())
    started = time.monotonic()
    result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted",
                                                      poll_interval=0.5, wait_timeout=wait_timeout))
    took = time.monotonic() - started
    item = result["applications"][0]
    gets = proxy.attempts("GET", ONE_DEPLOYMENT)
    assert [entry["status"] for entry in gets][:throttled] == [429] * throttled, gets
    assert not item["failed"], (item.get("error"), gets)
    assert item["deployment_status"] == "finished", item
    assert count(api_log(emu), "POST", r"/cancel$") == 0
    assert took < wait_timeout + 2 * 2.5 + 2, took  # late by at most the pacer's holds after the 429s


@pytest.mark.parametrize("wait_timeout", [1])
def test_a_departed_deployment_whose_get_meets_a_429_then_a_502_is_not_reported_timed_out_unread(
        emu, proxy, run_module, wait_timeout):
    """Gap (fails on 032a531): the re-read past the deadline is granted for a 429 only. When that re-read meets a 502
    from the proxy (the watcher's thread sends each request once), _read_one clears read_again and _expire fails the
    item in the same poll: "timed out ... (last deployment status: not read)", and it is listed for
    cancel_on_timeout, although Coolify says finished and the next GET would have said so. The same reasoning as the
    429's (a departed deployment's final status does not change) holds for any transient error."""
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:1])
    proxy.add_rule("answer", ONE_DEPLOYMENT, method="GET", times=1, status=429, body=JSON_429,
                   content_type="application/json", headers=laravel_429_headers())
    proxy.add_rule("answer", ONE_DEPLOYMENT, method="GET", times=1, status=502)
    result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted",
                                                      poll_interval=0.5, wait_timeout=wait_timeout,
                                                      cancel_on_timeout=True))
    item = result["applications"][0]
    gets = proxy.attempts("GET", ONE_DEPLOYMENT)
    assert [entry["status"] for entry in gets][:2] == [429, 502], gets
    assert not item["failed"], (item.get("error"), gets)
    assert item["deployment_status"] == "finished", item


@pytest.mark.parametrize("hangs,read_timeout", [(1, 2), (3, 5)])
def test_lost_answers_past_the_deadline_are_not_waited_for_again(emu, proxy, run_module, hangs, read_timeout):
    """helper-45's review of eeb1cfa: app-1's deployment leaves the list at once, and the answers to its GET are held
    past the client's read timeout ``hangs`` times. Each re-read of an answer that never came waited a whole read
    timeout, and MAX_REREADS of them were granted past the deadline: with a 5 s timeout the task ended about 15.6 s
    after the restart, and the item was still "not read". Past the deadline only an answered failure is read again,
    so the task ends within wait_timeout + one 2 s window + the read on the wire at the deadline (+ 2.5 s), and the
    item is reported finished or honestly unread."""
    emu.configure(rate_limit=50, rate_window=2.0)
    uuids = uuids_of(emu.state(), "applications", APP_NAMES[:1])
    proxy.add_rule("delay_after", ONE_DEPLOYMENT, method="GET", times=hangs, seconds=read_timeout + 2.0)
    wait_timeout = 1
    started = time.monotonic()
    result = run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted", timeout=read_timeout,
                                                      poll_interval=0.5, wait_timeout=wait_timeout, max_retries=3))
    took = time.monotonic() - started
    item = result["applications"][0]
    assert count(api_log(emu), "POST", r"/restart$") == 1
    assert took <= wait_timeout + 2.0 + read_timeout + 2.5, (took, item)
    assert item["deployment_status"] == "finished" or "not read" in (item.get("error") or ""), item
