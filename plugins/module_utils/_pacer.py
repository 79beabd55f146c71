# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""RateLimitPacer: one per client, shared by every worker thread, so a fleet-wide batch stays inside Coolify's rate limit.

Stdlib only and clock-injectable, so it is tested as pure code.
"""

from __future__ import annotations

import email.utils
import math
import threading
import time

# Retry-After values above this are capped (Coolify's window is 60 s; a larger value is a misconfigured proxy).
RETRY_AFTER_CAP = 60.0


def parse_retry_after(value, now_wall=None):
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unparsable."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now_wall is None else now_wall)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def header_int(headers, name):
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


class RateLimitPacer(object):
    """Spreads the requests of all worker threads over Coolify's fixed-window rate limit.

    Coolify (Laravel ``throttle:api``) counts requests per user in a fixed window (60 s by default) that starts with
    the first request after the previous window expired. Successful answers carry ``X-RateLimit-Limit`` and
    ``X-RateLimit-Remaining``; a 429 carries ``Retry-After`` (seconds until the window resets).

    * Budget: the lowest Remaining seen in the current window, minus the requests in flight. The server counts
      requests in its own order, so the lowest Remaining is the latest state known, and every request it has not
      counted yet is in flight: the budget never exceeds what is really left, and it recovers as answers arrive.
      Requests go out while it is positive, so a window is used fully without a 429.
    * New window: an answer to a request sent after the lowest Remaining was seen, reporting a Remaining that is not
      lower (within one window a later request is counted later, so Remaining only falls).
    * Window end: the window length is never sent, so it is learnt. When the budget is spent and the end is unknown,
      one probe goes out alone; its 429 announces the reset, blocks every thread until then and gives the window
      length (reset minus the window's first request). From then on the pacer waits for each predicted reset
      instead of probing, so a long batch sees a 429 only while learning (one or two) and none afterwards; a wrong
      prediction costs one 429, which corrects it.
    * Any throttling 429 blocks every thread until Retry-After has passed.

    ``before_request``/``after_response`` are called by the client around every attempt, from any thread.
    """

    def __init__(self, clock=time.monotonic, sleep=time.sleep, margin=0.25, max_wait=RETRY_AFTER_CAP, probe_poll=0.01):
        self._clock = clock
        self._sleep = sleep
        self._margin = margin
        self._max_wait = max_wait
        self._probe_poll = probe_poll
        self._lock = threading.Lock()
        self._local = threading.local()
        self._limit = None
        self._in_flight = 0
        self._sent = 0  # requests sent in the pacer's life
        self._first_sent = None
        self._window = None  # learnt window length (s)
        self._window_start = None  # send time of the first request seen in the current window
        self._reset_at = None  # predicted (or announced) end of the current window
        self._min_header = None  # lowest X-RateLimit-Remaining seen in the current window ...
        self._min_seen_at = None  # ... and when it was seen
        self._blocked_until = 0.0
        self._probing = False
        self.waits = 0
        self.waited_seconds = 0.0

    def _budget(self):
        if self._min_header is None:
            return None
        return self._min_header - self._in_flight

    def snapshot(self):
        """A copy of the pacer state, for tests and debugging."""
        with self._lock:
            return {
                "limit": self._limit,
                "budget": self._budget(),
                "in_flight": self._in_flight,
                "sent": self._sent,
                "window": self._window,
                "window_start": self._window_start,
                "reset_at": self._reset_at,
                "blocked_until": self._blocked_until,
                "waits": self.waits,
                "waited_seconds": round(self.waited_seconds, 3),
            }

    def before_request(self):
        """Block while a Retry-After is pending or the window's budget is spent; then count the request in flight."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._decide(now)
                if wait is None:
                    self._in_flight += 1
                    self._sent += 1
                    if self._first_sent is None:
                        self._first_sent = now
                    self._local.sent_at = now
                    return
                wait = min(wait, self._max_wait)
                self.waits += 1
                self.waited_seconds += wait
            self._sleep(wait)

    def _decide(self, now):
        """Seconds to wait before sending, or None to send now; called with the lock held."""
        if now < self._blocked_until:
            return self._blocked_until - now
        if self._probing:
            return self._probe_poll
        budget = self._budget()
        if budget is None or budget > 0:
            return None
        if self._in_flight > 0:
            return self._probe_poll  # the answers in flight will tell whether budget is left
        # The window is spent.
        if self._reset_at is not None and now < self._reset_at:
            return self._reset_at - now
        # It should have reset by now, or its end is unknown: send one probe alone.
        self._probing = True
        return None

    def after_response(self, status, headers, throttled=None):
        """Record an answer (status None: the attempt failed without one); learn the limit, budget and reset.

        ``throttled`` says whether a 429 came from the rate limiter (True) or is an application-level 429 such as a
        full deployment queue (False), which must not slow the other requests; None: judge by the headers.
        """
        with self._lock:
            now = self._clock()
            sent_at = getattr(self._local, "sent_at", None)
            self._local.sent_at = None
            if sent_at is None:
                sent_at = now
            if self._in_flight > 0:
                self._in_flight -= 1
            self._probing = False
            if status is None:
                return
            limit = header_int(headers, "X-RateLimit-Limit")
            remaining = header_int(headers, "X-RateLimit-Remaining")
            if status == 429 and throttled is not False:
                self._after_429(now, headers, remaining, limit)
                return
            if remaining is None:
                return
            if limit is not None:
                self._limit = limit
            self._observe(now, sent_at, remaining)

    def _observe(self, now, sent_at, header):
        if self._window_start is not None and sent_at < self._window_start:
            return  # a late answer from the previous window
        if self._min_header is None:
            # First answer of the pacer's life: if every request counted so far may be ours, the window began with
            # our first request; otherwise its start is unknown.
            if self._limit is not None and header >= self._limit - self._sent:
                self._start_window(self._first_sent)
            self._min_header, self._min_seen_at = header, now
        elif sent_at > self._min_seen_at and header >= self._min_header:
            self._start_window(sent_at)
            self._min_header, self._min_seen_at = header, now
        elif header < self._min_header:
            self._min_header, self._min_seen_at = header, now

    def _start_window(self, start):
        self._window_start = start
        self._reset_at = start + self._window + self._margin if self._window is not None else None

    def _after_429(self, now, headers, remaining, limit):
        if remaining is not None and remaining > 0:
            return  # not the throttle (a full deployment queue): do not stop every thread
        retry_after = parse_retry_after(headers.get("Retry-After") if headers else None)
        if retry_after is None:
            reset = header_int(headers, "X-RateLimit-Reset")
            retry_after = max(0.0, reset - time.time()) if reset is not None else 1.0
        retry_after = min(retry_after, self._max_wait)
        if limit is not None:
            self._limit = limit
        reset_at = now + retry_after
        if self._window_start is not None:
            learnt = reset_at - self._window_start
            if learnt > 0 and (self._window is None or learnt > self._window):
                self._window = learnt
        self._reset_at = reset_at + self._margin
        self._blocked_until = max(self._blocked_until, reset_at)
        self._min_header, self._min_seen_at = 0, now
