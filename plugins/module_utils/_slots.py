# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Per-server submission gating, so a task never makes Coolify answer "deployment queue is full" (stdlib only).

Coolify builds ``settings.concurrent_builds`` deployments per server at once and refuses a new one once
``settings.deployment_queue_limit`` are queued (a 429 on ``/deploy``, a uuid that was never stored on start and
restart). A server therefore holds at most ``concurrent_builds + deployment_queue_limit`` active deployments without a
refusal. A worker acquires one slot on the resource's server before it sends a deploy, start or restart; the watcher
gives the slot back when it sees the deployment leave ``GET /deployments``. Deployments of other actors seen in that
list (webhooks, other tasks) are subtracted from what this task may use.
"""

from __future__ import annotations

import collections
import threading
import time

DEFAULT_CONCURRENT_BUILDS = 2
DEFAULT_QUEUE_LIMIT = 25


def _positive_int(value, default):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 1 else default


def server_limits(servers):
    """``{server id: (concurrent_builds, deployment_queue_limit)}`` and ``{uuid: id}`` from a ``GET /servers`` answer.

    The server id comes from ``settings.server_id`` (the server's own ``id`` is hidden in the list); deployments name
    their server by that id. A server without settings gets Coolify's defaults.
    """
    limits, aliases = {}, {}
    for server in servers or ():
        if not isinstance(server, dict):
            continue
        settings = server.get("settings") if isinstance(server.get("settings"), dict) else {}
        key = settings.get("server_id", server.get("id"))
        if key is None:
            key = server.get("uuid")
        if key is None:
            continue
        limits[key] = (_positive_int(settings.get("concurrent_builds"), DEFAULT_CONCURRENT_BUILDS),
                       _positive_int(settings.get("deployment_queue_limit"), DEFAULT_QUEUE_LIMIT))
        if server.get("uuid") is not None:
            aliases[server["uuid"]] = key
    return limits, aliases


class ServerSlots(object):
    """Counts this task's active deployments per server and blocks workers until one more fits.

    Servers are named by id or uuid (either resolves to the id); a server missing from ``GET /servers`` shares one
    bucket with the smallest known capacity, so an unknown server is never overfilled.
    """

    def __init__(self, servers=(), clock=time.monotonic, step=0.5):
        self._cond = threading.Condition()
        self._clock = clock
        self._step = step
        self._capacity = {}
        self._aliases = {}
        self._ours = {}
        self._foreign = {}
        self._progress = {}
        self._waiting = 0
        self._closed = False
        self.load(servers)

    def load(self, servers):
        """Take capacities from a ``GET /servers`` answer (may be called again; counts are kept)."""
        limits, aliases = server_limits(servers)
        with self._cond:
            for key, (builds, queue_limit) in limits.items():
                self._capacity[key] = builds + queue_limit
            self._aliases.update(aliases)
            self._cond.notify_all()

    def key(self, ref):
        """The canonical name of a server reference (id or uuid); None for a server this task does not know."""
        with self._cond:
            return self._key(ref)

    def _key(self, ref):
        if ref in self._capacity:
            return ref
        if ref in self._aliases:
            return self._aliases[ref]
        text = str(ref) if ref is not None else None
        for key in self._capacity:
            if text is not None and str(key) == text:  # "3" from a text column names server 3
                return key
        return None

    def _cap(self, key):
        if key in self._capacity:
            return self._capacity[key]
        known = list(self._capacity.values())
        return min(known) if known else DEFAULT_CONCURRENT_BUILDS + DEFAULT_QUEUE_LIMIT

    def capacity(self, ref):
        with self._cond:
            return self._cap(self._key(ref))

    def free(self, ref):
        """Slots this task may still take on the server: capacity minus ours minus other actors' active deployments."""
        with self._cond:
            key = self._key(ref)
            return self._cap(key) - self._ours.get(key, 0) - self._foreign.get(key, 0)

    @property
    def waiting(self):
        """How many workers are blocked for a slot (the watcher keeps reading the list while there are any)."""
        with self._cond:
            return self._waiting

    def acquire(self, ref, deadline, count=1):
        """Take ``count`` slots on the server, waiting until they fit; False at ``deadline`` or after close()."""
        with self._cond:
            key = self._key(ref)
            if count > self._cap(key):
                return False
            self._waiting += 1
            try:
                while True:
                    if self._closed:
                        return False
                    if self._cap(key) - self._ours.get(key, 0) - self._foreign.get(key, 0) >= count:
                        self._ours[key] = self._ours.get(key, 0) + count
                        return True
                    remaining = deadline - self._clock()
                    if remaining <= 0:
                        return False
                    self._cond.wait(min(remaining, self._step))
            finally:
                self._waiting -= 1

    def release(self, ref, count=1):
        """Give slots back (a deployment left the list, or the send queued nothing)."""
        with self._cond:
            key = self._key(ref)
            self._ours[key] = max(self._ours.get(key, 0) - count, 0)
            self._progress[key] = self._clock()
            self._cond.notify_all()

    def observe_foreign(self, counts):
        """Replace the active deployments of other actors per server (``{server ref: count}``), from one list read."""
        with self._cond:
            foreign = {}
            for ref, count in counts.items():
                key = self._key(ref)
                foreign[key] = foreign.get(key, 0) + count
            for key, count in self._foreign.items():
                if foreign.get(key, 0) < count:
                    self._progress[key] = self._clock()  # another actor's deployment left: a slot came free
            self._foreign = foreign
            self._cond.notify_all()

    def close(self):
        """Wake every waiting worker; they get False (the task is ending)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def snapshot(self):
        """``{server: {capacity, ours, foreign}}`` for reports and benchmarks."""
        with self._cond:
            keys = set(self._capacity) | set(self._ours) | set(self._foreign)
            return {key: {"capacity": self._cap(key), "ours": self._ours.get(key, 0), "foreign": self._foreign.get(key, 0)}
                    for key in keys}


# A token put with this server reference needs no build slot (a stop, a service action, nothing to send).
NO_SLOT = object()


class SlotQueue(object):
    """Items waiting for a build slot, handed to the submitters round-robin over the servers with a free slot.

    No head-of-line blocking: a submitter takes the next item whose server has room, so a full server never holds
    back the others and every server builds at once. ``server_of(token)`` names a token's server (``NO_SLOT``: none
    needed); ``grant(token, slot)`` is told what the token got before take() returns it: the server reference whose
    slot it now holds, None (no slot needed) or False (its server freed no slot for ``timeout`` seconds while it
    waited). Waiting in this queue is not charged to ``wait_timeout``: that starts when the action is sent.
    """

    # pylint: disable=protected-access
    # It shares the ServerSlots' lock and counts: taking an item and its slot must be one step.

    def __init__(self, slots, server_of, grant, timeout):
        self._slots = slots
        self._server_of = server_of
        self._grant = grant
        self._timeout = float(timeout)
        self._free = collections.deque()
        self._queues = {}
        self._order = []
        self._turn = 0
        self._closed = False

    def put(self, token):
        ref = self._server_of(token)
        slots = self._slots
        with slots._cond:
            if ref is NO_SLOT:
                self._free.append(token)
            else:
                key = slots._key(ref)
                if key not in self._queues:
                    self._queues[key] = collections.deque()
                    self._order.append(key)
                self._queues[key].append((token, ref, slots._clock()))
            slots._cond.notify_all()

    def _pick(self, slots):
        """Under the lock: ``(token, grant)`` for the next server in turn with a free slot (or a stalled one), or None."""
        now = slots._clock()
        count = len(self._order)
        for step in range(count):
            position = (self._turn + step) % count
            key = self._order[position]
            queue = self._queues[key]
            if not queue:
                continue
            token, ref, since = queue[0]
            if slots._cap(key) - slots._ours.get(key, 0) - slots._foreign.get(key, 0) >= 1:
                slots._ours[key] = slots._ours.get(key, 0) + 1
                self._turn = position + 1
                queue.popleft()
                return token, ref
            if now - max(since, slots._progress.get(key, since)) >= self._timeout:
                queue.popleft()
                return token, False
        return None

    def take(self):
        """The next token to work on (waiting while every queued server is full); None when all are taken or closed."""
        slots = self._slots
        blocked = False
        with slots._cond:
            try:
                while not (self._closed or slots._closed):
                    if self._free:
                        picked = (self._free.popleft(), None)
                    elif not any(self._queues.values()):
                        return None
                    else:
                        picked = self._pick(slots)
                    if picked is not None:
                        self._grant(*picked)
                        return picked[0]
                    if not blocked:
                        slots._waiting += 1
                        blocked = True
                    slots._cond.wait(slots._step)
                return None
            finally:
                if blocked:
                    slots._waiting -= 1

    def close(self):
        """Every later take() returns None (the run is interrupted); tokens not taken stay not attempted."""
        with self._slots._cond:
            self._closed = True
            self._slots._cond.notify_all()
