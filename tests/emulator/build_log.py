# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A deployment's `logs` as Coolify returns it to a read:sensitive token (API-NOTES 7.2, 18.2), grown while it builds.

Coolify appends entries while the job runs, so a deployment's log grows by a few KB a second. Entries are
`{command, output, type, timestamp, hidden, batch, order}`; `hidden: true` entries hold debug detail (`[CMD]: ...` lines of
hidden commands, and the error location on failure) that the API returns unfiltered. The content is derived from the
deployment alone, so every read of the same deployment at the same time gives the same log.
"""

from __future__ import annotations

import datetime
import json

LINE = "#%d [builder %d/%d] RUN step %d of the build of %s: compiling assets and layers, %d bytes cached so far."
CMD = "[CMD]: docker exec %s bash -c 'cd /artifacts && build-step %d'"


def _ts(when):
    return datetime.datetime.fromtimestamp(when, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entries(dep, now, bytes_per_second):
    """The log entries of ``dep`` as of ``now``: the recorded milestones plus build output while in progress."""
    result = []
    milestones = list(dep["log"])
    started, ends = dep.get("started"), dep.get("finished_at") or dep.get("ends")
    build_until = min(now, ends) if ends is not None else now
    lines = []
    if started is not None and bytes_per_second > 0 and build_until > started:
        count = int((build_until - started) * bytes_per_second / 110.0)
        step = (build_until - started) / max(count, 1)
        for index in range(count):
            when = started + index * step
            if index % 5 == 0:
                lines.append((CMD % (dep["deployment_uuid"], index), when, True))
            else:
                lines.append((LINE % (index, index % 4 + 1, 4, index, dep["application_name"], index * 4096), when, False))
    final = milestones[-1] if dep.get("status") in ("finished", "failed", "cancelled-by-user") and len(milestones) > 1 else None
    if final is not None:
        milestones = milestones[:-1]
    timeline = [(text, when, False) for text, when in milestones] + lines
    if final is not None:
        if dep.get("status") == "failed":
            timeline.append(("Error: ApplicationDeploymentJob.php:5016 exit code 1", final[1], True))
        timeline.append((final[0], final[1], False))
    for order, (text, when, hidden) in enumerate(timeline, start=1):
        result.append({"command": None, "output": text, "type": "stderr" if "failed" in text or "Error" in text else "stdout",
                       "timestamp": _ts(when), "hidden": hidden, "batch": 1, "order": order})
    return result


def logs_field(dep, now, bytes_per_second):
    """The `logs` string: a JSON array of entries."""
    return json.dumps(entries(dep, now, bytes_per_second))
