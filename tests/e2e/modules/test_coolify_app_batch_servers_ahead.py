# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_app_batch's early GET /servers (_lifecycle.ServersAhead) for restarted/deployed, attacked over HTTP.

Each test states what the early read must not change: the max_workers cap, one read only, Coolify's defaults when the
read fails, and nothing at all in check mode or for the other kinds.
"""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch, coolify_service_batch
from ansible_collections.coolops.coolify.tests.e2e.modules.batch_helpers import FLEET, args_for, writes

SERVERS = "/api/v1/servers"


def paths(emu):
    return [r["path"] for r in emu.requests_log()]


@pytest.mark.parametrize("state", ["restarted", "deployed"])
def test_max_workers_one_keeps_one_request_in_flight(emulator_factory, run_module, state):
    """max_workers caps every request of the task (docs/architecture.md), the early servers read included."""
    emu = emulator_factory(*FLEET, "--latency-ms", "150")
    result = run_module(coolify_app_batch, args_for(emu, names=["shop-web", "billing-web"], state=state, wait=False,
                                                    max_workers=1))
    assert not result.get("failed"), result["msg"]
    assert paths(emu).count(SERVERS) == 1
    assert emu.stats()["peak_in_flight"] == 1


def test_servers_read_failing_is_read_again_by_the_task_then_falls_back(emulator_factory, run_module):
    """The early read is sent once; when it fails the task reads the servers itself, with the client's retries, and
    without an answer every server gets Coolify's defaults, as before: the run goes on."""
    emu = emulator_factory(*FLEET, "--fail-path", "^GET /api/v1/servers$", "--latency-ms", "50")
    result = run_module(coolify_app_batch, args_for(emu, names=["shop-web", "billing-web"], state="restarted",
                                                    wait=False, max_retries=1))
    assert not result.get("failed"), result["msg"]
    assert paths(emu).count(SERVERS) == 3  # the early read once, then the task's read and its one retry
    assert sorted(r["path"].rsplit("/", 1)[-1] for r in writes(emu)) == ["restart", "restart"]


@pytest.mark.parametrize("selector, msg", [
    (dict(names=["shop-web", "no-such-app"]), "Cannot select applications: unknown names: no-such-app."),
    (dict(project="no-such-project"), "Cannot select applications: unknown project: no-such-project."),
    (dict(tags=["production"], max_resources=1), "The selectors match 6 applications, more than max_resources=1; "
                                                 "narrow the selection or raise max_resources."),
], ids=["unknown-name", "unknown-project", "max-resources"])
def test_refused_selection_reports_the_selector_and_writes_nothing(emulator_factory, run_module, selector, msg):
    """A selection refused after the early read started still fails with the selector's own message, nothing is
    written, the servers are read at most once, and the token is never in the result."""
    emu = emulator_factory(*FLEET, "--latency-ms", "100")
    result = run_module(coolify_app_batch, args_for(emu, state="restarted", **selector))
    assert result["failed"] is True
    assert result["msg"] == msg
    assert writes(emu) == []
    assert paths(emu).count(SERVERS) <= 1
    assert emu.token.split("|")[-1] not in repr(result)


def test_check_mode_and_service_batch_never_read_the_servers(emulator_factory, run_module):
    emu = emulator_factory(*FLEET, "--latency-ms", "20")
    planned = run_module(coolify_app_batch, args_for(emu, names=["shop-web"], state="deployed"), check_mode=True)
    assert not planned.get("failed"), planned["msg"]
    services = run_module(coolify_service_batch, args_for(emu, tags=["production"], state="restarted", wait=False))
    assert not services.get("failed"), services["msg"]
    assert SERVERS not in paths(emu)
