# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile review of the rate-window confirms (9762b23..386cca6): the watcher's held-window rules, fake clock."""

from __future__ import annotations

import pytest

# pylint: disable=import-error
from test_watcher import FakeClient, Clock, make  # noqa: F401  (same fake client and clock as test_watcher)


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
