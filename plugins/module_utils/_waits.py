# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""The watcher's wait handle, and the rules that pick the cheaper read for a poll (pure, stdlib only)."""

from __future__ import annotations

import json
import threading

# After a poll that met errors the interval grows by BACKOFF_FACTOR, up to MAX_BACKOFF_FACTOR x poll_interval.
BACKOFF_FACTOR = 1.5
MAX_BACKOFF_FACTOR = 8.0
# wait: false - a follow's list read comes at most this long (and at most poll_interval) after its registration.
CONFIRM_AFTER = 0.5
# ... except at the fan-out's tail: when that read comes due while the last actions are on the wire, it waits for their
# answers (hurry) up to TAIL_GATHER, so one read sees them all instead of a second read a round trip later.
TAIL_GATHER = 0.2
# ... and when it comes due while the rate-limit window has no room left for an action (see _pacer.actions_held), it
# waits for the window's last actions to answer, up to WINDOW_GATHER: read now, it would leave them to the next window,
# by when a quick deployment has left the list and costs a GET of its own.
WINDOW_GATHER = 1.0
# Requests of each rate-limit window the submitters leave to the watcher while its thread runs: a poll due now is
# never pushed into the next window behind a burst of actions (see _pacer).
RESERVED_REQUESTS = 2
# A lazy status wait (see Watcher.wait_status) is read at most every LAZY_POLLS polls while other work is pending.
LAZY_POLLS = 5

# The price of one request beyond the rows it carries, in rows of a list answer: its round trip and the work every
# request costs both ends (Coolify boots the framework, authenticates and throttles it). Measured against the emulator
# (2 ms latency): one GET /applications/{uuid} takes 6 to 9 ms, as long as 20 rows of GET /applications.
REQUEST_ROWS = 25
# What one row of a list answer costs in seconds (serialised, sent, decoded; 0.33 to 0.42 ms for both ends in that
# measurement): turns a rate limit's share of a request into rows. Under Coolify's default 200 requests a minute a
# request is worth about 1000 rows, so lists win.
ROW_SECONDS = 0.0003
# A request's share of the rate limit while no answer told it (no ``X-RateLimit-Limit`` seen, e.g. a proxy in front
# of Coolify drops the header): Coolify's default, 200 requests a minute. Coolify throttles every /api/* route
# (API-NOTES 2.4), so an unknown limit is not an absent one: priced at nothing, a handful of waits among thousands of
# resources would cost dozens of GETs a poll where one list call did.
UNKNOWN_REQUEST_SECONDS = 60.0 / 200


def poll_delays(poll_interval, factor=BACKOFF_FACTOR, cap_factor=MAX_BACKOFF_FACTOR):
    """Endless back-off schedule: poll_interval, x1.5, x2.25, ... capped at ``cap_factor`` x poll_interval."""
    delay = float(poll_interval)
    cap = float(poll_interval) * cap_factor
    while True:
        yield delay
        delay = min(delay * factor, cap)


def payload_bytes(data):
    """Size of a decoded JSON answer as compact JSON text: what a poll costs on the wire (give or take whitespace)."""
    return len(json.dumps(data, separators=(",", ":"), default=str).encode("utf-8"))


def default_classify(exc):
    """``not_found`` (404), ``fatal`` (401, 403: polling again cannot help) or ``transient`` (anything else)."""
    status = getattr(exc, "status", None)
    if status == 404:
        return "not_found"
    if status in (401, 403):
        return "fatal"
    return "transient"


def choose_deployment_reads(pending, list_bytes, ours_bytes, list_bytes_limit, per_uuid_max, need_list):
    """``list`` or ``per_uuid``: how to read this poll's followed deployments.

    Requests are the scarce resource (200 a minute per user, shared with the actions), so the list is the default:
    one request covers the whole fleet. With a ``read:sensitive`` token every listed deployment carries its whole
    log, so when this task follows at most ``per_uuid_max`` deployments and the last list carried more than
    ``list_bytes_limit`` bytes of other deployments, a GET per deployment moves far fewer bytes for as many requests.
    The list is always read while a worker waits for a build slot (it counts other actors' deployments).
    """
    if need_list or list_bytes is None or pending > per_uuid_max:
        return "list"
    return "per_uuid" if list_bytes - ours_bytes > list_bytes_limit else "list"


def choose_status_reads(pending, list_rows, list_min, request_seconds=None):
    """``list`` or ``per_item``: how to read this poll's ``pending`` status waits of one kind.

    Fewer than ``list_min`` are read one by one. Otherwise the list is read unless its last answer (``list_rows``
    rows; None: not read yet) makes it dearer than a GET per wait. Both are priced in rows: a request costs
    REQUEST_ROWS plus its share of the rate limit (``request_seconds``, see _pacer; None, not known yet:
    UNKNOWN_REQUEST_SECONDS, Coolify's default) over ROW_SECONDS. So under a rate limit the list is read (one request
    serves every wait), and without a binding one a handful of waits among thousands of resources is not paid for with
    the whole list every poll (which made a task's cost grow with the square of its size).
    """
    if pending < list_min:
        return "per_item"
    if list_rows is None:
        return "list"
    if request_seconds is None:
        request_seconds = UNKNOWN_REQUEST_SECONDS
    request = REQUEST_ROWS + request_seconds / ROW_SECONDS
    return "per_item" if pending * (request + 1) < request + list_rows else "list"


def next_due(waits, poll_started, confirm_after):
    """When the watcher must poll at the latest (its clock): the earliest deadline of a pending wait, or
    ``confirm_after`` after the oldest follow registered since the last poll started that only waits to be seen
    queued (``wait: false``); None when neither.

    Such a follow is settled by the list read that sees it (one request for all of them). Read a full interval later,
    a quick deployment may have left the list already and cost a ``GET /deployments/{uuid}`` of its own.
    """
    times = [wait.deadline for wait in waits if wait.pending and wait.deadline is not None]
    times.extend(wait.registered_at + confirm_after for wait in unread_confirms(waits, poll_started))
    return min(times) if times else None


def unread_confirms(waits, poll_started):
    """The pending ``wait: false`` follows registered since the last poll started: no read has covered them yet."""
    return [wait for wait in waits if wait.pending and wait.what == "deployment" and wait.until == "queued"
            and (poll_started is None or wait.registered_at >= poll_started)]


def lazy_reads(statuses, busy, lazy_due, soon):
    """The status waits to read this poll: every eager one, and the lazy ones when they are due.

    Lazy ones are due when nothing else keeps the watcher busy, every LAZY_POLLS polls (``lazy_due``), when an eager
    wait of their kind is read anyway (the same list call), or when one of them expires before ``soon`` (a wait is
    never left to expire unread).
    """
    eager_kinds = set(wait.kind for wait in statuses if not wait.lazy)
    if not busy or lazy_due or any(wait.lazy and wait.deadline is not None and wait.deadline <= soon
                                   for wait in statuses):
        return statuses
    return [wait for wait in statuses if not wait.lazy or wait.kind in eager_kinds]


def expiry(wait):
    """``(reason, message)`` for a pending wait whose deadline passed."""
    if wait.what == "deployment":
        goal = "be seen queued" if wait.until == "queued" else "finish"
        return "timed out", "Timed out waiting for deployment %s to %s (last deployment status: %s)." % (
            wait.deployment_uuid, goal, wait.result["deployment_status"] or "not read")
    if wait.what == "status":
        text = wait.evidence.timeout_message()
        return "not observed" if not wait.evidence.evidence else "timed out", text[0].upper() + text[1:] + "."
    return "outcome unknown", "The answer was lost and no deployment created by the request was found before the timeout."


class Wait(object):
    """One registered wait. ``state`` is pending, done or failed; ``result`` says why; wait() blocks until settled.

    ``result`` keys: ``reason`` (finished, queued, observed, failed, cancelled-by-user, not queued, not observed,
    timed out, deleted, outcome unknown, error), ``message``, ``deployment_uuid``, ``deployment_status``,
    ``status``, ``log_lines``, ``verified`` (the deployment was found after a lost answer).
    """

    def __init__(self, what, uuid, kind="application", deployment_uuid=None, slot=None, deadline=None, until=None,
                 label=None):
        self.what = what
        self.uuid = uuid
        self.kind = kind
        self.deployment_uuid = deployment_uuid
        self.slot = slot
        self.slot_held = slot is not None
        self.deadline = deadline
        self.until = until
        self.label = label or uuid
        self.state = "pending"
        self.seen_active = False
        self.evidence = None
        self.lazy = False
        self.sent_wall = None
        self.known = ()
        self.verify_reads = 0
        self.registered_at = None
        self.put_off = 0  # the polls at which it had left the list and its one GET was put off (Watcher._read_left)
        self.failed_reads = 0  # its GETs in a row that failed and are read again (Watcher._read_one) ...
        self.read_again = False  # ... the last one of which did
        self.result = {"reason": None, "message": None, "deployment_uuid": deployment_uuid, "deployment_status": None,
                       "status": None, "log_lines": [], "verified": False}
        self._event = threading.Event()

    @property
    def pending(self):
        return self.state == "pending"

    def wait(self, timeout=None):
        """Block until settled (done or failed); False when ``timeout`` (real seconds) ran out first."""
        return self._event.wait(timeout)
