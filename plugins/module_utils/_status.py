# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Pure parsing of Coolify status strings for applications, services and deployments (no I/O).

Applications report ``<state>:<health>`` (``running:healthy``, ``exited:unhealthy``), sometimes with a third
``:excluded`` part; services may report a bare ``exited``; the legacy form ``running (healthy)`` still exists.
"""

from __future__ import annotations

import collections
import re

# Resource states (the part before the first colon).
RUNNING = "running"
EXITED = "exited"
STOPPED = "stopped"
STARTING = "starting"
RESTARTING = "restarting"
DEGRADED = "degraded"
PAUSED = "paused"
UNKNOWN = "unknown"

UP_STATES = frozenset((RUNNING,))
DOWN_STATES = frozenset((EXITED, STOPPED))

# Deployment statuses.
DEPLOYMENT_QUEUED = "queued"
DEPLOYMENT_IN_PROGRESS = "in_progress"
DEPLOYMENT_FINISHED = "finished"
DEPLOYMENT_FAILED = "failed"
DEPLOYMENT_CANCELLED = "cancelled-by-user"
DEPLOYMENT_ACTIVE = frozenset((DEPLOYMENT_QUEUED, DEPLOYMENT_IN_PROGRESS))

# Aliases accepted by matches_state() for user-facing filters.
STATE_ALIASES = {STOPPED: EXITED}

_LEGACY = re.compile(r"^\s*([A-Za-z_-]+)\s*\(\s*([A-Za-z_-]+)\s*\)\s*$")


# ``state``, ``health`` (None when absent) and ``excluded`` of one status string.
ParsedStatus = collections.namedtuple("ParsedStatus", ("state", "health", "excluded"))


def parse_status(status):
    """Split a status string; None or an empty string gives state ``unknown``."""
    text = "" if status is None else str(status).strip().lower()
    if not text:
        return ParsedStatus(UNKNOWN, None, False)
    legacy = _LEGACY.match(text)
    if legacy:
        return ParsedStatus(legacy.group(1), legacy.group(2), False)
    parts = [part.strip() for part in text.split(":")]
    excluded = False
    if len(parts) > 1 and parts[-1] == "excluded":
        excluded = True
        parts = parts[:-1]
    state = parts[0] or UNKNOWN
    health = parts[1] if len(parts) > 1 and parts[1] else None
    return ParsedStatus(state, health, excluded)


def state_of(status):
    """The state part: ``running:healthy`` -> ``running``; ``exited`` -> ``exited``; None -> ``unknown``."""
    return parse_status(status).state


def is_running(status):
    return state_of(status) in UP_STATES


def is_stopped(status):
    return state_of(status) in DOWN_STATES


def is_healthy(status):
    """Running and healthy (an app without a health check reports ``running:unknown``, which is not healthy)."""
    parsed = parse_status(status)
    return parsed.state in UP_STATES and parsed.health == "healthy"


def normalize_filter(wanted):
    """Lower-case a status filter list and map aliases (``stopped`` -> ``exited``); None/[] means no filter."""
    if not wanted:
        return []
    result = []
    for item in wanted:
        text = str(item).strip().lower()
        if not text:
            continue
        result.append(STATE_ALIASES.get(text, text))
    return result


def matches_state(status, wanted):
    """True when the status matches one entry of ``wanted``.

    An entry without a colon compares with the state part (``running`` matches ``running:unhealthy``); an entry with
    a colon must equal the whole parsed status (``running:healthy`` does not match ``running:unknown``). ``stopped``
    is an alias of ``exited``. An empty ``wanted`` matches everything.
    """
    wanted = normalize_filter(wanted)
    if not wanted:
        return True
    parsed = parse_status(status)
    state = STATE_ALIASES.get(parsed.state, parsed.state)
    for entry in wanted:
        if ":" in entry:
            other = parse_status(entry)
            if STATE_ALIASES.get(other.state, other.state) == state and other.health == parsed.health and \
                    other.excluded == parsed.excluded:
                return True
        elif entry == state:
            return True
    return False


def deployment_is_active(status):
    return str(status or "").strip().lower() in DEPLOYMENT_ACTIVE


def deployment_succeeded(status):
    return str(status or "").strip().lower() == DEPLOYMENT_FINISHED
