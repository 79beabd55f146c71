# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Bounded fan-out: run one worker per item on a ThreadPoolExecutor and return ordered outcomes (stdlib only).

Workers get plain data and must never call ``module.*``; they return a value or raise, and the caller turns the
outcomes into results on the main thread.
"""

from __future__ import annotations

import concurrent.futures
import time

from ansible_collections.coolops.coolify.plugins.module_utils._errors import ConfigurationError

STRATEGIES = ("parallel", "sequential", "rolling")


class BatchOptionError(ConfigurationError, ValueError):
    """A bad fan-out argument; a CoolifyError, so a module reports it as its one-sentence error, never a traceback."""


class Outcome(object):
    """What happened to one item: index, item, value, error (exception or None), attempted, elapsed (seconds)."""

    __slots__ = ("index", "item", "value", "error", "attempted", "elapsed")

    def __init__(self, index, item, value=None, error=None, attempted=False, elapsed=0.0):
        self.index = index
        self.item = item
        self.value = value
        self.error = error
        self.attempted = attempted
        self.elapsed = elapsed

    @property
    def ok(self):
        """Attempted, raised nothing, and did not return a dict with a true ``failed`` key."""
        if not self.attempted or self.error is not None:
            return False
        return not (isinstance(self.value, dict) and self.value.get("failed"))

    def __repr__(self):
        state = "ok" if self.ok else ("not attempted" if not self.attempted else "failed")
        return "Outcome(index=%d, %s, elapsed=%.3f)" % (self.index, state, self.elapsed)


class BatchResult(list):
    """The outcomes in input order (a list), plus ``halted`` (a rolling wave failed) and ``interrupted`` flags."""

    def __init__(self, outcomes=(), halted=False, interrupted=False):
        super(BatchResult, self).__init__(outcomes)
        self.halted = halted
        self.interrupted = interrupted


def any_failed(outcomes):
    """The default ``wave_failed``: a wave fails when any of its outcomes is not ok."""
    return any(not outcome.ok for outcome in outcomes)


def fail_percentage_exceeded(max_fail_percentage=None):
    """A ``wave_failed`` callable: fail when more than ``max_fail_percentage`` % of a wave failed (None: any failure)."""
    if max_fail_percentage is None:
        return any_failed

    def wave_failed(outcomes):
        outcomes = list(outcomes)
        if not outcomes:
            return False
        failed = sum(1 for outcome in outcomes if not outcome.ok)
        return failed * 100.0 / len(outcomes) > float(max_fail_percentage)

    return wave_failed


def _call(worker, outcome, clock):
    outcome.attempted = True
    begin = clock()
    try:
        outcome.value = worker(outcome.item)
    except Exception as exc:  # noqa: BLE001 - every failure becomes the item's outcome
        outcome.error = exc
    except KeyboardInterrupt as exc:
        outcome.error = exc  # attempted but cut short: not ok
        raise
    finally:
        outcome.elapsed = clock() - begin
    return outcome


def _run_wave(executor, worker, outcomes, clock):
    """Run a group of outcomes on the executor; on KeyboardInterrupt cancel what has not started and re-raise."""
    futures = [executor.submit(_call, worker, outcome, clock) for outcome in outcomes]
    try:
        concurrent.futures.wait(futures)
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        # Let the items already running finish, so their outcome is known.
        concurrent.futures.wait([f for f in futures if not f.cancelled()])
        raise


def _run_queued(executor, worker, outcomes, clock, queue, workers):
    """Run a group through ``queue``: each of ``workers`` threads takes the outcome the queue hands out next."""
    for outcome in outcomes:
        queue.put(outcome)

    def loop():
        outcome = queue.take()
        while outcome is not None:
            _call(worker, outcome, clock)
            outcome = queue.take()

    futures = [executor.submit(loop) for _number in range(min(workers, len(outcomes)))]
    try:
        concurrent.futures.wait(futures)
    except KeyboardInterrupt:
        queue.close()
        concurrent.futures.wait(futures)
        raise


def run_batch(items, worker, strategy="parallel", max_workers=10, batch_size=None, pause_seconds=0, wave_failed=None,
              sleep=time.sleep, queue=None):
    """Run ``worker(item)`` for every item and return a BatchResult (a list of Outcome, in input order).

    * ``parallel``: at most ``max_workers`` items at a time (1 runs them one after the other);
    * ``sequential``: one at a time, like ``max_workers=1``;
    * ``rolling``: waves of ``batch_size`` items (default ``max_workers``), each run in parallel, with
      ``pause_seconds`` between waves; when ``wave_failed(outcomes_of_the_wave)`` is true (default: any outcome not
      ok) the run halts.

    ``queue`` (optional, not for ``sequential``) chooses which outcome a free thread runs next instead of input order:
    ``put(outcome)``, ``take()`` (the next outcome, None when none is left) and ``close()`` (the lifecycle hands out
    items whose server has a free build slot, see ``_slots.SlotQueue``).

    Items never started (after a halt, or on KeyboardInterrupt) come back with ``attempted=False``. An interrupt does
    not propagate: the result has ``interrupted=True``, so the caller can still report what happened.
    """
    if strategy not in STRATEGIES:
        raise BatchOptionError("strategy must be one of %s, not %r." % (", ".join(STRATEGIES), strategy))
    max_workers = 1 if max_workers is None else int(max_workers)
    if max_workers < 1:
        raise BatchOptionError("max_workers must be at least 1, not %d." % max_workers)
    if batch_size is not None and int(batch_size) < 1:
        raise BatchOptionError("batch_size must be at least 1, not %s." % (batch_size,))
    if strategy == "sequential":
        max_workers = 1
    clock = time.monotonic
    outcomes = [Outcome(index, item) for index, item in enumerate(items)]
    result = BatchResult(outcomes)
    if not outcomes:
        return result

    if strategy == "rolling":
        size = int(batch_size or max_workers)
        waves = [outcomes[i:i + size] for i in range(0, len(outcomes), size)]
        workers = min(max_workers, size)
    else:
        waves = [outcomes]
        workers = max_workers
    wave_failed = wave_failed or any_failed

    if workers == 1 and strategy != "rolling":
        # One at a time on the calling thread: the simplest, and a Ctrl-C lands between items.
        try:
            for outcome in outcomes:
                _call(worker, outcome, clock)
        except KeyboardInterrupt:
            result.interrupted = True
        return result

    executor = concurrent.futures.ThreadPoolExecutor(max_workers=min(workers, len(outcomes)),
                                                     thread_name_prefix="coolify-fanout")
    try:
        for number, wave in enumerate(waves):
            if number and pause_seconds:
                sleep(pause_seconds)
            if queue is not None:
                _run_queued(executor, worker, wave, clock, queue, workers)
            else:
                _run_wave(executor, worker, wave, clock)
            if strategy == "rolling" and number + 1 < len(waves) and wave_failed(wave):
                result.halted = True
                break
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        executor.shutdown(wait=not result.interrupted)
    return result
