# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark-only callback: writes each task's duration and final result to the file named by BENCH_RESULT_FILE."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_result
type: aggregate
short_description: record task durations and results for the coolops.coolify benchmarks
description:
  - Writes a JSON list with one entry per task (name, seconds, status, result) to E(BENCH_RESULT_FILE).
  - Used only by C(benchmarks/run.py); not part of the collection.
requirements:
  - enabled with E(ANSIBLE_CALLBACKS_ENABLED=bench_result)
"""


class CallbackModule(CallbackBase):
    """Collect per-task timings and results; write them when the playbook ends."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_result"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.tasks = []
        self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.current = {"name": task.get_name(), "action": task.action, "started": time.time(), "seconds": None,
                        "status": None, "result": None, "items": 0}
        self.tasks.append(self.current)

    def _done(self, result, status):
        if self.current is None:
            return
        self.current["seconds"] = round(time.time() - self.current["started"], 4)
        self.current["status"] = status
        self.current["result"] = result._result  # pylint: disable=protected-access

    def v2_runner_item_on_ok(self, result):
        if self.current is not None:
            self.current["items"] += 1

    def v2_runner_item_on_failed(self, result):
        if self.current is not None:
            self.current["items"] += 1

    def v2_runner_on_ok(self, result):
        self._done(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._done(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_RESULT_FILE")
        if not path:
            return
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.tasks, handle, default=str)
