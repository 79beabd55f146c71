# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile review (helper-44, branch attack6) of 032a531: the re-read of a deployment GET that met a rate-limit 429
(Watcher._read_one, _read_put_off_expired, _expire). Fake client and injected clock, as in test_watcher.py."""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.tests.unit.plugins.module_utils.test_watcher import (
    ApiError, Clock, FakeClient, gets_of, make)
from ansible_collections.coolops.coolify.plugins.module_utils._watcher import MAX_REREADS


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client():
    return FakeClient()


def throttled(count=1):
    return [ApiError(429, "Too Many Attempts.") for dummy in range(count)]


def heavy_foreign_list(client):
    """Other actors' deployments carry their whole logs (read:sensitive): a small follow switches to per-uuid GETs."""
    for number in range(5):
        client.add("foreign%d" % number, "in_progress", logs="x" * 400_000)


def per_poll_gets(client, dep_uuid, poll):
    """Run ``poll`` and return how many GET /deployments/{dep_uuid} it sent."""
    before = len(gets_of(client, dep_uuid))
    poll()
    return len(gets_of(client, dep_uuid)) - before


def test_per_uuid_mode_a_429_makes_the_next_poll_get_the_same_active_deployment_twice(client, clock):
    """In per-uuid mode every follow is read with _read_one each poll, so a 429 there sets read_again although the
    deployment never left the list (it is still in progress). The next poll then reads it in _read_put_off_expired
    AND again in _poll_deployments' per-uuid loop: two GETs of one deployment in one poll, the second one wasted, and
    under the very rate limit that caused the 429."""
    heavy_foreign_list(client)
    client.add("mine", "in_progress", logs="y")
    watcher = make(client, clock)
    watcher.follow_deployment("mine", "app1")
    assert watcher.poll_once()["mode"] == "list"
    client.errors["get_deployment"] = throttled()
    clock.sleep(2.0)
    assert per_poll_gets(client, "mine", watcher.poll_once) == 1  # per-uuid GET: 429
    clock.sleep(2.0)
    sent = per_poll_gets(client, "mine", watcher.poll_once)
    assert sent == 1, "one poll sent %d GETs of the same in-progress deployment: %r" % (sent, client.calls[-3:])


def test_held_past_its_deadline_a_throttled_still_running_deployment_is_read_once_and_handed_to_cancel(client, clock):
    """Held: past the deadline the re-read of a still-running deployment comes first, _expire then times it out and
    _leave drops it from _follows, so the per-uuid loop does not read it again; it is listed for cancel_on_timeout."""
    heavy_foreign_list(client)
    client.add("mine", "in_progress", logs="y")
    watcher = make(client, clock)
    wait = watcher.follow_deployment("mine", "app1", deadline=clock() + 3.0)
    watcher.poll_once()  # list (t=0)
    clock.sleep(2.0)
    client.errors["get_deployment"] = throttled()
    watcher.poll_once()  # per-uuid GET at t=2: 429 -> read_again
    clock.sleep(2.0)  # t=4: past the deadline
    sent = per_poll_gets(client, "mine", watcher.poll_once)
    assert wait.state == "failed" and wait.result["reason"] == "timed out", wait.result
    assert watcher.timed_out_deployments() == ["mine"]  # still running: handed to cancel_on_timeout (held)
    assert sent == 1, "the poll that timed it out sent %d GETs of it" % sent


def test_the_throttled_read_budget_is_spent_by_earlier_per_uuid_429s_so_the_final_read_is_not_read_again(
        client, clock):
    """Wait.failed_reads is never reset after a read succeeds. A long deployment followed per uuid meets a 429 in
    two windows (each window's first request is often the watcher's poll, and Laravel's Retry-After can be a second
    short): both were read again successfully a poll later. It then finishes and leaves; its GET at the last poll
    before the deadline meets a 429 and, the budget being spent long ago, is not read again: the item is reported
    "timed out ... (last deployment status: in_progress)" and handed to cancel_on_timeout, although it finished and
    nothing but that one throttled read stood between it and "finished". The claim "never reported timed out merely
    because its read was throttled" only holds for the first MAX_REREADS 429s of a wait's whole life."""
    assert MAX_REREADS == 2
    heavy_foreign_list(client)
    client.add("mine", "in_progress", logs="y")
    watcher = make(client, clock)
    wait = watcher.follow_deployment("mine", "app1", deadline=clock() + 11.0)
    watcher.poll_once()  # t=0 list (learns the list is heavy)
    for dummy in range(2):  # t=2/6: a 429, then t=4/8: read again, in progress
        clock.sleep(2.0)
        client.errors["get_deployment"] = throttled()
        watcher.poll_once()
        clock.sleep(2.0)
        watcher.poll_once()
        assert wait.pending and wait.result["deployment_status"] == "in_progress"
    client.deployments["mine"]["status"] = "finished"
    clock.sleep(2.0)
    client.errors["get_deployment"] = throttled()
    watcher.poll_once()  # t=10, before the deadline (t=11): its GET meets a 429
    clock.sleep(2.0)
    watcher.poll_once()  # t=12
    assert watcher.timed_out_deployments() == [], "a finished deployment handed to cancel_on_timeout"
    assert wait.state == "done" and wait.result["reason"] == "finished", wait.result


def test_list_mode_a_failed_re_read_is_followed_by_a_second_get_in_the_same_poll(client, clock):
    """List mode: a departed deployment's GET met a 429; the next poll re-reads it first (_read_put_off_expired), and
    when that meets a 429 again it is still in _follows and absent from the list, so _read_left GETs it once more in
    the same poll. Both re-reads of the MAX_REREADS budget are spent within one poll (and one of them is a
    duplicate request): the bound is one poll interval of throttling, not MAX_REREADS polls."""
    client.add("d1", "finished")  # quick: left before any list saw it
    watcher = make(client, clock)
    wait = watcher.follow_deployment("d1", "app1", deadline=clock() + 100.0)
    client.errors["get_deployment"] = throttled(2)
    assert per_poll_gets(client, "d1", watcher.poll_once) == 1  # 429
    clock.sleep(2.0)
    sent = per_poll_gets(client, "d1", watcher.poll_once)  # re-read: 429; then _read_left: GET again
    assert sent == 1, "one poll sent %d GETs of d1 (%r)" % (sent, wait.result)
