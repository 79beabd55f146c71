# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""What counts as proof that a queued job ran, and what a failed deployment's log shows (pure, no I/O).

Coolify only *queues* service, database and application-stop jobs, and a status keeps its old value until the job
runs (API-NOTES §6.2, §9.3, §14.4). So a status that already matched the target before the action proves nothing:

* the resource was *not* in the target state before: reaching the target after the send is the proof
  (a start of an exited service, a stop of a running app);
* it *was* in the target state (a restart of a running service or database, a ``/deploy`` of a running service):
  first a status whose state differs from the one before (``exited``, ``starting``, ``degraded``...), then the target.

Restarts cannot hide between two polls on a real Coolify: the stop phase writes ``exited`` and nothing writes
``running`` again until the next status check after the start finished (services also show ``starting:unhealthy``
while the start runs). When no proof appears before the deadline, the wait fails "not observed"; never done.
"""

from __future__ import annotations

import datetime
import json

from ansible_collections.coolops.coolify.plugins.module_utils import _status

PENDING = "pending"
DONE = "done"


def at_target(status, target, healthy=False):
    """``target`` is ``running`` or ``exited``; ``healthy`` also requires ``running:healthy`` (parsed, not substring)."""
    if target == _status.EXITED:
        return _status.is_stopped(status)
    if healthy:
        return _status.is_healthy(status)
    return _status.is_running(status)


class StatusEvidence(object):
    """Follows the statuses read after one action and decides when it is proven done.

    ``before`` is the status read before the send (None: unknown, treated as already at target, the stricter case);
    ``acted`` False means no action was sent (only reaching the target is asked, e.g. after a finished deployment).
    """

    def __init__(self, before, target, healthy=False, acted=True):
        self.before = before
        self.target = target
        self.healthy = healthy
        self.acted = acted
        self.last = None
        self.reads = 0
        before_state = _status.state_of(before)
        self._before_state = before_state
        # Reaching the target is proof by itself only when the state was not already the target's state.
        self._arrival_proves = before is not None and not at_target(before, target)
        self.evidence = not acted

    def observe(self, status):
        """Feed one status read whose request started after the send; returns DONE or PENDING."""
        self.reads += 1
        self.last = status
        state = _status.state_of(status)
        if not self.evidence:
            if self._arrival_proves and at_target(status, self.target):
                self.evidence = True
            elif (self.before is None or state != self._before_state) and not at_target(status, self.target):
                self.evidence = True  # left the state it had before: the job is running
        if self.evidence and at_target(status, self.target, self.healthy):
            return DONE
        return PENDING

    def wanted(self):
        return "%s%s" % (self.target, ":healthy" if self.healthy and self.target == _status.RUNNING else "")

    def timeout_message(self):
        """Why a wait that ran out of time failed: "not observed" (no proof) or a timeout on the way to the target."""
        last = self.last if self.last is not None else "not read"
        if not self.evidence:
            return ("not observed: no status change caused by this action was seen (status was %s before, last %s); "
                    "Coolify may not have run the job yet" % (self.before or "unknown", last))
        return "timed out waiting for %s (last status: %s)" % (self.wanted(), last)


def log_tail(logs, lines, mask):
    """The last ``lines`` lines of a deployment's ``logs`` (a JSON string of entries), hidden entries left out.

    Every line goes through ``mask`` (the collection's secret masks). A broken or missing log gives ``[]``.
    """
    if not lines or lines <= 0 or logs in (None, ""):
        return []
    entries = logs
    if isinstance(logs, str):
        try:
            entries = json.loads(logs)
        except ValueError:
            return []
    if not isinstance(entries, list):
        return []
    text_lines = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("hidden") or entry.get("output") is None:
            continue
        text_lines.extend(str(entry["output"]).splitlines())
    return [mask(line) for line in text_lines[-int(lines):]]


def parse_time(text):
    """Coolify's ISO-8601 UTC timestamp as an aware datetime, or None."""
    if not text or not isinstance(text, str):
        return None
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


def new_deployment(deployments, sent_wall, known=(), skew=2.0):
    """The deployment created for an application by a request sent at ``sent_wall`` (unix time), or None.

    ``deployments`` is ``GET /deployments/applications/{uuid}`` (newest first). A candidate is created at or after
    the send, less ``skew`` seconds for the difference between this host's clock and Coolify's, and is not one of the
    ``known`` uuids that already existed before the send. The oldest such candidate is the one the request created.
    """
    since = datetime.datetime.fromtimestamp(float(sent_wall) - float(skew), tz=datetime.timezone.utc)
    found = None
    for dep in deployments or ():
        if not isinstance(dep, dict) or dep.get("deployment_uuid") in known:
            continue
        created = parse_time(dep.get("created_at"))
        if created is not None and created >= since:
            found = dep  # newest first: the last match is the oldest after the send
    return found
