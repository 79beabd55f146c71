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

import collections
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


class Case(collections.namedtuple("Case", ("name", "idempotent", "action", "reason"))):
    """One way an attempt can fail: its name, the decision for idempotent requests and for actions, and why."""

    __slots__ = ()
    # Each case is one of the table's constants: compared by identity, never equal to a tuple of the same values.
    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def decide(self, is_action_request):
        return self.action if is_action_request else self.idempotent


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
                   "A 503 whose JSON body is exactly Laravel's maintenance answer, which comes before routing, so "
                   "nothing was processed.")
UNAVAILABLE = Case("unavailable", RETRY, UNKNOWN,
                   "Any other 503 (a page or JSON from something in front of Coolify, or Coolify's own): nothing proves "
                   "whether the request was processed.")
SERVER_ERROR = Case("server_error", RETRY, UNKNOWN,
                    "A 500: Coolify failed while handling the request, and part of it (a queued deployment) may have "
                    "run.")
BAD_GATEWAY = Case("bad_gateway", RETRY, UNKNOWN,
                   "A 502 from a proxy: Coolify may have processed the request and its answer was lost.")
GATEWAY_TIMEOUT = Case("gateway_timeout", RETRY, UNKNOWN,
                       "A 504 from a proxy that gave up waiting: Coolify may have processed the request, or still be "
                       "processing it.")
PROXY_TIMEOUT = Case("proxy_timeout", RETRY, UNKNOWN,
                     "Another proxy's give-up or an unexpected 5xx (408, 499, Cloudflare's 520-524, any 5xx but 501 "
                     "and 505): the request may have reached Coolify and may still be processed.")
LOST_ANSWER = Case("lost_answer", RETRY, UNKNOWN,
                   "The request was sent and no answer came back (read timeout, connection reset or closed after "
                   "sending, a truncated answer): it may have been processed.")
NOT_RETRYABLE = Case("not_retryable", FAIL, FAIL,
                     "A TLS failure, a bad URL or header, or an unexpected local error: sending again cannot help.")

CASES = (NOT_SENT, RATE_LIMITED, QUEUE_FULL, MAINTENANCE, UNAVAILABLE, SERVER_ERROR, BAD_GATEWAY, GATEWAY_TIMEOUT,
         PROXY_TIMEOUT, LOST_ANSWER, NOT_RETRYABLE)
# Cases after which the request may still be running on Coolify: a re-read that shows nothing does not prove that it
# will not land (a 500 is Coolify's own answer once the request has ended, so it is not one of them).
IN_FLIGHT = frozenset((UNAVAILABLE, BAD_GATEWAY, GATEWAY_TIMEOUT, PROXY_TIMEOUT, LOST_ANSWER))

_BY_STATUS = {500: SERVER_ERROR, 502: BAD_GATEWAY, 504: GATEWAY_TIMEOUT, 408: PROXY_TIMEOUT, 499: PROXY_TIMEOUT}
# Laravel's maintenance answer to a JSON request (PreventRequestsDuringMaintenance, API-NOTES 2.5), exactly.
MAINTENANCE_BODY = {"message": "Service Unavailable"}


def is_action(method, path, action=False):
    """True for a request that must never be resent blindly (see the module docstring)."""
    return bool(action) or method.upper() not in IDEMPOTENT_METHODS or ACTION_ROUTE.match(path) is not None


def status_case(status, body=None, remaining=None, throttled=None):
    """The Case for an HTTP answer, or None when the answer is final (a 2xx, a 501 or 505, or a 4xx but 408/429/499).

    ``body``: the decoded JSON object of the answer, or None (no JSON: a proxy's page); ``remaining``: the
    X-RateLimit-Remaining header as an int, or None; ``throttled``: the headers' verdict on a 429
    (``_pacer.is_throttled``), or None to judge by ``remaining`` alone.
    """
    body = body if isinstance(body, dict) else None
    if status == 429:
        if QUEUE_FULL_TEXT in str((body or {}).get("message") or "").lower():
            return QUEUE_FULL
        if throttled is None:
            throttled = remaining is None or remaining <= 0
        return RATE_LIMITED if throttled else QUEUE_FULL
    if status == 503:
        return MAINTENANCE if body == MAINTENANCE_BODY else UNAVAILABLE
    if status >= 500 and status not in _BY_STATUS and status not in (501, 505):
        return PROXY_TIMEOUT
    return _BY_STATUS.get(status)


def in_flight(status, body=None):
    """True when an answer of ``status`` (with the decoded JSON ``body``, or None) leaves the request possibly still
    running on Coolify (IN_FLIGHT); None as status means no answer came back at all."""
    if status is None:
        return True
    return status_case(status, body) in IN_FLIGHT


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
