# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reliability matrix: a seeded emulator with marker secrets, a fault proxy, and a runner for the modules' real main().

Nothing here mocks requests or the client: every module call goes over loopback HTTP to the emulator (optionally
through tests/e2e/reliability/_proxy.py), and every assertion about what really happened reads the emulator's own
request log and state (/_emulator/requests, /_emulator/state).
"""

from __future__ import annotations

import json

import pytest

from _proxy import FaultProxy  # pylint: disable=import-error
from _support import EMULATOR_FLAGS, ROOT_TOKEN, load_harness, world  # pylint: disable=import-error

# ---------------------------------------------------------------------------------------------------------------------
# Emulator, proxy
# ---------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def world_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("reliability") / "world.json"
    path.write_text(json.dumps(world()), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def session_emulator(world_file):
    with load_harness().EmulatorProcess(args=("--fixture", world_file) + EMULATOR_FLAGS, token=ROOT_TOKEN) as emu:
        yield emu


@pytest.fixture
def emu(session_emulator):
    """The session's emulator, reset to the seed and the command-line settings before each test."""
    session_emulator.reset()
    yield session_emulator


@pytest.fixture
def proxy(emu):
    """A FaultProxy in front of the (reset) emulator."""
    with FaultProxy(emu.base_url) as fault_proxy:
        yield fault_proxy


# ---------------------------------------------------------------------------------------------------------------------
# Running a module's real main()
# ---------------------------------------------------------------------------------------------------------------------


@pytest.fixture
def run_module(monkeypatch):
    """run_module(module, args, check_mode=False, diff=False) -> result dict (result["failed"] set by fail_json)."""
    # Imported lazily: pytest loads this conftest before pytest-ansible puts the collection on sys.path.
    from ansible_collections.coolops.coolify.tests.e2e import module_runner  # pylint: disable=import-outside-toplevel
    return module_runner.make_runner(monkeypatch, exit_defaults={"failed": False})
