# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile review of the rate-window confirms (9762b23..386cca6): the watcher's held-window rules, fake clock."""

from __future__ import annotations

import pytest

# pylint: disable=import-error
from test_watcher import FakeClient, Clock, make, servers  # noqa: F401  (same fakes as test_watcher)

from ansible_collections.coolops.coolify.plugins.module_utils._slots import ServerSlots


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client():
    return FakeClient()


def test_held_window_with_a_hung_action_never_delays_the_final_get_of_a_wait_true_follow(client, clock):
    """wait: true has no confirm read at all, yet _confirm_pending_in_held_window defers the one GET of a deployment
    that left the list whenever the window is held and *any* request is on the wire (here: an action whose answer
    hangs, which also keeps the pacer from probing the next window). The deployment finished; the deadline then
    comes first and the item is reported timed out (last status in_progress) and handed to cancel_on_timeout."""
    held, on_wire = {"on": True}, ["hung-restart"]
    client.actions_held = lambda: held["on"]
    client.in_flight = lambda: len(on_wire)
    watcher = make(client, clock, deadline=clock() + 5.0)
    client.add("d1", "in_progress")
    wait = watcher.follow_deployment("d1", "app1")  # wait: true (until finished)
    watcher.poll_once()
    assert wait.result["deployment_status"] == "in_progress"
    client.deployments["d1"]["status"] = "finished"  # leaves the list; GET /deployments/d1 says finished
    clock.sleep(2.0)
    watcher.poll_once()  # it left the list: its one GET is due now
    clock.sleep(3.0)
    watcher.poll_once()  # the deadline
    assert client.count("get_deployment") == 1, client.calls
    assert wait.state == "done" and wait.result["reason"] == "finished", wait.result
    assert watcher.timed_out_deployments() == []


def test_a_deployment_that_left_the_list_gives_its_build_slot_back_in_a_held_window(client, clock):
    """A server with 1 build + 1 queued slot; both held by this task's deployments, which then finished. The slot of
    each comes back only in Watcher._leave, after its GET; _read_left skips those GETs while the window is held and a
    restart is on the wire, so a worker waiting for the slot (slots.waiting) gets nothing and fails "the server freed
    no build slot ... (its deployment queue stayed full)" although Coolify's queue is empty."""
    client.actions_held = lambda: True
    client.in_flight = lambda: 1  # a third restart (another server) whose answer hangs
    slots = ServerSlots(servers((1, 1, 1)), clock=clock)
    assert slots.acquire(1, clock()) and slots.acquire(1, clock())
    watcher = make(client, clock, slots=slots)
    for dep_uuid in ("d1", "d2"):
        client.add(dep_uuid, "in_progress")
        watcher.follow_deployment(dep_uuid, "app-" + dep_uuid, slot=1)
    watcher.poll_once()
    for dep_uuid in ("d1", "d2"):
        client.deployments[dep_uuid]["status"] = "finished"
    clock.sleep(2.0)
    watcher.poll_once()
    assert slots.free(1) == 2, (slots.snapshot(), client.calls)
