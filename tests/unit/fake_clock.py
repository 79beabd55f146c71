# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An injectable clock for pure tests of waits: sleep() advances time at once and records each wait."""

from __future__ import annotations

import threading


class FakeClock(object):
    """An injectable clock: sleep() advances time instantly and records each wait."""

    def __init__(self, start=1000.0):
        self.now = start
        self.sleeps = []
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            return self.now

    def sleep(self, seconds):
        with self.lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)
