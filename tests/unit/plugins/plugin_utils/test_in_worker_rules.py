# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When a batch module may run inside the worker process (pure). Through ansible-playbook: tests/e2e/reliability/test_in_worker.py."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.coolops.coolify.plugins.plugin_utils._in_worker import (
    OPT_OUT_VAR,
    core_supported,
    import_flags,
    same_interpreter,
    why_not_in_worker,
)


@pytest.mark.parametrize("version, supported", [
    ("2.21.5", True), ("2.21.0rc1", True), ("2.20.3", False), ("2.19.1", False), ("2.22.0", False), ("3.0.0", False),
    ("devel", False), ("", False),
])
def test_only_the_ansible_core_it_was_written_against(version, supported):
    assert core_supported(version) is supported


def test_the_same_python_under_another_name_in_the_same_directory_is_the_same(tmp_path):
    binary = tmp_path / "bin" / "python3.12"
    binary.parent.mkdir()
    binary.write_text("")
    (tmp_path / "bin" / "python").symlink_to(binary)
    assert same_interpreter(str(tmp_path / "bin" / "python"), str(binary))
    assert same_interpreter(str(binary), str(binary))


def test_the_same_binary_in_another_environment_is_not_the_same(tmp_path):
    binary = tmp_path / "base" / "python3"
    binary.parent.mkdir()
    binary.write_text("")
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "python3").symlink_to(binary)  # a venv links its base Python, but has its own site-packages
    assert not same_interpreter(str(tmp_path / "venv" / "python3"), str(binary))


@pytest.mark.parametrize("interpreter", [None, "", "auto", "auto_silent", "/no/such/python", "python3"])
def test_an_unknown_or_discovered_interpreter_is_not_this_one(interpreter):
    assert not same_interpreter(interpreter, sys.executable)


def test_every_difference_from_the_child_takes_the_normal_path():
    here = sys.executable
    assert why_not_in_worker(here, True, False, False, True) is None
    assert "ansible-core" in why_not_in_worker(here, True, False, False, False)
    assert OPT_OUT_VAR in why_not_in_worker(here, False, False, False, True)
    assert "become" in why_not_in_worker(here, True, False, True, True)
    assert "environment" in why_not_in_worker(here, True, True, False, True)
    assert "Python" in why_not_in_worker(os.path.join(os.path.dirname(here), "no-such-python"), True, False, False, True)


def test_a_controller_started_with_options_that_change_imports_takes_the_normal_path():
    here = sys.executable
    assert "no_user_site" in why_not_in_worker(here, True, False, False, True, flags=["no_user_site"])

    class Flags(object):  # pylint: disable=too-few-public-methods
        no_user_site, ignore_environment, isolated, no_site, optimize = 1, 0, 0, 0, 2

    assert import_flags(Flags) == ["no_user_site"]
