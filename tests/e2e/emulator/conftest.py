# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the emulator's own tests: real emulator processes, reset between tests."""

from __future__ import annotations

import pytest

from emu_helpers import FAST, FIXTURE, ROOT, Api, harness  # pylint: disable=import-error


@pytest.fixture(scope="session")
def fixture_emulator():
    """The example fixture with short timings; every test gets it freshly reset through `api`."""
    with harness.EmulatorProcess(args=("--fixture", FIXTURE) + FAST) as emu:
        yield emu


@pytest.fixture
def api(fixture_emulator):
    fixture_emulator.reset()
    client = Api(fixture_emulator)
    yield client
    client.session.close()


@pytest.fixture(scope="session")
def fleet_emulator():
    with harness.EmulatorProcess(args=("--seed-apps", "30", "--seed-services", "8", "--seed-servers", "3",
                                       "--seed-projects", "3", "--random-seed", "11") + FAST) as emu:
        yield emu


@pytest.fixture
def fleet(fleet_emulator):
    fleet_emulator.reset()
    client = Api(fleet_emulator)
    yield client
    client.session.close()


@pytest.fixture
def start_emulator():
    """Start an emulator with custom flags (stopped at teardown); returns an Api client for it."""
    started = []

    def factory(*args, token=ROOT):
        emu = harness.EmulatorProcess(args=args, token=token).start()
        started.append(emu)
        return Api(emu, token)

    yield factory
    for emu in started:
        emu.stop()
