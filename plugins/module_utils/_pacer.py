# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""RateLimitPacer: one per client, shared by every worker thread, so a fleet-wide batch stays inside Coolify's rate limit.

Stdlib only and clock-injectable, so it is tested as pure code.
"""

from __future__ import annotations

import collections
import email.utils
import math
import threading
import time

# Retry-After values above this are capped (Coolify's window is 60 s; a larger value is a misconfigured proxy).
RETRY_AFTER_CAP = 60.0
# Coolify's limiter is Limit::perMinute(API_RATE_LIMIT): the limit is configurable, the window is not.
COOLIFY_WINDOW = 60
# At most this much of a window's first round trip is allowed for the server counting that request late.
LATE_COUNT_CAP = 0.5


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


def is_throttled(headers):
    """True when a 429 comes from the rate limiter, False for Coolify's own "queue full" 429 on /deploy.

    Laravel's throttle answers with ``X-RateLimit-Reset``; an answer that passed the throttle carries only Limit and
    Remaining (API-NOTES §2.4), and the queue's 429 ``Retry-After: 60``, even when Remaining is 0. A 429 without
    Remaining came from something in front of Coolify and is treated as a throttle.
    """
    if not headers or headers.get("X-RateLimit-Reset") is not None:
        return True
    remaining = header_int(headers, "X-RateLimit-Remaining")
    if remaining is None:
        return True
    # Without a Reset header, Remaining 0 is the throttle unless the answer carries the queue's Retry-After: 60.
    return remaining == 0 and parse_retry_after(headers.get("Retry-After")) != 60.0


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
    """Spreads the requests of all worker threads (submitters and the watcher alike) over Coolify's fixed-window limit.

    Coolify (Laravel ``throttle:api``) counts requests per user in a fixed window (60 s by default) that starts with
    the first request after the previous window expired. Successful answers carry ``X-RateLimit-Limit`` and
    ``X-RateLimit-Remaining``; a throttling 429 carries ``Retry-After`` (whole seconds until the window resets).

    * Budget: the lowest Remaining seen in the current window, minus the requests in flight. Requests go out while
      it is positive, so a window is used fully without a 429.
    * New window: an answer to a request sent after the lowest Remaining was seen, reporting a Remaining that is not
      lower (within one window a later request is counted later, so Remaining only falls).
    * Window end: the window length is never sent, so it is learnt as the span from the send time of a window's
      first request to its reset, kept as bounds ``(low, high]``. A 429's Retry-After is rounded up to whole seconds,
      so it gives bounds a second apart; every later window narrows them by sending its probe at the middle (a 429
      there raises ``low``, an answer lowers ``high``) until they are ``precision`` apart, then the probe goes at
      ``high``. Such an early probe is only sent while 429s stay within ``max_share`` (1 %) of the requests; a wrong
      bound costs one 429 and is learnt again.
    * Coolify's window is a minute (``Limit::perMinute``; only the limit is configurable), so before any 429 the pacer
      waits for the minute when the budget runs out in its last three quarters, and draws no 429 at all. Spent
      earlier (a limit far above the pace, or a shorter window), a probe learns the real window from one 429.
    * Only a throttling 429 (see is_throttled) blocks every thread; a "queue full" 429 is the caller's business.
    * Fairness: threads that have to wait queue in arrival order, and the k-th in the queue sends once the budget
      exceeds k. The watcher's thread is a priority thread (``prioritize``): it queues ahead of the submitters, and
      while it has work the submitters leave ``reserve`` requests of each window to it. Its polls are one request
      per interval, so they cannot starve the actions; the actions cannot push a poll into the next window, where a
      quick deployment would have left the list and cost a read of its own.
    * ``max_in_flight`` (the task's ``max_workers``) caps the requests in flight, the watcher's included. It is
      counted here, where a thread waiting for the next window holds no place, so a poll never waits behind
      submitters parked until the window resets.

    ``before_request``/``after_response`` are called by the client around every attempt, from any thread; the send
    time is kept per thread, or passed back explicitly (``after_response(..., sent_at=before_request())``).
    """

    def __init__(self, clock=time.monotonic, sleep=time.sleep, margin=0.05, max_wait=RETRY_AFTER_CAP, probe_poll=0.01,
                 precision=0.2, max_share=0.01, window_hint=COOLIFY_WINDOW, max_in_flight=None):
        self._clock = clock
        self._sleep = sleep
        self._margin = margin
        self._max_wait = max_wait
        self._probe_poll = probe_poll
        self._precision = precision
        self._max_share = max_share
        self._lock = threading.Lock()
        self._local = threading.local()
        self._limit = None
        self._in_flight = 0
        self._sent = 0  # requests sent in the pacer's life
        self._first_sent = None
        self._span = None  # [low, high]: bounds of (reset - send time of the window's first request), seconds
        self._window_start = None  # send time of the first request seen in the current window ...
        self._first_answer = None  # ... and when its first answer arrived (the window opened in between)
        self._whole_seconds = True  # windows last whole seconds (Laravel), until evidence says otherwise
        self._window_hint = window_hint
        self._whole = window_hint  # that whole number: Coolify's minute until a 429 tells, then the one that fits ...
        self._hint = window_hint is not None  # ... (still the hint, unconfirmed) ...
        self._early = True  # ... and probing at it (not at the upper bound) has not drawn a 429
        self._guessing = False  # _whole is the shortest of several whole windows that fit the bounds
        self._min_header = None  # lowest X-RateLimit-Remaining seen in the current window ...
        self._min_seen_at = None  # ... and when it was seen
        self._blocked_until = 0.0
        self._probe = None  # send time of the probe in flight
        self._queue = collections.deque()
        self._priority = set()  # tickets of priority threads; they stand ahead of every other ticket
        self._reserve = 0
        self._max_in_flight = None
        self.limit_in_flight(max_in_flight)
        self._tickets = 0
        self.waits = 0
        self.waited_seconds = 0.0
        self.throttled = 0

    def _budget(self):
        if self._min_header is None:
            return None
        return self._min_header - self._in_flight

    def _took(self):
        """How long the current window's first request took to be answered (the server counted it meanwhile)."""
        return max(0.0, (self._first_answer or self._window_start) - self._window_start)

    def _target(self, now):
        """When the probe for the next window goes out; None to probe now (the window's end is unknown)."""
        if self._window_start is None:
            return None
        if self._whole is not None and self._early:
            # The window reset W seconds after its first request was counted, at some time between that request's
            # send and its answer (a busy server may count it late). A probe sent W seconds after that answer is
            # counted after the reset whatever the server did. For a W that fits alone the allowance is capped, so a
            # slow server costs at most LATE_COUNT_CAP a window (a probe that is still early draws one 429, and the
            # upper bound is used); a guessed W waits the whole round trip, so that a 429 rules it out (_whole_reset).
            target = self._whole_reset()
            if self._hint and target - now > 0.75 * self._whole:
                return None  # a long wait on an unconfirmed hint: probe instead, a 429 tells the real window
            return target
        if self._span is None:
            return None
        low, high = self._span
        # Probing early costs a 429 half of the time: only while 429s stay within max_share of the requests.
        if high - low > self._precision and (self.throttled + 1) <= self._max_share * (self._sent + 1):
            return self._window_start + (low + high) / 2.0
        return self._window_start + high + self._margin

    def _whole_reset(self):
        """When a window of ``_whole`` seconds has reset, with an allowance for the server having counted its first
        request late: the whole time its answer took for a guess (so that a 429 rules the guess out), else at most
        LATE_COUNT_CAP."""
        took = self._took() if self._guessing else min(self._took(), LATE_COUNT_CAP)
        return self._window_start + self._whole + max(self._margin, took)

    def snapshot(self):
        """A copy of the pacer state, for tests and debugging."""
        with self._lock:
            target = self._target(self._clock())
            return {
                "limit": self._limit, "budget": self._budget(), "in_flight": self._in_flight, "sent": self._sent,
                "span": list(self._span) if self._span else None,
                "window": round(self._span[1], 3) if self._span else None,
                "window_start": self._window_start, "reset_at": target, "blocked_until": self._blocked_until,
                "queued": len(self._queue), "reserve": self._reserve, "max_in_flight": self._max_in_flight,
                "whole": self._whole, "guessing": self._guessing,
                "waits": self.waits, "waited_seconds": round(self.waited_seconds, 3),
                "throttled": self.throttled,
            }

    def request_seconds(self):
        """The share of the rate limit one request takes: the window's length over its limit, in seconds (Coolify's
        default 200 a minute: 0.3 s); None before an answer carried ``X-RateLimit-Limit``."""
        with self._lock:
            if not self._limit or self._limit <= 0:
                return None
            window = self._span[1] if self._span else (self._whole or self._window_hint or COOLIFY_WINDOW)
            return window / float(self._limit)

    def in_flight(self):
        """Requests sent and not yet answered (a thread waiting for its turn is not counted)."""
        with self._lock:
            return self._in_flight

    def limit_in_flight(self, count):
        """At most ``count`` requests in flight at once (None: no cap)."""
        with self._lock:
            self._max_in_flight = None if count is None else max(1, int(count))

    def actions_held(self):
        """True while the submitters can send nothing before the window resets: it is spent down to the reserve (or
        a 429 blocks every thread). Nothing raises the budget again within a window, so the actions of this window are
        all sent; the watcher reads their deployments before they can leave the list (see Watcher._due)."""
        with self._lock:
            if self._clock() < self._blocked_until:
                return True
            budget = self._budget()
            return budget is not None and budget - self._reserve <= 0

    def reserve(self, count):
        """Leave ``count`` requests of each window to the priority threads (0 when they have nothing to do)."""
        with self._lock:
            self._reserve = max(0, int(count))

    def prioritize(self):
        """Make the calling thread a priority thread (the watcher's)."""
        self._local.priority = True

    def before_request(self):
        """Wait for this thread's turn; return the send time (the request is counted in flight from now on)."""
        priority = getattr(self._local, "priority", False)
        with self._lock:
            self._tickets += 1
            ticket = self._tickets
            if priority:
                self._queue.insert(sum(1 for queued in self._queue if queued in self._priority), ticket)
                self._priority.add(ticket)
            else:
                self._queue.append(ticket)
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    wait = self._decide(now, self._queue.index(ticket), priority)
                    if wait is None:
                        self._queue.remove(ticket)
                        self._priority.discard(ticket)
                        self._in_flight += 1
                        self._sent += 1
                        if self._first_sent is None:
                            self._first_sent = now
                        self._local.sent_at = now
                        return now
                    wait = min(wait, self._max_wait)
                    self.waits += 1
                    self.waited_seconds += wait
                self._sleep(wait)
        except BaseException:
            with self._lock:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._priority.discard(ticket)
            raise

    def _decide(self, now, position, priority=False):
        """Seconds to wait before sending, or None to send now; called with the lock held."""
        if now < self._blocked_until:
            return self._blocked_until - now
        if self._max_in_flight is not None and self._in_flight + position >= self._max_in_flight:
            return self._probe_poll  # an answer frees a place; the threads ahead take theirs first
        if self._probe is not None:
            return self._probe_poll
        budget = self._budget()
        if budget is None:
            return None
        spare = budget if priority else budget - self._reserve
        if spare > position:
            return None
        if spare > 0 or self._in_flight > 0:
            return self._probe_poll  # answers in flight, or the threads ahead, will move the budget
        # The window is spent: the first in line probes alone, when the window should have reset.
        target = self._target(now)
        if target is not None and now < target:
            return target - now
        if position:
            return self._probe_poll
        self._probe = now
        return None

    def after_response(self, status, headers, throttled=None, sent_at=None):
        """Record an answer (status None: the attempt failed without one); learn the limit, budget and window.

        ``throttled`` says whether a 429 came from the rate limiter (True) or is an application-level 429 such as a
        full deployment queue (False), which must not slow the other requests; None: judge by the headers
        (is_throttled).
        """
        with self._lock:
            now = self._clock()
            if sent_at is None:
                sent_at = getattr(self._local, "sent_at", None)
            self._local.sent_at = None
            if sent_at is None:
                sent_at = now
            if self._in_flight > 0:
                self._in_flight -= 1
            self._probe = None
            if status is None:
                return
            limit = header_int(headers, "X-RateLimit-Limit")
            remaining = header_int(headers, "X-RateLimit-Remaining")
            if limit is not None:
                self._limit = limit
            if status == 429 and (is_throttled(headers) if throttled is None else throttled):
                self._throttled(now, sent_at, headers)
                return
            if remaining is None:
                return
            self._observe(now, sent_at, remaining)

    def _observe(self, now, sent_at, header):
        if self._window_start is not None and sent_at < self._window_start:
            return  # a late answer from the previous window
        if self._min_header is None:
            # First answer of the pacer's life: if every request counted so far may be ours, the window began with
            # our first request; otherwise its start is unknown.
            if self._limit is not None and header >= self._limit - self._sent:
                self._window_start, self._first_answer = self._first_sent, now
            self._min_header, self._min_seen_at = header, now
        elif sent_at > self._min_seen_at and header >= self._min_header:
            # A new window, opened by this request: the previous one had reset when it was counted.
            if self._window_start is not None and self._span is not None:
                self._narrow(now - self._window_start)
            self._window_start, self._first_answer = sent_at, now
            self._min_header, self._min_seen_at = header, now
        elif header < self._min_header:
            self._min_header, self._min_seen_at = header, now

    def _narrow(self, high):
        """A window reset no later than ``high`` after its first request: lower the span's upper bound."""
        low = self._span[0]
        if high < low:
            low = max(0.0, high - 1.0)  # the lower bound was wrong: widen it again as after a fresh 429
            self._whole_seconds, self._whole, self._guessing = False, None, False
        self._span = [low, min(high, self._span[1])]
        if self._guessing and self._span[1] < self._whole + 1:
            # No longer whole window fits: the guess was right, and the span shrinks to it as in _snap.
            self._guessing = False
            low = max(low, self._whole)  # (a lower bound learnt in a slower window may pass W + this window's took)
            self._span = [low, max(low, min(self._span[1], self._whole + self._took()))]

    def _snap(self, low, high):
        """Laravel's windows last whole seconds W, and the span is W plus at most the time the window's first request
        took to be counted (its first answer came later). When one whole W fits the bounds, they shrink to it.

        One 429 usually leaves two or three (Retry-After is a difference of whole seconds, see _throttled). Coolify's
        minute is taken when it is one of them; otherwise the shortest is guessed (``_guessing``) and probed W seconds
        after the window's first answer, when a window of W seconds has reset whatever the server did. So a 429 there
        rules W out for good: a wrong guess costs one 429 and no time (the probe would otherwise wait for the longest),
        a right one saves up to two seconds, and once the next window's first answer leaves W alone it is the window.
        """
        self._guessing = False
        if not self._whole_seconds or self._first_answer is None:
            return [low, high]
        took = self._took()
        shortest = max(1, math.floor(low - took) + 1)  # the least whole W with W > low - took
        longest = math.floor(high)
        if shortest > longest:
            self._whole = None
            return [low, high]  # no whole number of seconds fits
        if shortest < longest:
            if self._window_hint is not None and shortest <= self._window_hint <= longest:
                shortest = self._window_hint  # Coolify's minute is one of those that fit
            else:
                self._whole, self._guessing = shortest, True
                return [low, high]
        self._whole = shortest
        return [max(low, shortest), min(high, shortest + took)]

    def _throttled(self, now, sent_at, headers):
        self.throttled += 1
        # Only a request sent W seconds into the window (a probe that relied on W) says W was short or counted late.
        probe = self._whole is not None and self._window_start is not None and sent_at >= self._window_start + self._whole
        guessed = self._whole if self._guessing and probe else None
        if self._hint:
            self._whole, self._hint = None, False  # not Coolify's minute: learn the window from this 429
        elif probe and guessed is None:
            self._early = False  # a probe at W seconds came too early: from now on, wait for the upper bound
        retry_after = parse_retry_after(headers.get("Retry-After") if headers else None)
        if retry_after is None:
            reset = header_int(headers, "X-RateLimit-Reset")
            retry_after = max(0.0, reset - time.time()) if reset is not None else 1.0
        retry_after = min(retry_after, self._max_wait)
        # Laravel's Retry-After is the window's timer (the whole second of its first request, plus the window) minus
        # the current whole second (RateLimiter::availableIn): the reset is within a second of now + Retry-After,
        # on either side, and may be up to a second away when it says 0.
        reset_at = now + retry_after + 1.0  # the latest the window can reset
        if self._window_start is not None and sent_at < self._window_start:
            return  # counted in a window that has ended since: its reset is past
        if self._window_start is not None:
            # The window resets after this request was counted, and within a second of its Retry-After.
            low = max(sent_at, sent_at + retry_after - 1.0) - self._window_start
            high = reset_at - self._window_start
            if self._span is not None and low <= self._span[1] and high >= self._span[0]:
                low, high = max(low, self._span[0]), min(high, self._span[1])
            elif self._span is not None:
                self._whole_seconds, self._whole, self._guessing = False, None, False  # wrong bounds: no assumption
            self._span = self._snap(low, high)
            if guessed is not None and self._guessing and self._whole == guessed:
                self._early = False  # the guess still fits: its probe was early (a slow server), so no more early ones
            # The latest reset the bounds allow: once a whole number of seconds fits them, up to two seconds sooner
            # than Retry-After allows; while the shortest of several is guessed, its reset.
            reset_at = self._window_start + self._span[1]
            if self._guessing and self._early:
                reset_at = min(reset_at, self._whole_reset())
        self._blocked_until = max(self._blocked_until, reset_at)
        self._min_header, self._min_seen_at = 0, now
