# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: a real emulator over loopback, and a runner that executes a module's real main()."""

from __future__ import annotations

import contextlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes


def _harness():
    # Imported lazily: pytest loads this conftest before pytest-ansible puts the collection on sys.path.
    from ansible_collections.coolops.coolify.tests.emulator import harness
    return harness


# A seeded fleet with short timings so waits finish quickly.
FLEET_ARGS = (
    "--seed-apps", "12", "--seed-services", "4", "--seed-servers", "2", "--seed-projects", "2",
    "--random-seed", "7", "--deploy-seconds", "0.2", "--status-lag-seconds", "0.1",
)


class ModuleExit(Exception):
    """Raised instead of exit_json so a test gets the result dict back."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


class ModuleFail(ModuleExit):
    """Raised instead of fail_json."""


@contextlib.contextmanager
def _module_args(args):
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    old = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = old


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

    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs["failed"] = True
        kwargs["msg"] = msg
        raise ModuleFail(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def runner(module, args, check_mode=False, diff=False):
        args = dict(args)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = diff
        with _module_args(args):
            try:
                module.main()
            except ModuleExit as exc:
                return exc.result
        raise AssertionError("the module returned without calling exit_json or fail_json")

    return runner


def connection_args(emu, **extra):
    """Module arguments that point at an emulator."""
    args = {"api_url": emu.api_url, "api_token": emu.token}
    args.update(extra)
    return args
