# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: a real emulator over loopback, and a runner that executes a module's real main()."""

from __future__ import annotations

import pytest


def _harness():
    # Imported lazily: pytest loads this conftest before pytest-ansible puts the collection on sys.path.
    from ansible_collections.coolops.coolify.tests.emulator import harness
    return harness


# A seeded fleet with short timings so waits finish quickly.
FLEET_ARGS = (
    "--seed-apps", "12", "--seed-services", "4", "--seed-servers", "2", "--seed-projects", "2",
    "--random-seed", "7", "--deploy-seconds", "0.2", "--status-lag-seconds", "0.2",
    "--job-delay-seconds", "0.3",  # queued jobs wait, as on Coolify: the modules must observe their transition
)


@pytest.fixture(scope="session")
def fleet_emulator():
    """One seeded emulator for the session; use the `emulator` fixture, which resets it per test."""
    with _harness().EmulatorProcess(args=FLEET_ARGS) as emu:
        yield emu


@pytest.fixture
def emulator(fleet_emulator):
    fleet_emulator.reset()
    yield fleet_emulator


@pytest.fixture
def emulator_factory():
    """Start emulators with custom flags; all are stopped at teardown."""
    started = []

    def factory(*args, token=None):
        harness = _harness()
        emu = harness.EmulatorProcess(args=args, token=token or harness.DEFAULT_TOKEN).start()
        started.append(emu)
        return emu

    yield factory
    for emu in started:
        emu.stop()


@pytest.fixture
def run_module(monkeypatch):
    """Run `module.main()` with `args`; returns the result dict, with result["failed"] set on fail_json."""
    from ansible_collections.coolops.coolify.tests.unit import module_runner  # lazily, like _harness()
    return module_runner.make_runner(monkeypatch)


def connection_args(emu, **extra):
    """Module arguments that point at an emulator."""
    args = {"api_url": emu.api_url, "api_token": emu.token}
    args.update(extra)
    return args
