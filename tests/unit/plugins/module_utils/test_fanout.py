# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fan-out engine with plain-Python workers (no I/O)."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._errors import CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import (
    BatchResult,
    Outcome,
    fail_percentage_exceeded,
    run_batch,
)


class Boom(Exception):
    pass


class Counter(object):
    """A thread-safe gauge of how many workers run at once, and the peak."""

    def __init__(self):
        self._lock = threading.Lock()
        self.current = 0
        self.peak = 0

    def __enter__(self):
        with self._lock:
            self.current += 1
            self.peak = max(self.peak, self.current)
        return self

    def __exit__(self, *exc_info):
        with self._lock:
            self.current -= 1


def test_outcomes_come_back_in_input_order_with_elapsed():
    delays = [0.05, 0.0, 0.03, 0.01, 0.02]

    def worker(item):
        time.sleep(delays[item])
        return item * 10

    outcomes = run_batch(list(range(5)), worker, max_workers=5)
    assert isinstance(outcomes, BatchResult)
    assert [o.index for o in outcomes] == [0, 1, 2, 3, 4]
    assert [o.value for o in outcomes] == [0, 10, 20, 30, 40]
    assert all(o.attempted and o.ok and o.error is None for o in outcomes)
    assert outcomes[0].elapsed >= 0.04
    assert not outcomes.halted and not outcomes.interrupted


def test_concurrency_is_bounded_by_max_workers():
    gauge = Counter()

    def worker(item):
        with gauge:
            time.sleep(0.02)
        return item

    run_batch(range(30), worker, max_workers=4)
    assert gauge.peak == 4


def test_max_workers_one_and_sequential_run_one_at_a_time_on_the_calling_thread():
    for kwargs in ({"max_workers": 1}, {"strategy": "sequential", "max_workers": 8}):
        seen = []
        gauge = Counter()

        def worker(item):
            with gauge:
                seen.append((item, threading.current_thread().name))
                time.sleep(0.001)

        run_batch(range(5), worker, **kwargs)
        assert gauge.peak == 1
        assert [s[0] for s in seen] == [0, 1, 2, 3, 4]
        assert {s[1] for s in seen} == {threading.current_thread().name}


def test_errors_are_captured_per_item_and_the_rest_still_runs():
    def worker(item):
        if item in (1, 3):
            raise Boom("item %d" % item)
        return {"failed": item == 4}

    outcomes = run_batch(range(6), worker, max_workers=3)
    assert [o.ok for o in outcomes] == [True, False, True, False, False, True]
    assert isinstance(outcomes[1].error, Boom)
    assert outcomes[4].error is None and outcomes[4].attempted  # failed through its value
    assert all(o.attempted for o in outcomes)


def test_rolling_runs_waves_with_pauses():
    sleeps = []
    started = []
    lock = threading.Lock()

    def worker(item):
        with lock:
            started.append(item)
        return item

    outcomes = run_batch(range(7), worker, strategy="rolling", max_workers=10, batch_size=3, pause_seconds=2.5,
                         sleep=sleeps.append)
    assert sleeps == [2.5, 2.5]  # three waves: 3 + 3 + 1
    assert all(o.ok for o in outcomes)
    assert sorted(started[:3]) == [0, 1, 2] and sorted(started[3:6]) == [3, 4, 5] and started[6:] == [6]


def test_rolling_wave_concurrency_is_the_smaller_of_batch_size_and_max_workers():
    gauge = Counter()

    def worker(item):
        with gauge:
            time.sleep(0.02)

    run_batch(range(12), worker, strategy="rolling", max_workers=2, batch_size=6)
    assert gauge.peak == 2
    gauge = Counter()
    run_batch(range(12), worker, strategy="rolling", max_workers=10, batch_size=3)
    assert gauge.peak == 3


def test_rolling_halts_after_a_failed_wave_and_reports_the_rest_as_not_attempted():
    def worker(item):
        if item == 4:
            raise Boom("nope")
        return item

    outcomes = run_batch(range(9), worker, strategy="rolling", batch_size=3, sleep=lambda s: None)
    assert outcomes.halted
    assert [o.attempted for o in outcomes] == [True] * 6 + [False] * 3
    assert [o.ok for o in outcomes[:6]] == [True, True, True, True, False, True]
    assert all(o.value is None and o.error is None and not o.ok for o in outcomes[6:])


def test_rolling_with_max_fail_percentage():
    def worker(item):
        if item in (0, 5, 6):
            raise Boom("nope")
        return item

    # 1 of 4 (25 %) fails in wave one: allowed at 30 %; 2 of 4 (50 %) in wave two: halts.
    outcomes = run_batch(range(12), worker, strategy="rolling", batch_size=4,
                         wave_failed=fail_percentage_exceeded(30), sleep=lambda s: None)
    assert outcomes.halted
    assert [o.attempted for o in outcomes] == [True] * 8 + [False] * 4
    # Without a percentage, any failure halts.
    outcomes = run_batch(range(12), worker, strategy="rolling", batch_size=4,
                         wave_failed=fail_percentage_exceeded(None), sleep=lambda s: None)
    assert [o.attempted for o in outcomes] == [True] * 4 + [False] * 8


def test_parallel_never_halts():
    outcomes = run_batch(range(5), lambda item: 1 / 0, max_workers=2)
    assert all(o.attempted and isinstance(o.error, ZeroDivisionError) for o in outcomes)
    assert not outcomes.halted


def test_keyboard_interrupt_reports_unstarted_items_as_not_attempted(monkeypatch):
    import concurrent.futures

    real_wait = concurrent.futures.wait
    calls = {"n": 0}
    gate = threading.Event()

    def interrupting_wait(futures, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            # Let the first two items start, then behave as if Ctrl-C arrived while waiting.
            gate.wait(2)
            raise KeyboardInterrupt
        return real_wait(futures, *args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "wait", interrupting_wait)
    started = []
    lock = threading.Lock()

    def worker(item):
        with lock:
            started.append(item)
            if len(started) == 2:
                gate.set()
        time.sleep(0.2)
        return item

    outcomes = run_batch(range(10), worker, max_workers=2)
    assert outcomes.interrupted
    attempted = [o.index for o in outcomes if o.attempted]
    assert sorted(attempted) == sorted(started)
    assert 2 <= len(attempted) < 10
    for outcome in outcomes:
        if outcome.index in attempted:
            assert outcome.ok and outcome.value == outcome.index  # running items were allowed to finish
        else:
            assert not outcome.ok and outcome.value is None


def test_keyboard_interrupt_in_sequential_mode():
    def worker(item):
        if item == 3:
            raise KeyboardInterrupt
        return item

    outcomes = run_batch(range(6), worker, max_workers=1)
    assert outcomes.interrupted
    assert [o.attempted for o in outcomes] == [True, True, True, True, False, False]
    assert [o.ok for o in outcomes] == [True, True, True, False, False, False]


def test_empty_input_and_bad_arguments():
    assert run_batch([], lambda i: i) == []
    with pytest.raises(ValueError):
        run_batch([1], lambda i: i, strategy="random")
    with pytest.raises(ValueError):
        run_batch([1], lambda i: i, max_workers=-1)
    with pytest.raises(ValueError):
        run_batch([1], lambda i: i, strategy="rolling", batch_size=0)


@pytest.mark.parametrize("max_workers", [0, -1, -20])
def test_zero_or_negative_max_workers_is_a_one_sentence_coolify_error(max_workers):
    """Never silently read as 1, never a bare ValueError that a module turns into a traceback."""
    with pytest.raises(CoolifyError) as info:
        run_batch([1, 2], lambda i: i, max_workers=max_workers)
    assert str(info.value) == "max_workers must be at least 1, not %d." % max_workers


def test_outcome_ok_rules():
    assert not Outcome(0, "x").ok  # not attempted
    assert Outcome(0, "x", value={"changed": True}, attempted=True).ok
    assert not Outcome(0, "x", value={"failed": True}, attempted=True).ok
    assert not Outcome(0, "x", error=Boom(), attempted=True).ok
    assert "not attempted" in repr(Outcome(3, "x"))
