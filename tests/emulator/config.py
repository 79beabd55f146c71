# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runtime settings of the emulator; the admin endpoint can change most of them while it runs."""

from __future__ import annotations

import copy
import re

DEFAULT_API_VERSION = "4.3.11"

# Settings that POST /_emulator/config may change, with their types.
TUNABLE = {
    "api_enabled": bool,
    "latency_ms": float,
    "jitter_ms": float,
    "fault_rate": float,
    "fail_paths": list,
    "lose_paths": list,
    "rate_limit": int,
    "rate_window": float,
    "deploy_seconds": float,
    "deploy_fail_rate": float,
    "status_lag_seconds": float,
    "job_delay_seconds": float,
    "api_version": str,
    "deploy_outcomes": dict,
    "queue_limit": int,
    "concurrent_builds": int,
    "backup_seconds": float,
    "backup_fail_rate": float,
    "backup_outcomes": dict,
    "log_bytes_per_second": float,
}

DEPLOY_OUTCOMES = ("finished", "failed", "cancelled-by-user")
OUTCOMES = {"deploy_outcomes": DEPLOY_OUTCOMES, "backup_outcomes": ("success", "failed")}


def version_tuple(text):
    """`4.3.11` -> (4, 3, 11); `4.0.0-beta.420` -> (4, 0, 0); a leading `v` is ignored."""
    parts = []
    for piece in str(text).lstrip("vV").split("-", maxsplit=1)[0].split("."):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group(0)))
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts[:3])


class Settings:
    """Mutable settings; read under the state lock."""

    def __init__(self, **values):
        self.api_enabled = True
        self.latency_ms = 0.0
        self.jitter_ms = 0.0
        self.fault_rate = 0.0
        self.fail_paths = []
        self.lose_paths = []
        self.rate_limit = 200
        self.rate_window = 60.0
        self.deploy_seconds = 3.0
        self.deploy_fail_rate = 0.0
        self.status_lag_seconds = 1.0
        self.job_delay_seconds = 1.0
        self.api_version = DEFAULT_API_VERSION
        self.deploy_outcomes = {}
        self.queue_limit = 25
        self.concurrent_builds = 2
        self.backup_seconds = 2.0
        self.backup_fail_rate = 0.0
        self.backup_outcomes = {}
        self.log_bytes_per_second = 4000.0
        self._patterns = {"fail_paths": [], "lose_paths": []}
        self.update(values)

    def update(self, values):
        """Apply a dict of settings; raises ValueError on an unknown name or a bad value."""
        for name, value in values.items():
            if name not in TUNABLE:
                raise ValueError("unknown setting %r" % name)
            kind = TUNABLE[name]
            if name in self._patterns:
                if isinstance(value, str):
                    value = [value]
                value = [str(item) for item in (value or [])]
                try:
                    self._patterns[name] = [re.compile(item) for item in value]
                except re.error as exc:
                    raise ValueError("%s: bad regular expression (%s)" % (name, exc)) from exc
            elif name in OUTCOMES:
                merged = dict(getattr(self, name))
                for uuid, outcome in (value or {}).items():
                    if outcome in (None, "", "random"):
                        merged.pop(uuid, None)
                    elif outcome not in OUTCOMES[name]:
                        raise ValueError("%s: an outcome must be one of %s" % (name, ", ".join(OUTCOMES[name])))
                    else:
                        merged[uuid] = outcome
                value = merged
            elif kind is bool:
                if not isinstance(value, bool):
                    raise ValueError("%s must be true or false" % name)
            elif kind in (int, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError("%s must be a number" % name)
                value = kind(value)
                if value < 0:
                    raise ValueError("%s must not be negative" % name)
            else:
                value = kind(value)
            setattr(self, name, value)

    @property
    def fail_patterns(self):
        return self._patterns["fail_paths"]

    @property
    def lose_patterns(self):
        """Requests processed in full whose answer a proxy then replaces with a 504."""
        return self._patterns["lose_paths"]

    @property
    def version(self):
        return version_tuple(self.api_version)

    def as_dict(self):
        return {name: copy.deepcopy(getattr(self, name)) for name in TUNABLE}

    def clone(self):
        return Settings(**self.as_dict())
