# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reliability matrix: a seeded emulator with marker secrets, a fault proxy, and a runner for the modules' real main().

Nothing here mocks requests or the client: every module call goes over loopback HTTP to the emulator (optionally
through tests/reliability/_proxy.py), and every assertion about what really happened reads the emulator's own
request log and state (/_emulator/requests, /_emulator/state).
"""

from __future__ import annotations

import contextlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

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


class ModuleExit(Exception):
    """Raised instead of exit_json/fail_json so the test gets the result dict back."""

    def __init__(self, result):
        super().__init__("module exited")
        self.result = result


@contextlib.contextmanager
def _module_args(args):
    try:
        from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core < 2.19
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    old = basic._ANSIBLE_ARGS  # pylint: disable=protected-access
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))  # pylint: disable=protected-access
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = old  # pylint: disable=protected-access


@pytest.fixture
def run_module(monkeypatch):
    """run_module(module, args, check_mode=False, diff=False) -> result dict (result["failed"] set by fail_json)."""

    def exit_json(self, **kwargs):  # pylint: disable=unused-argument
        kwargs.setdefault("failed", False)
        raise ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
        kwargs["failed"] = True
        kwargs["msg"] = msg
        raise ModuleExit(kwargs)

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
