# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pacer's in-flight cap over real HTTP: every attempt the pacer let out is given back to it.

The cap (the task's max_workers) is counted in the pacer since it replaced _lifecycle._Gate's semaphore, so an attempt
that never reaches after_response holds its place for the rest of the task: with max_workers 1, every later request
waits forever.
"""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.tests.e2e.loopback import ScriptedHandler, serve
from ansible_collections.coolops.coolify.tests.unit.fake_clock import FakeClock


@pytest.fixture
def capture_server():
    with serve(ScriptedHandler, seen=[], script={}) as server:
        yield server


def test_an_answer_that_breaks_the_error_decoding_gives_its_place_back(capture_server):
    """A 502 whose JSON body is nested too deep to decode (a broken proxy, a hostile peer): json raises RecursionError,
    which is no ValueError, inside _answer_case, before after_response is called."""
    depth = 100000
    body = b"[" * depth + b"]" * depth
    capture_server.script["/api/v1/servers"] = (502, "application/json", body, {})
    clock = FakeClock()
    client = CoolifyClient(capture_server.url, "t", max_retries=0, clock=clock, sleep=clock.sleep)
    client.pacer.limit_in_flight(1)  # what _lifecycle._Gate does for max_workers: 1
    with pytest.raises(Exception):
        client.list_servers()
    assert client.pacer.snapshot()["in_flight"] == 0


class Stuck(Exception):
    pass


def test_after_such_an_answer_the_next_request_under_max_workers_1_is_still_sent(capture_server):
    """The watcher catches every exception of a read and polls on; with the place leaked, its next request (and every
    submitter's) waits for a place that never frees: the task hangs."""
    depth = 100000
    capture_server.script["/api/v1/servers"] = [(502, "application/json", b"[" * depth + b"]" * depth, {}),
                                                (200, "application/json", b"[]", {})]
    clock = FakeClock()
    client = CoolifyClient(capture_server.url, "t", max_retries=0, clock=clock, sleep=clock.sleep)
    client.pacer.limit_in_flight(1)
    with pytest.raises(Exception):
        client.list_servers()
    waited = []

    def bounded_sleep(seconds):
        waited.append(seconds)
        if sum(waited) > 60:
            raise Stuck("still waiting for a place after %d sleeps" % len(waited))
        clock.sleep(seconds)

    client.pacer._sleep = bounded_sleep
    assert client.list_servers() == []
