# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""The client's retry policy: which failed attempt may be sent again, and why (no I/O; requests' exception types only).

Write safety is a property of the client, not of each caller. Every request is one of two kinds:

* **idempotent**: sending it twice does what sending it once does: GET and HEAD, PUT and PATCH (the env bulk PATCH
  sets values), and DELETE (of a known uuid);
* **action**: every POST, and every start, stop, restart or deploy route whatever its method (applications,
  services and databases; ``/deploy``). Sent twice, Coolify does it twice (two deployments, two restarts).

A failed attempt falls into exactly one case below. For each case and kind the decision is:

* ``retry``: send it again, within ``max_retries`` and ``max_retry_seconds``;
* ``fail``: raise the typed error for it; nothing is sent again;
* ``unknown``: raise OutcomeUnknownError (with ``sent_at``): the request may or may not have been applied, so it is
  never sent again; the caller verifies what happened instead.

An action is only ever sent again when the attempt provably did not reach Coolify's controller. When the retries of
an idempotent write (PATCH, PUT, DELETE) run out on a case that may have been processed, the transport raises
OutcomeUnknownError too: the write may have been applied. A DELETE resent after such a case that then answers 404
has done its work (the first attempt deleted the row).
"""

from __future__ import annotations

import re

try:
    import requests.exceptions
    import urllib3.exceptions
except ImportError:  # pragma: no cover - _http reports the missing library
    requests = urllib3 = None

RETRY = "retry"
FAIL = "fail"
UNKNOWN = "unknown"

IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"))
# start/stop/restart/deploy of an application, service or database, and the multi-deploy endpoint.
ACTION_ROUTE = re.compile(r"^/(?:(?:applications|services|databases)/[^/]+/(?:start|stop|restart|deploy)|deploy)/?$")

QUEUE_FULL_TEXT = "queue is full"


class Case(object):
    """One way an attempt can fail: its name, the decision for idempotent requests and for actions, and why."""

    __slots__ = ("name", "idempotent", "action", "reason")

    def __init__(self, name, idempotent, action, reason):
        self.name = name
        self.idempotent = idempotent
        self.action = action
        self.reason = reason

    def decide(self, is_action_request):
        return self.action if is_action_request else self.idempotent

    def __repr__(self):
        return "Case(%s: idempotent=%s, action=%s)" % (self.name, self.idempotent, self.action)


NOT_SENT = Case("not_sent", RETRY, RETRY,
                "The connection failed before the request was written (refused, name resolution, connect timeout), so "
                "nothing reached Coolify.")
RATE_LIMITED = Case("rate_limited", RETRY, RETRY,
                    "A 429 from the rate limiter: Coolify's throttle middleware rejects the request before routing, so "
                    "the controller never ran (API-NOTES 2.3, 2.4). Every request waits for Retry-After (the pacer).")
QUEUE_FULL = Case("queue_full", FAIL, FAIL,
                  "The application-level 429 of a full deployment queue (Retry-After: 60): the controller ran, and "
                  "/deploy may already have queued the resources before the full one (API-NOTES 8). It is reported "
                  "as QueueFullError, and it does not slow the other requests.")
MAINTENANCE = Case("maintenance", RETRY, RETRY,
                   "A 503 the API itself answered as JSON: Laravel's maintenance mode, which answers before routing, "
                   "so nothing was processed.")
UNAVAILABLE = Case("unavailable", RETRY, UNKNOWN,
                   "A 503 page from something in front of Coolify: nothing proves whether it passed the request on.")
SERVER_ERROR = Case("server_error", RETRY, UNKNOWN,
                    "A 500: Coolify failed while handling the request, and part of it (a queued deployment) may have "
                    "run.")
BAD_GATEWAY = Case("bad_gateway", RETRY, UNKNOWN,
                   "A 502 from a proxy: Coolify may have processed the request and its answer was lost.")
GATEWAY_TIMEOUT = Case("gateway_timeout", RETRY, UNKNOWN,
                       "A 504 from a proxy that gave up waiting: Coolify may have processed the request, or still be "
                       "processing it.")
LOST_ANSWER = Case("lost_answer", RETRY, UNKNOWN,
                   "The request was sent and no answer came back (read timeout, connection reset or closed after "
                   "sending, a truncated answer): it may have been processed.")
NOT_RETRYABLE = Case("not_retryable", FAIL, FAIL,
                     "A TLS failure, a bad URL or header, or an unexpected local error: sending again cannot help.")

CASES = (NOT_SENT, RATE_LIMITED, QUEUE_FULL, MAINTENANCE, UNAVAILABLE, SERVER_ERROR, BAD_GATEWAY, GATEWAY_TIMEOUT,
         LOST_ANSWER, NOT_RETRYABLE)

_BY_STATUS = {500: SERVER_ERROR, 502: BAD_GATEWAY, 504: GATEWAY_TIMEOUT}


def is_action(method, path, action=False):
    """True for a request that must never be resent blindly (see the module docstring)."""
    return bool(action) or method.upper() not in IDEMPOTENT_METHODS or ACTION_ROUTE.match(path) is not None


def status_case(status, json_answer=False, api_message=None, remaining=None, throttled=None):
    """The Case for an HTTP answer, or None when the answer is final (a 2xx, or any other status).

    ``json_answer``: the body was JSON (the API answered, not a proxy); ``api_message``: its ``message``;
    ``remaining``: the X-RateLimit-Remaining header as an int, or None; ``throttled``: the headers' verdict on a 429
    (``_pacer.is_throttled``), or None to judge by ``remaining`` alone.
    """
    if status == 429:
        if QUEUE_FULL_TEXT in str(api_message or "").lower():
            return QUEUE_FULL
        if throttled is None:
            throttled = remaining is None or remaining <= 0
        return RATE_LIMITED if throttled else QUEUE_FULL
    if status == 503:
        return MAINTENANCE if json_answer else UNAVAILABLE
    return _BY_STATUS.get(status)


def transport_case(exc):
    """The Case of a requests exception: NOT_SENT, LOST_ANSWER or NOT_RETRYABLE."""
    if isinstance(exc, requests.exceptions.ConnectionError) and _not_sent(exc):
        return NOT_SENT
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader,
                        requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)):
        return NOT_RETRYABLE
    if isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ConnectionError,
                        requests.exceptions.ChunkedEncodingError)):
        return LOST_ANSWER
    return NOT_RETRYABLE


def _not_sent(exc):
    """True only when a ConnectionError provably happened before the request was written (no connection was made)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))
