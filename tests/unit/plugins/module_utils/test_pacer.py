# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rate-limit pacer as pure code: an injected clock, and a simulated Laravel fixed-window limiter.

``Simulation`` runs W virtual workers on one thread: the pacer's sleep advances the fake clock and delivers the
answers that fall due meanwhile, so every run is deterministic and takes milliseconds.
"""

from __future__ import annotations

import heapq
import math

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._pacer import RateLimitPacer, is_throttled


class Limiter(object):
    """Laravel's throttle: a fixed window opened by the first request after the last one expired. Its timer is that
    request's whole second plus the window, and a throttled answer says Retry-After = the timer minus the current
    whole second, at least 0 (RateLimiter::availableIn), and X-RateLimit-Reset = the timer. So Retry-After is up to a
    second short or long of the time left, by the fractions of the two seconds: ``phase`` (the server's wall clock
    minus the simulation's) sets them. A window of no whole seconds is no Laravel's: it says the time left, rounded up.
    """

    def __init__(self, limit, window, phase=0.0):
        self.limit = limit
        self.window = window
        self.phase = phase
        self.laravel = float(window).is_integer()
        self.count = 0
        self.reset = None
        self.timer = None
        self.opened = []  # when each window opened

    def hit(self, now):
        wall = now + self.phase
        if self.reset is None or now >= self.reset:
            self.count, self.reset = 0, now + self.window
            self.opened.append(now)
            self.timer = math.floor(wall) + self.window if self.laravel else wall + self.window
        if self.count >= self.limit:
            if self.laravel:
                retry = max(0, int(self.timer - math.floor(wall)))
            else:
                retry = max(1, int(math.ceil(self.reset - now)))
            return 429, {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": "0", "Retry-After": str(retry),
                         "X-RateLimit-Reset": str(int(1.7e9 + self.timer))}
        self.count += 1
        return 200, {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.limit - self.count)}


class Simulation(object):
    """``total`` requests from ``workers`` virtual threads through one pacer; each takes ``latency`` seconds and is
    counted by the limiter halfway. A throttled request is retried after its Retry-After, as the client does."""

    def __init__(self, limit=100, window=10.0, latency=0.1, workers=20, total=601, count_at=None, phase=0.0,
                 **pacer_options):
        self.now = 0.0
        self.count_at = count_at or (lambda sent_at: 0.5)  # when a request sent at ``sent_at`` counts (share of latency)
        self.limiter = Limiter(limit, window, phase)
        self.latency = latency
        self.workers = workers
        self.total = total
        self.events = []
        self.sequence = 0
        self.free = workers
        self.pending = total
        self.done = 0
        self.throttled = 0
        self.sent = 0
        self.pacer = RateLimitPacer(clock=lambda: self.now, sleep=self.sleep, **pacer_options)

    def push(self, when, kind, payload=None):
        self.sequence += 1
        heapq.heappush(self.events, (when, self.sequence, kind, payload))

    def deliver(self):
        when, _sequence, kind, payload = heapq.heappop(self.events)
        self.now = max(self.now, when)
        if kind == "retry":  # the worker that got a 429 slept its Retry-After and sends the item again
            self.free += 1
            self.pending += 1
            return
        status, headers, sent_at = payload
        self.pacer.after_response(status, headers, sent_at=sent_at)
        if status == 429:
            self.throttled += 1
            self.push(self.now + float(headers["Retry-After"]), "retry")
        else:
            self.free += 1
            self.done += 1

    def sleep(self, seconds):
        until = self.now + seconds
        while self.events and self.events[0][0] <= until:
            self.deliver()
        self.now = max(self.now, until)

    def send(self):
        sent_at = self.pacer.before_request()
        self.sent += 1
        status, headers = self.limiter.hit(self.now + self.latency * self.count_at(self.now))
        self.push(self.now + self.latency, "answer", (status, headers, sent_at))

    def run(self):
        while self.done < self.total:
            if self.free and self.pending:
                self.free -= 1
                self.pending -= 1
                self.send()
            else:
                self.deliver()
        return self.now


def fixed_window_limit(calls, limit=100, window=10.0):
    """The issue's bound: (ceil(calls / limit) - 1) windows, the empty play left out."""
    return (math.ceil(calls / float(limit)) - 1) * window


@pytest.mark.parametrize("total", [301, 601])
@pytest.mark.parametrize("workers, latency", [(20, 0.1), (10, 0.03)])
@pytest.mark.parametrize("phase", [0.0, 0.3, 0.7, 0.95])
def test_parallel_stays_within_5_percent_of_the_fixed_window_limit_with_at_most_1_percent_429s(
        total, workers, latency, phase):
    """Whatever the fractions of the server's seconds (``phase``), which put Retry-After up to a second short or long."""
    sim = Simulation(total=total, workers=workers, latency=latency, phase=phase)
    elapsed = sim.run()
    assert elapsed <= 1.05 * fixed_window_limit(total)
    assert sim.throttled <= 0.01 * sim.sent
    assert sim.throttled >= 1  # the window length is learnt from one 429: the simulation really hit the limit


@pytest.mark.parametrize("total", [301, 601])
def test_parallel_is_no_slower_than_sequential(total):
    # A sequential request costs a little more than the latency (the client's own work), as on a real machine.
    parallel = Simulation(total=total, workers=20, latency=0.105).run()
    sequential = Simulation(total=total, workers=1, latency=0.105).run()
    assert parallel <= sequential


@pytest.mark.parametrize("phase", [0.0, 0.5])
def test_a_429_early_in_its_window_leaves_two_whole_windows_and_the_shorter_is_probed_first(phase):
    """The 101st request goes out 0.96 s into the window, so Retry-After is 10 or 9: 9 to 11 s fit. Waiting for the
    longest cost the N=300 bench a second a window; the shorter is probed, and every window opens on time."""
    sim = Simulation(total=301, workers=10, latency=0.095, phase=phase)
    sim.run()
    opened = sim.limiter.opened
    assert len(opened) == 4
    assert max(later - earlier for earlier, later in zip(opened, opened[1:])) <= 10.0 + 2 * 0.095 + 0.05
    assert sim.throttled <= 2


def test_a_request_s_share_of_the_rate_limit_is_its_window_over_its_limit():
    """What the watcher prices a request at (see _waits.choose_status_reads): unknown until an answer carried the
    limit; Coolify's minute until a 429 tells the real window; then the window learnt."""
    now = {"t": 0.0}
    pacer = RateLimitPacer(clock=lambda: now["t"], sleep=lambda seconds: now.update(t=now["t"] + seconds))
    assert pacer.request_seconds() is None
    pacer.after_response(200, {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "199"}, sent_at=pacer.before_request())
    assert pacer.request_seconds() == pytest.approx(60.0 / 200)
    sim = Simulation(total=301, workers=20, latency=0.1)  # 100 requests per 10 s, learnt from one 429
    sim.run()
    assert sim.pacer.request_seconds() == pytest.approx(10.0 / 100, rel=0.1)


def test_the_learnt_window_converges_on_the_real_one():
    sim = Simulation(total=1001, workers=20, latency=0.1)
    sim.run()
    low, high = sim.pacer.snapshot()["span"]
    # The span runs from the send time of a window's first request to the reset: the window plus half a latency.
    assert low <= 10.05 <= high
    assert high - low <= 0.1
    assert sim.throttled == 1


@pytest.mark.parametrize("window", [7.3, 10.5])
def test_a_window_of_no_whole_seconds_costs_at_most_the_next_whole_second_within_1_percent_429s(window):
    """Laravel's windows last whole seconds, which the pacer assumes; a limiter of another kind in front of Coolify is
    taken for the next whole second: never early, so within 1 % 429s, and at most that second late a window."""
    sim = Simulation(total=601, workers=20, latency=0.1, window=window)
    elapsed = sim.run()
    assert sim.throttled <= 0.01 * sim.sent
    assert elapsed <= 1.05 * fixed_window_limit(601, window=math.ceil(window))
    low, high = sim.pacer.snapshot()["span"]
    assert window + 0.05 <= high


def test_a_window_that_resets_while_requests_are_in_flight_neither_stalls_nor_oversends():
    """Latency-bound: 20 workers at 2.5 s each send 80 requests per 10 s window against a limit of 100, so every
    window resets with requests in flight and answers from both windows interleave. No 429, no idle time."""
    sim = Simulation(total=400, workers=20, latency=2.5)
    elapsed = sim.run()
    assert sim.throttled == 0
    assert elapsed <= 1.02 * (400 / 20.0) * 2.5


def test_answers_from_both_sides_of_a_reset_never_raise_the_budget_above_what_is_left():
    clock = {"now": 0.0}
    pacer = RateLimitPacer(clock=lambda: clock["now"], sleep=lambda s: clock.update(now=clock["now"] + s))
    limiter = Limiter(100, 10.0)
    answers = []
    for dummy in range(80):  # 80 of 100 used in the first window
        sent = pacer.before_request()
        answers.append((limiter.hit(clock["now"]), sent))
        clock["now"] += 0.05
    for (status, headers), sent in answers:
        pacer.after_response(status, headers, sent_at=sent)
    assert pacer.snapshot()["budget"] == 20
    clock["now"] = 9.9
    in_flight = []
    for dummy in range(20):  # all 20 go out; the window resets at 10.0 while they are on the way
        in_flight.append(pacer.before_request())
    results = []
    for index, sent in enumerate(in_flight):
        results.append((limiter.hit(9.95 + index * 0.01), sent))  # 5 in the old window, 15 in the new one
    clock["now"] = 10.2
    for (status, headers), sent in reversed(results):  # answers arrive out of order
        pacer.after_response(status, headers, sent_at=sent)
        assert status == 200
        budget = pacer.snapshot()["budget"]
        assert budget is None or budget <= 100 - limiter.count
    # From here the pacer sends exactly what is left in the new window without a 429, then waits for the next.
    sent_now = 0
    while pacer.snapshot()["budget"] > 0:
        sent = pacer.before_request()
        status, headers = limiter.hit(clock["now"])
        pacer.after_response(status, headers, sent_at=sent)
        assert status == 200
        sent_now += 1
    assert limiter.count == 100


def queue_full_headers(remaining):
    """POST /deploy's own 429: it passed the throttle, so it carries Limit and Remaining, and Retry-After: 60."""
    return {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": str(remaining), "Retry-After": "60"}


def throttle_headers(retry):
    return {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0", "Retry-After": str(retry),
            "X-RateLimit-Reset": "1700000060"}


@pytest.mark.parametrize("remaining", [150, 0])
def test_a_queue_full_429_slows_no_other_request(remaining):
    now = {"t": 100.0}
    slept = []
    pacer = RateLimitPacer(clock=lambda: now["t"], sleep=slept.append)
    pacer.before_request()
    pacer.after_response(429, queue_full_headers(remaining))
    assert not is_throttled(queue_full_headers(remaining))
    pacer.before_request()
    pacer.after_response(200, {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "149"})
    assert slept == []
    assert pacer.snapshot()["throttled"] == 0


def test_a_rate_limit_429_slows_every_request_until_retry_after():
    now = {"t": 100.0}

    def sleep(seconds):
        now["t"] += seconds

    pacer = RateLimitPacer(clock=lambda: now["t"], sleep=sleep)
    pacer.before_request()
    pacer.after_response(429, throttle_headers(7))
    assert is_throttled(throttle_headers(7))
    for dummy in range(3):  # any thread, any request: all wait for the reset
        pacer.before_request()
        assert now["t"] >= 107.0
        pacer.after_response(200, {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "199"})
    assert pacer.snapshot()["throttled"] == 1


def send_order(arrivals, watcher=None):
    """The order in which threads arriving as ``arrivals`` (names; ``watcher`` is the prioritized one) get to send,
    after the window is spent and each answer leaves room for exactly one more request."""
    import threading
    import time

    pacer = RateLimitPacer(probe_poll=0.001)
    # Spend the budget: Limit 3, Remaining 0 with one request counted; the window end is unknown.
    pacer.before_request()
    pacer.after_response(200, {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0"})
    order = []
    pacer.before_request()  # the probe: everyone else queues until its answer

    def worker(name):
        if name == watcher:
            pacer.prioritize()
        pacer.before_request()
        order.append(name)

    threads = []
    for name in arrivals:
        thread = threading.Thread(target=worker, args=(name,))
        thread.start()
        threads.append(thread)
        time.sleep(0.02)
    assert order == []
    for expected in range(1, len(threads) + 1):
        pacer.after_response(200, {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "1"}, sent_at=time.monotonic())
        deadline = time.monotonic() + 5
        while len(order) < expected and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.02)
        assert len(order) == expected
    for thread in threads:
        thread.join(5)
    return order


def test_waiting_threads_are_served_in_arrival_order():
    """A poll that queues behind submitters goes out before submitters that arrive after it (and vice versa)."""
    assert send_order(("submit-1", "poll", "submit-2", "submit-3")) == ["submit-1", "poll", "submit-2", "submit-3"]


@pytest.mark.parametrize("workers, latency", [(3, 0.5), (4, 0.5), (4, 0.9)])
def test_coolifys_minute_is_waited_for_without_a_429(workers, latency):
    """Coolify's window is always a minute (only the limit is configurable): when the budget runs out in the last
    three quarters of it, the pacer waits for the minute instead of learning the window from a 429."""
    sim = Simulation(limit=200, window=60.0, total=600, workers=workers, latency=latency)
    elapsed = sim.run()
    assert sim.throttled == 0
    assert elapsed <= fixed_window_limit(600, 200, 60.0) + 60.0  # the last window's requests still take their time


def test_a_window_whose_first_request_a_busy_server_counted_late_draws_no_429():
    """A server counts a request anywhere between its send and its answer (one waits behind a slow list call, the
    next does not): the probe for the next minute must not be counted before that minute began. Here the requests
    of every other minute are counted late."""
    sim = Simulation(limit=200, window=60.0, total=1000, workers=4, latency=0.5,
                     count_at=lambda sent_at: 0.95 if int(sent_at // 60) % 2 == 0 else 0.05)
    sim.run()
    assert sim.throttled == 0


def test_a_budget_spent_early_in_the_window_is_learnt_from_one_429_not_waited_for_a_minute():
    """The hint of a minute is not trusted for a long wait: 100 per 10 s, spent in half a second, costs one 429."""
    sim = Simulation(limit=100, window=10.0, total=301, workers=20, latency=0.1)
    elapsed = sim.run()
    assert sim.throttled == 1
    assert elapsed < 35.0


class Waited(Exception):
    """Raised by a sleep that must not happen: the request would have waited."""


def refuse_to_wait(seconds):
    raise Waited(seconds)


def test_the_submitters_leave_the_reserve_of_a_window_to_the_watcher():
    now = {"t": 100.0}
    pacer = RateLimitPacer(clock=lambda: now["t"], sleep=refuse_to_wait)
    pacer.reserve(2)
    # The first request opens a window, a 429 teaches where it ends; the next window opens at 110 and has 2
    # requests left after its first one.
    pacer.before_request()
    pacer.after_response(200, {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "199"})
    pacer.before_request()
    pacer.after_response(429, throttle_headers(10))
    now["t"] = 110.5
    pacer.before_request()
    pacer.after_response(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "2"})
    with pytest.raises(Waited):
        pacer.before_request()  # a submitter: only the reserve is left, and it waits for the window's end
    pacer.prioritize()  # this thread is now the watcher's
    pacer.before_request()
    pacer.after_response(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "1"})
    pacer.before_request()
    assert pacer.snapshot()["in_flight"] == 1 and pacer.snapshot()["sent"] == 5


def test_without_a_reserve_the_submitters_spend_the_whole_window():
    pacer = RateLimitPacer(clock=lambda: 100.0, sleep=refuse_to_wait)
    pacer.before_request()
    pacer.after_response(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "2"})
    pacer.before_request()
    pacer.before_request()
    with pytest.raises(Waited):
        pacer.before_request()


def test_the_in_flight_cap_counts_every_request_and_an_answer_frees_a_place():
    pacer = RateLimitPacer(clock=lambda: 100.0, sleep=refuse_to_wait, max_in_flight=2)
    first = pacer.before_request()
    pacer.before_request()
    with pytest.raises(Waited):
        pacer.before_request()
    pacer.after_response(None, None, sent_at=first)  # a request that failed without an answer frees its place too
    pacer.before_request()
    assert pacer.snapshot()["in_flight"] == 2 and pacer.snapshot()["queued"] == 0


def test_the_watchers_poll_goes_ahead_of_submitters_queued_before_it():
    """With the window spent, a poll that arrives last is sent first; the submitters keep their arrival order."""
    order = send_order(("submit-1", "submit-2", "submit-3", "poll"), watcher="poll")
    assert order == ["poll", "submit-1", "submit-2", "submit-3"]


def test_a_poll_takes_the_next_free_place_under_the_in_flight_cap():
    """Every place is taken by submitters; the first answer's place goes to the poll, not to the next submitter."""
    import threading
    import time

    pacer = RateLimitPacer(probe_poll=0.001, max_in_flight=2)
    held = [pacer.before_request(), pacer.before_request()]
    order = []

    def worker(name, priority):
        if priority:
            pacer.prioritize()
        pacer.before_request()
        order.append(name)

    submitter = threading.Thread(target=worker, args=("submit", False))
    submitter.start()
    time.sleep(0.02)
    poll = threading.Thread(target=worker, args=("poll", True))
    poll.start()
    time.sleep(0.02)
    assert order == []
    pacer.after_response(None, None, sent_at=held[0])
    poll.join(5)
    time.sleep(0.02)
    assert order == ["poll"]
    pacer.after_response(None, None, sent_at=held[1])
    submitter.join(5)
    assert order == ["poll", "submit"]


def test_a_slow_server_costs_no_round_trip_a_window():
    """Coolify's minute with answers that take 2.5 s (a busy server, or a slow list call): the probe for each window
    goes a whole round trip after the minute, ten windows cost 20 s more than on main (582.9 s there, 602.5 s now),
    past the bound test_coolifys_minute_is_waited_for_without_a_429 holds the pacer to."""
    sim = Simulation(limit=60, window=60.0, total=600, workers=4, latency=2.5)
    elapsed = sim.run()
    assert sim.throttled <= 1
    assert elapsed <= fixed_window_limit(600, 60, 60.0) + 60.0


def test_actions_are_held_once_the_window_is_spent_down_to_the_reserve_until_it_resets():
    """The watcher's cue to confirm a window's last actions in that window: no submitter sends before the reset."""
    now = {"t": 100.0}
    pacer = RateLimitPacer(clock=lambda: now["t"], sleep=refuse_to_wait)
    pacer.reserve(2)
    assert not pacer.actions_held()  # no answer yet: the budget is unknown, nothing is held
    pacer.before_request()
    pacer.after_response(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "3"})
    assert not pacer.actions_held()  # one request left for an action
    pacer.before_request()  # ... on the wire: what is left is the watcher's
    assert pacer.actions_held()
    pacer.after_response(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "2"})
    assert pacer.actions_held()
    pacer.prioritize()
    pacer.before_request()
    pacer.after_response(429, throttle_headers(10))
    now["t"] = 110.5
    assert pacer.actions_held()  # blocked until the window resets: Retry-After 10 says within a second of 110
    now["t"] = 111.0
    pacer.before_request()
    pacer.after_response(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99"})
    assert not pacer.actions_held()  # a new window


def test_after_a_429_it_waits_for_the_learnt_window_not_the_rounded_up_retry_after():
    """100 per 10 s, the window opened by a request sent at 100.0: a 429 answered at 101.35 says Retry-After 9 (8.65
    rounded up), which alone would wait until 110.35. The whole 10 s fits the bounds, so the window reset by 110.1
    (its first request answered 0.1 s after its send) and the pacer waits until then, not a third of a second more."""
    now = {"t": 100.0}
    limiter = Limiter(100, 10.0)
    pacer = RateLimitPacer(clock=lambda: now["t"], sleep=refuse_to_wait)
    for index in range(100):
        now["t"] = 100.0 + 0.01 * index
        pacer.before_request()
        now["t"] += 0.1
        pacer.after_response(*limiter.hit(100.0 + 0.01 * index), sent_at=100.0 + 0.01 * index)
    now["t"] = 101.25
    pacer.before_request()
    now["t"] = 101.35
    status, headers = limiter.hit(101.3)
    assert status == 429 and headers["Retry-After"] == "9"
    pacer.after_response(status, headers, sent_at=101.25)
    assert 110.0 <= pacer.snapshot()["blocked_until"] <= 110.1 + 1e-9
