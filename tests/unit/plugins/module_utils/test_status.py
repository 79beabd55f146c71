# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Status parsing for applications, services and deployments (pure)."""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _status as s


@pytest.mark.parametrize("raw, state, health, excluded", [
    ("running:healthy", "running", "healthy", False),
    ("running:unhealthy", "running", "unhealthy", False),
    ("running:unknown", "running", "unknown", False),
    ("exited:unhealthy", "exited", "unhealthy", False),
    ("exited", "exited", None, False),  # services report a bare exited
    ("restarting:unknown", "restarting", "unknown", False),
    ("degraded:unhealthy", "degraded", "unhealthy", False),
    ("starting:unhealthy", "starting", "unhealthy", False),
    ("running:healthy:excluded", "running", "healthy", True),
    ("degraded:excluded", "degraded", None, True),
    ("unknown:unknown:excluded", "unknown", "unknown", True),
    ("running (healthy)", "running", "healthy", False),  # legacy form
    ("Running:Healthy", "running", "healthy", False),
    ("", "unknown", None, False),
    (None, "unknown", None, False),
])
def test_parse_status(raw, state, health, excluded):
    parsed = s.parse_status(raw)
    assert (parsed.state, parsed.health, parsed.excluded) == (state, health, excluded)
    assert s.state_of(raw) == state
    assert s.parse_status(raw).health == health


def test_predicates():
    assert s.is_running("running:unhealthy") and not s.is_running("exited")
    assert s.is_stopped("exited:unhealthy") and s.is_stopped("exited") and not s.is_stopped("degraded:unhealthy")
    assert s.is_healthy("running:healthy") and not s.is_healthy("running:unknown") and not s.is_healthy("exited")


@pytest.mark.parametrize("status, wanted, expected", [
    ("running:healthy", ["running"], True),
    ("running:unhealthy", ["RUNNING"], True),
    ("exited:unhealthy", ["running"], False),
    ("exited:unhealthy", ["exited"], True),
    ("exited", ["stopped"], True),
    ("exited:unhealthy", ["stopped", "degraded"], True),
    ("running:healthy", ["running:healthy"], True),
    ("running:unknown", ["running:healthy"], False),
    ("exited:unhealthy", ["stopped:unhealthy"], True),
    ("running:healthy:excluded", ["running:healthy"], False),
    ("degraded:unhealthy", [], True),
    ("degraded:unhealthy", None, True),
])
def test_matches_state(status, wanted, expected):
    assert s.matches_state(status, wanted) is expected


def test_deployment_statuses():
    assert s.deployment_is_active("queued") and s.deployment_is_active("in_progress")
    for done in ("finished", "failed", "cancelled-by-user"):
        assert not s.deployment_is_active(done)
    assert s.deployment_succeeded("finished") and not s.deployment_succeeded("failed")
    assert not s.deployment_is_active(None) and not s.deployment_succeeded(None)
