# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""One watcher per task: every item's deployments and status waits are followed by one poll loop (stdlib only).

Workers send an action, register what to wait for, and go on. Each poll interval the watcher sends:

* one ``GET /deployments`` (the team's queued and in-progress deployments) for all followed deployments; a followed
  deployment missing from it gets exactly one ``GET /deployments/{uuid}`` for its final status (a 404 there, for a
  deployment never seen active, means Coolify returned a uuid it never stored: "not queued");
* per resource kind with status waits, one list call (``GET /services``...) when two or more wait and the list is not
  dearer than a GET each (see _waits.choose_status_reads), else one GET each;
* one ``GET /deployments/applications/{uuid}`` per action whose answer was lost, to find the deployment it created.

The interval stays steady while work is pending; only errors stretch it (``wait: false``: see _waits.next_due). The
thread's requests go ahead of the submitters' in the client's pacer (``prioritize``, ``reserve``; optional).
"""

from __future__ import annotations

import threading
import time

from ansible_collections.coolops.coolify.plugins.module_utils import _status
from ansible_collections.coolops.coolify.plugins.module_utils._evidence import (
    DONE, StatusEvidence, log_tail, new_deployment)
from ansible_collections.coolops.coolify.plugins.module_utils._waits import (
    BACKOFF_FACTOR, CONFIRM_AFTER, LAZY_POLLS, MAX_BACKOFF_FACTOR, RESERVED_REQUESTS, TAIL_GATHER, WINDOW_GATHER,
    Wait, choose_deployment_reads, choose_status_reads, default_classify, expiry, lazy_reads, next_due, payload_bytes,
    unread_confirms)

KINDS = ("application", "service", "database")
PLURAL = {"application": "applications", "service": "services", "database": "databases"}
VERIFY_TAKE = 5
MAX_REREADS = 2  # failed GETs in a row of a departed deployment that are read again, even past its deadline
MAX_PUT_OFFS = 3  # polls a departed deployment's one GET may be put off for a confirm read (it is sent once either way)
GATHER_CHECK = 0.02  # how often a gather looks at the requests on the wire (a failed action registers nothing)
LOGS_NEED_SENSITIVE = "failure_log_lines needs a token with read:sensitive; Coolify sent no deployment logs."


class Watcher(object):
    """Follows every deployment and status wait of one task; thread-safe registration, one poll loop.

    ``deadline`` is the task's end on the injected ``clock`` (``wait_timeout`` after the task started);
    ``slots`` (a ServerSlots) gets each followed deployment's slot back when it leaves the list; ``mask`` is required
    when ``failure_log_lines`` > 0; ``progress(snapshot)`` is called after every poll.
    """

    def __init__(self, client, poll_interval=2.0, deadline=None, clock=time.monotonic, sleep=None, slots=None,
                 failure_log_lines=0, mask=None, classify=default_classify, progress=None,
                 list_bytes_limit=1 << 20, per_uuid_max=2, status_list_min=2, verify_reads=3, clock_skew=2.0,
                 confirm_after=CONFIRM_AFTER, reserve=True):
        if poll_interval <= 0:
            raise ValueError("poll_interval must be greater than 0")
        if failure_log_lines and mask is None:
            raise ValueError("failure_log_lines needs a mask, so no secret reaches the result")
        self.client = client
        self.poll_interval = float(poll_interval)
        self.deadline = deadline
        self.clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.settled = threading.Event()
        self.sleep = sleep or self._pause
        self._sleep_injected = sleep is not None
        self.slots = slots
        self.failure_log_lines = int(failure_log_lines or 0)
        self.mask = mask
        self.classify = classify
        self.progress = progress
        # The read-mode choice (see choose_deployment_reads), status lists, lost-answer verification.
        self.list_bytes_limit, self.per_uuid_max, self.status_list_min = list_bytes_limit, per_uuid_max, status_list_min
        self.verify_reads, self.clock_skew = verify_reads, clock_skew
        self.confirm_after = min(float(confirm_after), self.poll_interval)
        self._in_flight = getattr(client, "in_flight", None)  # the task's requests on the wire (the pacer counts them)
        self._actions_held = getattr(client, "actions_held", None)  # the rate-limit window has no room for an action
        self._last_sent = False  # every item was handed to a submitter (last_sends)
        self.reserved_requests = RESERVED_REQUESTS if reserve else 0  # kept in the pacer only in a task with waits
        self._poll_started, self._lazy_read_poll = None, 0
        self._lock = threading.RLock()
        self._follows = {}
        self._waits = []
        self._claimed = set()
        self._timed_out = []
        self._counts = {"registered": 0, "done": 0, "failed": 0}
        self._last_list_bytes, self._last_ours_bytes = None, 0
        self._list_rows = {}  # kind -> rows in its last status list
        self._delay = self.poll_interval
        self._thread = None
        self.notes = []
        self.stats = {"polls": 0, "requests": 0, "bytes": 0, "errors": 0, "calls": {}, "last_poll": None}

    def _register(self, wait):
        with self._lock:
            if wait.deadline is None or (self.deadline is not None and self.deadline < wait.deadline):
                wait.deadline = self.deadline
            wait.registered_at = self.clock()
            self._waits.append(wait)
            self._counts["registered"] += 1
            self._wake.set()
            if wait.what == "deployment":
                self._follows[wait.deployment_uuid] = wait
                self._claimed.add(wait.deployment_uuid)
        return wait

    def follow_deployment(self, deployment_uuid, app_uuid=None, slot=None, until="finished", deadline=None,
                          label=None):
        """Follow a deployment uuid just returned by Coolify, after the POST answered.

        ``slot`` is the server reference a slot was acquired on (given back when the deployment leaves the list);
        ``until="queued"`` settles as soon as the deployment is seen queued or running (``wait: false``), while the
        slot is still tracked until it leaves the list.
        """
        if not deployment_uuid:
            raise ValueError("follow_deployment needs a deployment uuid")
        return self._register(Wait("deployment", app_uuid, deployment_uuid=deployment_uuid, slot=slot,
                                   deadline=deadline, until=until, label=label))

    def wait_status(self, kind, uuid, target, before=None, acted=True, healthy=False, deadline=None, label=None,
                    lazy=False):
        """Wait until a queued job is proven done (see _evidence); register after the action's answer arrived.

        ``before`` is the status read before the send; ``acted=False`` only waits for ``target`` (no action sent).
        ``lazy``: nothing waits on it but the report (the status after a finished deployment), so while other work
        keeps the watcher busy it is read every LAZY_POLLS polls, with the others of its kind.
        """
        if kind not in KINDS:
            raise ValueError("kind must be one of %s, not %r" % (", ".join(KINDS), kind))
        wait = Wait("status", uuid, kind=kind, deadline=deadline, label=label)
        wait.lazy = lazy
        wait.evidence = StatusEvidence(before, target, healthy=healthy, acted=acted)
        return self._register(wait)

    def verify_app_action(self, app_uuid, sent_wall, known=(), slot=None, until="finished", deadline=None,
                          label=None):
        """An application action whose answer was lost: find the deployment it created, then follow it.

        ``sent_wall`` is ``time.time()`` just before the send; ``known`` are deployment uuids of the app that existed
        before. Nothing found in ``verify_reads`` reads fails the wait "outcome unknown"; the action is never resent.
        """
        wait = Wait("verify", app_uuid, slot=slot, deadline=deadline, until=until, label=label)
        wait.sent_wall = sent_wall
        wait.known = frozenset(known or ())
        return self._register(wait)

    def _settle(self, wait, state, reason, message=None):
        with self._lock:
            if wait.state != "pending":
                return
            wait.state = state
            wait.result["reason"] = reason
            wait.result["message"] = message
            self._counts[state] += 1
        wait._event.set()
        self.settled.set()

    def _leave(self, wait):
        """The deployment is no longer active (or no longer followed): forget it and give its slot back."""
        with self._lock:
            self._follows.pop(wait.deployment_uuid, None)
            if wait.slot_held and self.slots is not None:
                wait.slot_held = False
                self.slots.release(wait.slot)

    def _conclude(self, wait, dep):
        """Settle a deployment wait from a deployment object; True when it reached a terminal status."""
        status = dep.get("status")
        wait.result["deployment_status"] = status
        if _status.deployment_is_active(status):
            wait.seen_active = True
            if wait.until == "queued":
                self._settle(wait, "done", "queued")
            return False
        self._leave(wait)
        if _status.deployment_succeeded(status):
            self._settle(wait, "done", "finished")
            return True
        if self.failure_log_lines:
            if "logs" not in dep:
                self._note(LOGS_NEED_SENSITIVE)
            wait.result["log_lines"] = log_tail(dep.get("logs"), self.failure_log_lines, self.mask)
        self._settle(wait, "failed", status or "failed", "Deployment %s ended %s." % (wait.deployment_uuid, status))
        return True

    def _note(self, text):
        with self._lock:
            if text not in self.notes:
                self.notes.append(text)

    def _expire(self, now):
        for wait in list(self._waits):
            if wait.deadline is None or now < wait.deadline:
                continue
            if wait.what == "deployment" and wait.read_again and wait.pending:
                continue  # its GET failed (say, met the rate limit): read first thing next poll (_read_put_off_expired)
            if wait.what == "deployment" and wait.deployment_uuid in self._follows:
                last = wait.result["deployment_status"]
                if wait.pending and (last is None or _status.deployment_is_active(last)):
                    self._timed_out.append(wait.deployment_uuid)
            elif not wait.pending:
                continue
            elif wait.lazy and wait.result["status"] is None:
                wait.lazy = False  # never expired unread: read with this poll, judged at the next
                continue
            self._leave(wait)
            self._settle(wait, "failed", *expiry(wait))
        self._waits = [wait for wait in self._waits if wait.pending or wait.deployment_uuid in self._follows]

    def _call(self, poll, name, func, *args, **kwargs):
        """One request; returns ``(answer, None)`` or ``(None, classification)`` and counts requests and bytes."""
        poll["requests"] += 1
        self.stats["calls"][name] = self.stats["calls"].get(name, 0) + 1
        try:
            answer = func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the client's errors; classified, never raised to workers
            kind = self.classify(exc)
            if kind == "transient":
                poll["errors"] += 1
            return None, (kind, exc)
        poll["bytes"] += payload_bytes(answer)
        return answer, None

    def _fail_on(self, wait, error, deleted_reason="deleted"):
        """A failed read: 404 and fatal errors settle the wait; transient ones leave it for the next poll."""
        kind, exc = error
        if kind != "transient":
            self._leave(wait)
            self._settle(wait, "failed", deleted_reason if kind == "not_found" else "error", str(exc))

    def poll_once(self):
        """One poll: the requests for this interval; returns ``{requests, bytes, errors, mode}``."""
        poll = {"requests": 0, "bytes": 0, "errors": 0, "mode": None}
        read_first = self._read_put_off_expired(poll)
        with self._lock:
            self._poll_started = self.clock()
            self._expire(self._poll_started)
            # Waits registered from now on are read next poll: every read below starts after their send.
            verifies = [w for w in self._waits if w.what == "verify" and w.pending]
            statuses = [w for w in self._waits if w.what == "status" and w.pending]
            busy = verifies or self._follows or (self.slots is not None and self.slots.waiting)
            number = self.stats["polls"] + 1  # this poll's
            statuses = lazy_reads(statuses, busy, number - self._lazy_read_poll >= LAZY_POLLS,
                                  self._poll_started + self.poll_interval * LAZY_POLLS)
            if any(w.lazy for w in statuses):
                self._lazy_read_poll = number
        for wait in verifies:
            self._poll_verify(wait, poll)
        with self._lock:
            follows = list(self._follows.values())
        if follows or (self.slots is not None and self.slots.waiting):
            self._poll_deployments(follows, poll, read_first)
        for kind in KINDS:
            group = [w for w in statuses if w.kind == kind and w.pending]
            if group:
                self._poll_statuses(kind, group, poll)
        self.stats["polls"] += 1
        for key in ("requests", "bytes", "errors"):
            self.stats[key] += poll[key]
        self.stats["last_poll"] = poll
        self._delay = (min(self._delay * BACKOFF_FACTOR, self.poll_interval * MAX_BACKOFF_FACTOR) if poll["errors"]
                       else self.poll_interval)
        if self.progress is not None:  # after every poll; the callback decides how often to show anything
            self.progress(self.snapshot())
        return poll

    def _poll_verify(self, wait, poll):
        answer, error = self._call(poll, "application_deployments", self.client.application_deployments, wait.uuid,
                                   take=VERIFY_TAKE)
        if error is not None:
            self._fail_on(wait, error)
            return
        deployments = answer.get("deployments") if isinstance(answer, dict) else answer
        with self._lock:
            dep = new_deployment(deployments, wait.sent_wall, known=wait.known | self._claimed, skew=self.clock_skew)
            wait.verify_reads += 1
            if dep is None:
                if wait.verify_reads >= self.verify_reads:
                    self._leave(wait)
                    self._settle(wait, "failed", "outcome unknown", "The answer was lost, and no deployment of this "
                                 "application was created at or after the send; it was not resent.")
                return
            wait.what = "deployment"
            wait.deployment_uuid = wait.result["deployment_uuid"] = dep.get("deployment_uuid")
            wait.result["verified"] = True
            self._follows[wait.deployment_uuid] = wait
            self._claimed.add(wait.deployment_uuid)
        self._conclude(wait, dep)

    def _poll_deployments(self, follows, poll, read_first=()):
        mode = choose_deployment_reads(len(follows), self._last_list_bytes, self._last_ours_bytes,
                                       self.list_bytes_limit, self.per_uuid_max,
                                       self.slots is not None and self.slots.waiting > 0)
        poll["mode"] = mode
        if mode == "per_uuid":
            for wait in follows:
                if wait not in read_first:  # read this poll already (its GET is sent once)
                    self._read_one(wait, poll)
            return
        entries, error = self._call(poll, "list_deployments", self.client.list_deployments)
        if error is not None:
            if error[0] == "fatal":
                for wait in follows:
                    self._fail_on(wait, error)
            return
        with self._lock:
            ours = set(self._follows)
        by_uuid, foreign, ours_bytes = {}, {}, 0
        for entry in entries or ():
            if not isinstance(entry, dict):
                continue
            dep_uuid = entry.get("deployment_uuid")
            by_uuid[dep_uuid] = entry
            if dep_uuid in ours:
                ours_bytes += payload_bytes(entry)
            else:
                foreign[entry.get("server_id")] = foreign.get(entry.get("server_id"), 0) + 1
        self._last_list_bytes, self._last_ours_bytes = payload_bytes(entries), ours_bytes
        if self.slots is not None:
            self.slots.observe_foreign(foreign)
        left = []
        for wait in follows:
            entry = by_uuid.get(wait.deployment_uuid)
            if entry is not None:
                self._conclude(wait, entry)
            elif wait.pending:
                left.append(wait)
            else:
                self._leave(wait)  # settled already (seen queued): only its slot was still tracked
        self._read_left([wait for wait in left if wait not in read_first], poll)

    def _read_left(self, left, poll):
        """One GET each for the pending follows that left the list, oldest first; a ``wait: false`` one's waits for a
        confirm read that falls due, or for one in a held window, unless _cannot_wait says it may not.

        Their final status no longer changes; a ``wait: false`` follow registered meanwhile is seen only by the next
        list, and only while it is active. Each GET takes a round trip, so a run of them held that list back until the
        new follows had left too, and each cost a GET of its own: under a rate limit the GETs then crowded out the
        actions and the lists, window after window. The ones put off are missing from the next list again and read
        then, still once each.
        """
        read = 0
        for wait in left:
            if wait.until == "queued" and not self._cannot_wait(wait) and (
                    (read and self._confirm_due()) or self._confirm_pending_in_held_window()):
                wait.put_off += 1
                continue
            self._read_one(wait, poll)
            read += 1

    def _read_put_off_expired(self, poll):
        """The GETs of put-off follows whose wait runs out before the next poll, ahead of _expire: a wait is never
        failed unread because its read was put off (a backed-off or rate-limited poll can come later than
        _cannot_wait looked), nor because its GET failed a time or two, say on the rate limit (see _read_one)."""
        soon = self.clock() + self.poll_interval
        with self._lock:
            due = [wait for wait in self._follows.values() if wait.pending and (wait.read_again or (
                wait.put_off and wait.deadline is not None and wait.deadline <= soon))]
        for wait in due:
            self._read_one(wait, poll)
        return due

    def _confirm_pending_in_held_window(self):
        """The window's last requests are the watcher's (the actions wait for its reset), and a list read still has
        follows to confirm (registered, or on the wire): that read gets them, not a GET of one that left already. Only a
        ``wait: false`` follow's GET is put off (_read_left): one that waits to finish holds its item until read."""
        if not self._held():
            return False
        with self._lock:
            unread = bool(unread_confirms(self._waits, self._poll_started))
        return unread or bool(self._in_flight and self._in_flight())

    def _cannot_wait(self, wait):
        """Putting this GET off to a later poll would cost more than a request: it was put off MAX_PUT_OFFS times
        already, the wait runs out within two poll intervals (a backed-off delay is not counted: under a rate limit it
        would force every GET; _read_put_off_expired covers a late poll), or a worker waits for its build slot."""
        if wait.put_off >= MAX_PUT_OFFS:
            return True
        if wait.deadline is not None and wait.deadline <= self.clock() + 2 * self.poll_interval:
            return True
        return bool(wait.slot_held and self.slots is not None and self.slots.waiting)

    def _held(self):
        return bool(self._actions_held is not None and self._actions_held())

    def _confirm_due(self):
        """A ``wait: false`` follow registered since this poll started waits for its list read now."""
        with self._lock:
            unread = unread_confirms(self._waits, self._poll_started)
            return bool(unread) and min(wait.registered_at for wait in unread) + self.confirm_after <= self.clock()

    def _read_one(self, wait, poll):
        """``GET /deployments/{uuid}``: the final status of one that left the list (or a per-uuid poll).

        A transient failure is read again first thing at the next poll, up to MAX_REREADS times in a row, and past the
        wait's deadline too when it was answered (a rate-limit 429, a 502, a 504): the pacer's probe for the next window
        may meet the old one (Laravel's Retry-After can be a second short), and a deployment that left the list has a
        final status that a read a moment later still gets. An answer that never came already cost a whole read
        timeout, so past the deadline it is not waited for again (helper-45: two re-reads then cost 2 x ``timeout``).
        After that, a failure past the deadline fails the wait unread.
        """
        wait.read_again = False
        dep, error = self._call(poll, "get_deployment", self.client.get_deployment, wait.deployment_uuid)
        answered = error is not None and getattr(error[1], "status", None) is not None
        if error is not None and error[0] == "transient" and wait.failed_reads < MAX_REREADS and (
                answered or wait.deadline is None or self.clock() < wait.deadline):
            wait.failed_reads += 1
            wait.read_again = True
            return
        if error is None:
            wait.failed_reads = 0  # the bound is on failures in a row: an answer in between starts it again
        if error is not None:
            if error[0] == "not_found" and not wait.seen_active:
                self._fail_on(wait, (error[0], "Coolify answered with deployment %s, which it never stored: nothing "
                                               "was queued (the server's deployment queue was probably full)."
                                     % wait.deployment_uuid), "not queued")
            else:
                self._fail_on(wait, error)
            return
        if isinstance(dep, dict):
            self._conclude(wait, dep)

    def _poll_statuses(self, kind, group, poll):
        price = getattr(self.client, "request_seconds", lambda: None)()
        if choose_status_reads(len(group), self._list_rows.get(kind), self.status_list_min, price) == "list":
            rows, error = self._call(poll, "list_" + PLURAL[kind], getattr(self.client, "list_" + PLURAL[kind]))
            if error is not None:
                if error[0] == "fatal":
                    for wait in group:
                        self._fail_on(wait, error)
                return
            self._list_rows[kind] = len(rows or ())
            by_uuid = {row.get("uuid"): row for row in rows or () if isinstance(row, dict)}
            for wait in group:
                row = by_uuid.get(wait.uuid)
                if row is None:
                    self._settle(wait, "failed", "deleted", "The %s no longer exists." % kind)
                else:
                    self._observe(wait, row.get("status"))
            return
        for wait in group:
            row, error = self._call(poll, "get_" + kind, getattr(self.client, "get_" + kind), wait.uuid)
            if error is not None:
                self._fail_on(wait, error)
            elif isinstance(row, dict):
                self._observe(wait, row.get("status"))

    def _observe(self, wait, status):
        wait.result["status"] = status
        if wait.evidence.observe(status) == DONE:
            self._settle(wait, "done", "observed")

    def pending(self):
        """How many waits are still unsettled."""
        with self._lock:
            return sum(1 for wait in self._waits if wait.pending)

    def hurry(self):
        """No registration is worth waiting for (all actions sent, or items waited for where they ran): no gathering."""
        with self._lock:
            self.confirm_after = 0.0
        self._wake.set()

    def last_sends(self):
        """Every item was handed to a submitter: the actions still on the wire are the last (see _gather)."""
        with self._lock:
            self._last_sent = True

    def _gather(self):
        """A confirm read due while the last actions are on the wire waits for hurry(), at most TAIL_GATHER: their
        answers come within a round trip, and one list read then sees every deployment instead of two reads in a row.
        Actions parked in the pacer until the next window are not on the wire: when none is on the wire the read goes
        at once, before the deployments it confirms can leave the list. While some are on the wire and others parked,
        hurry() comes only after the parked ones were answered too, so the read waits the whole TAIL_GATHER (as it
        does for an answer that hangs)."""
        with self._lock:
            due = self.confirm_after > 0 and unread_confirms(self._waits, self._poll_started)
            last_sent = self._last_sent
        if not due or self._in_flight is None or not self._in_flight():
            return
        # In a held window the read goes once the window's last actions answered (they come within a round trip).
        window = not last_sent and self._held()
        if not last_sent and not window:
            return
        end = self.clock() + (WINDOW_GATHER if window else TAIL_GATHER)

        def quiet():
            return window and not self._in_flight()

        while self.confirm_after > 0 and not self._stop.is_set() and not quiet():
            left = end - self.clock()
            if left <= 0:
                return
            if self._sleep_injected:
                self.sleep(min(left, 0.01))
            else:
                self._wake.clear()
                if self.confirm_after > 0 and not quiet():
                    self._wake.wait(min(left, GATHER_CHECK))

    def _sleep_until_due(self):
        """The steady interval, never past a deadline or a wait:false follow's confirm time."""
        due = self._due()
        self.sleep(self._delay if due is None else max(min(self._delay, due - self.clock()), 0.0))

    def _due(self):
        with self._lock:
            due = next_due(self._waits, self._poll_started, self.confirm_after)
            unread = due is not None and unread_confirms(self._waits, self._poll_started)
        if unread and self._held() and not (self._in_flight and self._in_flight()):
            # The window's actions are all answered and no other comes before it resets: one read confirms them now.
            return min(due, self.clock())
        return due

    def _pause(self, delay):
        """The default sleep: ends early on stop(), and when a registration meanwhile moved _due() closer."""
        end = self.clock() + delay
        while not self._stop.is_set():
            self._wake.clear()
            due = self._due()
            remaining = (end if due is None else min(end, due)) - self.clock()
            if remaining <= 0:
                return
            self._wake.wait(remaining)

    def start(self):
        """Poll on a background thread until stop(); idle polls send nothing."""
        self._thread = threading.Thread(target=self._loop, name="coolify-watcher", daemon=True)
        self._thread.start()
        return self

    def _busy(self):
        return bool(self.pending() or (self.slots is not None and self.slots.waiting))

    def _loop(self):
        # Polls go ahead of actions, with requests of each window kept from the start (a first read is due soon).
        getattr(self.client, "prioritize", lambda: None)()
        reserve = getattr(self.client, "reserve", lambda count: None)
        reserve(self.reserved_requests)
        try:
            while not self._stop.is_set():
                self._wake.clear()
                if not self._busy():
                    # Idle: no request; a registration or stop() wakes it, and its first read is due later, not at once.
                    self._wake.wait(0.5)
                    if self._busy():
                        self._sleep_until_due()
                    continue
                self._gather()
                if self._stop.is_set():
                    break  # stop() ended the gather: no read is started after it
                self.poll_once()
                if self._busy():
                    self._sleep_until_due()
        except Exception as exc:  # noqa: BLE001 - a bug must fail the waits, never leave a worker blocked forever
            self.fail_all("The watcher stopped: %s: %s" % (type(exc).__name__, exc))
        finally:
            reserve(0)

    def fail_all(self, message):
        """Settle every pending wait as failed (the watcher cannot go on)."""
        for wait in [wait for wait in list(self._waits) if wait.pending]:
            self._leave(wait)
            self._settle(wait, "failed", "error", message)

    def alive(self):
        """True while the background poll loop runs."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def timed_out_deployments(self):
        """This task's deployments still queued or in progress when their wait ran out (for cancel_on_timeout)."""
        with self._lock:
            return list(self._timed_out)

    def snapshot(self):
        """``{registered, done, failed, pending}`` counts of the waits so far."""
        with self._lock:
            counts = dict(self._counts)
        counts["pending"] = counts["registered"] - counts["done"] - counts["failed"]
        return counts
