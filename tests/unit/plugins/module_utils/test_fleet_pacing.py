# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet pacing with a fake Coolify: every server builds at once (no head-of-line blocking on one full server), time
spent waiting for a build slot is not charged to wait_timeout, and wait: false confirms "queued" from list reads."""

from __future__ import annotations

import threading
import time

from ansible_collections.coolops.coolify.plugins.module_utils import _lifecycle as lc
from ansible_collections.coolops.coolify.plugins.module_utils._slots import NO_SLOT, ServerSlots, SlotQueue


class Clock(object):
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def servers(count, builds, queue_limit):
    return [{"uuid": "srv-%d" % sid, "settings": {"server_id": sid, "concurrent_builds": builds,
                                                  "deployment_queue_limit": queue_limit}}
            for sid in range(1, count + 1)]


class FakeCoolify(object):
    """Applications on servers; a restart queues a deployment that finishes after ``lists`` list reads saw it."""

    def __init__(self, per_server, count=4, builds=2, queue_limit=1, lists=2, lasts=None, latency=0.0):
        self.servers = servers(count, builds, queue_limit)
        self.capacity = builds + queue_limit
        self.lists = lists
        self.lasts = lasts  # seconds a deployment stays active (instead of ``lists`` list reads)
        self.latency = latency  # seconds each action takes to answer
        self.apps = {}
        for sid in range(1, count + 1):
            for number in range(per_server):
                self.apps["app-%d-%d" % (sid, number)] = sid
        self.deployments = {}
        self.posts = []
        self.calls = []
        self.refused = 0
        self._lock = threading.Lock()

    def resources(self):
        # In server order, as a selector returns them: every app of server 1 first, then server 2's...
        return [{"uuid": uuid, "name": uuid, "status": "running:healthy", "destination": {"server_id": sid}}
                for uuid, sid in self.apps.items()]

    def _active(self, sid):
        return sum(1 for dep in self.deployments.values() if dep["server_id"] == sid and dep["status"] == "queued")

    def list_servers(self):
        self.calls.append("list_servers")
        return self.servers

    def resource_action(self, kind, uuid, action, params=None):
        time.sleep(self.latency)
        with self._lock:
            self.calls.append("post")
            sid = self.apps[uuid]
            if self._active(sid) >= self.capacity:
                self.refused += 1  # Coolify would answer "queue full"
            dep = "dep-%d" % len(self.deployments)
            self.deployments[dep] = {"deployment_uuid": dep, "server_id": sid, "status": "queued", "seen": 0,
                                     "created": time.monotonic()}
            self.posts.append(sid)
        return {"message": "Restart request queued.", "deployment_uuid": dep}

    def list_deployments(self):
        with self._lock:
            self.calls.append("list_deployments")
            rows = []
            for dep in self.deployments.values():
                if dep["status"] != "queued":
                    continue
                dep["seen"] += 1
                if (dep["seen"] > self.lists) if self.lasts is None else self._over(dep):
                    dep["status"] = "finished"
                else:
                    rows.append(dict(dep))
            return rows

    def _over(self, dep):
        return time.monotonic() - dep["created"] >= self.lasts

    def get_deployment(self, dep_uuid):
        with self._lock:
            self.calls.append("get_deployment")
            dep = self.deployments[dep_uuid]
            if dep["seen"] if self.lasts is None else self._over(dep):
                dep["status"] = "finished"
            return dict(dep)

    def get_resource(self, kind, uuid):
        self.calls.append("get_resource")
        return {"uuid": uuid, "status": "running:healthy"}

    def list_applications(self):
        self.calls.append("list_applications")
        return [{"uuid": uuid, "status": "running:healthy"} for uuid in self.apps]


def test_every_server_gets_work_in_the_first_round_and_no_queue_overfills():
    fake = FakeCoolify(per_server=9)
    result = lc.run_lifecycle(fake, "application", fake.resources(), "restarted",
                              {"poll_interval": 0.02, "wait_timeout": 60, "max_workers": 10})
    assert not result["failed"], result["msg"]
    first_round = fake.posts[:4 * fake.capacity]
    # Before: the ten submitters all waited for server 1's slots, so its apps went first and the others idled.
    assert sorted(first_round) == sorted([1, 2, 3, 4] * fake.capacity), fake.posts
    assert fake.refused == 0 and len(fake.posts) == 36


def test_rolling_waves_also_spread_over_the_servers():
    fake = FakeCoolify(per_server=6, lists=25)
    result = lc.run_lifecycle(fake, "application", fake.resources(), "restarted",
                              {"poll_interval": 0.02, "wait_timeout": 60, "max_workers": 4, "strategy": "rolling",
                               "batch_size": 12})
    assert not result["failed"], result["msg"]
    # A wave keeps its items (the first 12: servers 1 and 2); inside it, both servers build at once.
    # Both servers get work before a slot frees (the exact interleaving depends on thread timing on a loaded machine).
    assert set(fake.posts[:6]) == {1, 2} and fake.refused == 0
    assert sorted(fake.posts[:12]) == [1] * 6 + [2] * 6


def test_slot_queue_hands_out_round_robin_over_servers_with_a_free_slot():
    clock = Clock()
    slots = ServerSlots(servers(3, 1, 1), clock=clock, step=0.001)
    granted = []
    queue = SlotQueue(slots, lambda token: token[0], lambda token, slot: granted.append((token, slot)), timeout=10)
    for sid in (1, 1, 1, 2, 2, 3):
        queue.put((sid, len(granted)))
    queue.put((NO_SLOT, "stop"))
    order = [queue.take() for _number in range(6)]
    assert order[0] == (NO_SLOT, "stop")  # needs no slot: never waits behind the builds
    assert [token[0] for token in order[1:]] == [1, 2, 3, 1, 2]
    assert [slot for _token, slot in granted] == [None, 1, 2, 3, 1, 2]
    assert (slots.free(1), slots.free(2), slots.free(3)) == (0, 0, 1)


def test_a_slot_wait_times_out_only_when_its_server_freed_nothing_for_the_timeout():
    clock = Clock()
    slots = ServerSlots(servers(1, 1, 1), clock=clock, step=0.001)
    granted = {}
    queue = SlotQueue(slots, lambda token: 1, granted.__setitem__, timeout=10)
    for token in "abcd":
        queue.put(token)
    assert [queue.take(), queue.take()] == ["a", "b"]  # the server's two slots
    clock.now += 9
    slots.release(1)  # progress: one deployment left after 9 s
    clock.now += 9  # 18 s since c was queued, but only 9 since the server last freed a slot
    assert queue.take() == "c" and granted["c"] == 1
    clock.now += 10  # nothing freed for 10 s: d gives up instead of waiting for ever
    assert queue.take() == "d" and granted["d"] is False
    assert queue.take() is None


def test_a_closed_slot_queue_wakes_its_takers():
    slots = ServerSlots(servers(1, 1, 1), clock=Clock(), step=0.001)
    queue = SlotQueue(slots, lambda token: 1, lambda token, slot: None, timeout=10)
    for token in "abc":
        queue.put(token)
    queue.take()
    queue.take()
    got = []
    taker = threading.Thread(target=lambda: got.append(queue.take()))
    taker.start()
    while not slots.waiting:
        threading.Event().wait(0.001)
    queue.close()
    taker.join(5)
    assert got == [None] and slots.waiting == 0


def restart_unwaited(fake, **options):
    """Restart every application of ``fake`` with wait: false; every item must be confirmed queued."""
    result = lc.run_lifecycle(fake, "application", fake.resources(), "restarted",
                              dict({"poll_interval": 5, "wait": False}, **options))
    assert not result["failed"], result["msg"]
    assert all(item["reason"].startswith("restart queued (deployment") for item in result["items"])
    return result


def test_wait_false_confirms_queued_from_a_list_read_soon_after_the_posts_not_one_get_each():
    # Deployments stay active 2 s; the poll interval is 5 s. Read a full interval later, every deployment would have
    # left the list and cost a GET /deployments/{uuid} of its own (twice the requests of the POSTs). The POSTs take
    # 0.2 s (4 workers, 20 ms each), longer than the first list read.
    fake = FakeCoolify(per_server=10, queue_limit=25, lasts=2.0, latency=0.02)
    restart_unwaited(fake, max_workers=4)
    assert fake.calls.count("post") == 40 and fake.calls.count("get_deployment") == 0
    assert fake.calls.count("list_deployments") <= 3 and len(fake.calls) <= 44


def test_sequential_wait_false_confirms_each_item_at_once_not_after_it_left_the_list():
    # Each item is waited for where it ran: its confirm read goes at once. Gathered for half a second with others
    # (there are none), a deployment active for 0.3 s would have left the list and cost a GET of its own.
    fake = FakeCoolify(per_server=3, count=2, queue_limit=25, lasts=0.3)
    restart_unwaited(fake, strategy="sequential")
    assert fake.calls.count("get_deployment") == 0 and fake.calls.count("list_deployments") <= 7


class WiredFake(FakeCoolify):
    """Actions go through a real pacer, which counts them on the wire as the client does."""

    def __init__(self, **kwargs):
        super(WiredFake, self).__init__(**kwargs)
        from ansible_collections.coolops.coolify.plugins.module_utils._pacer import RateLimitPacer

        self.pacer = RateLimitPacer()

    def resource_action(self, kind, uuid, action, params=None):
        self.pacer.before_request()
        try:
            return super(WiredFake, self).resource_action(kind, uuid, action, params)
        finally:
            self.pacer.after_response(200, {})


class TailFake(WiredFake):
    """The last ``held`` actions stay on the wire until the watcher asks the pacer what is on the wire, which it does
    only when its confirm read came due at the tail (Watcher._gather); then they are answered at once. So the test does
    not depend on how long a wave takes on a loaded machine. Never asked (the read went without gathering), they are
    answered after ``give_up`` seconds: the test fails instead of hanging."""

    def __init__(self, held, give_up=5.0, **kwargs):
        super(TailFake, self).__init__(**kwargs)
        self.held, self.give_up = held, give_up
        self.asked = threading.Event()
        self._sends = 0
        count = getattr(self.pacer, "in_flight", lambda: 0)  # (a pacer without it: never asked)

        def in_flight():
            self.asked.set()
            return count()

        self.pacer.in_flight = in_flight

    def resource_action(self, kind, uuid, action, params=None):
        with self._lock:
            self._sends += 1
            hold = self._sends > len(self.apps) - self.held
        self.pacer.before_request()
        try:
            if hold:
                self.asked.wait(self.give_up)
            return FakeCoolify.resource_action(self, kind, uuid, action, params)
        finally:
            self.pacer.after_response(200, {})


def test_wait_false_confirms_the_last_wave_with_the_read_that_came_due_while_it_was_on_the_wire():
    # The first 12 actions are answered at once; the last 4 are still on the wire when the first read comes due (0.5 s
    # after the first answer). It waits for their answers and confirms all 16 at once; read at once it saw 12 and a
    # second read had to follow the last answers.
    fake = TailFake(held=4, per_server=4, queue_limit=25, lasts=5.0)
    restart_unwaited(fake, max_workers=4)
    assert fake.calls.count("post") == 16 and fake.calls.count("list_deployments") == 1, fake.calls


def test_the_watcher_is_told_the_last_sends_once_after_every_item_was_handed_out(monkeypatch):
    # Per-server slot queues (one build and one queued deployment a server, so items wait for slots) and items with
    # nothing to do (already running, handed out first): last_sends comes once, when the last item starts its work.
    from ansible_collections.coolops.coolify.plugins.module_utils._watcher import Watcher

    for workers in (1, 4, 16):
        fake = WiredFake(per_server=4, builds=1, queue_limit=1, lists=2)
        resources = fake.resources()
        for number, resource in enumerate(resources):
            resource["status"] = "exited" if number % 2 else "running:healthy"
        started, told = [], []
        work, last_sends = lc._Run.work, Watcher.last_sends
        monkeypatch.setattr(lc._Run, "work", lambda run, item: started.append(item["uuid"]) or work(run, item))
        monkeypatch.setattr(Watcher, "last_sends", lambda watcher: told.append(len(started)) or last_sends(watcher))
        result = lc.run_lifecycle(fake, "application", resources, "started",
                                  {"poll_interval": 0.05, "wait": False, "max_workers": workers})
        assert not result["failed"], result["msg"]
        assert told == [16], (workers, told)
        assert fake.calls.count("post") == 8 and fake.refused == 0
        assert all(item["reason"].startswith("start queued (deployment") for item in result["items"] if item["changed"])
        monkeypatch.undo()


class PacedFake(FakeCoolify):
    """The fake with a real pacer, recording what the watcher asks it to reserve."""

    def __init__(self, **kwargs):
        super(PacedFake, self).__init__(**kwargs)
        from ansible_collections.coolops.coolify.plugins.module_utils._pacer import RateLimitPacer

        self.pacer = RateLimitPacer()
        self.reserved = []
        keep = self.pacer.reserve
        self.pacer.reserve = lambda count: (self.reserved.append(count), keep(count))


def test_a_task_that_registers_no_wait_keeps_no_reserve_from_its_actions():
    # Services with wait: false register nothing: a reserve would cost the actions 2 requests of every window.
    fake = PacedFake(per_server=2, count=2, queue_limit=25, lasts=0.1)
    result = lc.run_lifecycle(fake, "service", fake.resources(), "restarted", {"wait": False})
    assert not result["failed"], result["msg"]
    assert fake.reserved and max(fake.reserved) == 0 and len(fake.posts) == 4


def test_a_task_whose_deployments_are_confirmed_keeps_the_watchers_reserve():
    fake = PacedFake(per_server=2, count=2, queue_limit=25, lasts=0.1)
    result = lc.run_lifecycle(fake, "application", fake.resources(), "restarted", {"wait": False})
    assert not result["failed"], result["msg"]
    assert fake.reserved[0] == 2 and fake.reserved[-1] == 0
