# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's real main() in-process and get its result dict back; shared by the unit and reliability conftests.

Conftests must import this lazily (inside fixtures): pytest loads them before pytest-ansible puts the collection on sys.path.
"""

from __future__ import annotations

import contextlib
import json

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes


class ModuleExit(Exception):
    """Raised instead of exit_json so a test gets the result dict back."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


class ModuleFail(ModuleExit):
    """Raised instead of fail_json."""


@contextlib.contextmanager
def module_args(args):
    """Hand `args` to AnsibleModule, through patch_module_args where ansible-core has it."""
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


def make_runner(monkeypatch, exit_defaults=None):
    """Patch exit_json/fail_json and return runner(module, args, check_mode=False, diff=False) -> result dict.

    fail_json sets result["failed"] and result["msg"]; `exit_defaults` are keys exit_json adds when the module did not.
    """
    exit_defaults = dict(exit_defaults or {})
    # In-process, module.warn would go to the controller's display: collect it into the result as exit_json does.
    recorded = {"warnings": [], "deprecations": []}

    def warn(self, warning, **kwargs):  # pylint: disable=unused-argument
        recorded["warnings"].append(warning)

    def deprecate(self, msg, **kwargs):  # pylint: disable=unused-argument
        recorded["deprecations"].append(msg)

    def take_warnings(kwargs):
        if "warnings" in kwargs:  # deprecated since ansible-core 2.21: modules must call module.warn
            recorded["deprecations"].append("Passing `warnings` to `exit_json` or `fail_json` is deprecated.")
            recorded["warnings"][:0] = list(kwargs.pop("warnings") or [])
        for name, values in recorded.items():
            if values:
                kwargs[name] = list(values)
            del values[:]

    def exit_json(self, **kwargs):  # pylint: disable=unused-argument
        for name, value in exit_defaults.items():
            kwargs.setdefault(name, value)
        take_warnings(kwargs)
        raise ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
        take_warnings(kwargs)
        kwargs["failed"] = True
        kwargs["msg"] = msg
        raise ModuleFail(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", warn)
    monkeypatch.setattr(basic.AnsibleModule, "deprecate", deprecate)

    def runner(module, args, check_mode=False, diff=False):
        args = dict(args)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = diff
        for values in recorded.values():
            del values[:]
        with module_args(args):
            try:
                module.main()
            except ModuleExit as exc:
                return exc.result
        raise AssertionError("the module returned without calling exit_json or fail_json")

    return runner
