# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Warnings go through module.warn: under ansible-core 2.21, passing them to exit_json prints a deprecation notice
(issue 11, row 7d). Checked in-process and with a real ``ansible`` run against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.coolops.coolify.plugins.modules import coolify_env

# pylint: disable=import-error
from _support import NEW_SECRET, ROOT, ROOT_TOKEN, assert_no_secret, connection

PADDED = {"API_KEY": "  %s  " % NEW_SECRET}  # Coolify strips the spaces: the module warns, naming the key


def test_env_warning_is_given_to_module_warn_not_to_exit_json(emu, run_module):
    result = run_module(coolify_env, connection(emu.api_url, names=["app-1"], env=PADDED))
    assert not result["failed"], result["msg"]
    assert any("API_KEY" in warning and "whitespace" in warning for warning in result.get("warnings", [])), result
    assert not result.get("deprecations"), result["deprecations"]
    assert_no_secret(result)


def test_a_real_run_under_ansible_core_prints_no_deprecation_of_ours(emu, tmp_path):
    args = connection(emu.api_url, names=["app-1"], env=PADDED)
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".venv", "collections"))
    env.update(ANSIBLE_DEPRECATION_WARNINGS="true", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    run = subprocess.run([ansible, "localhost", "-c", "local", "-i", "localhost,", "-m", "coolops.coolify.coolify_env",
                          "-a", json.dumps(args)], env=env, capture_output=True, text=True, timeout=120, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-2000:]
    assert "localhost | CHANGED" in run.stdout, output[-2000:]
    assert "[WARNING]" in output and "API_KEY" in output, output[-2000:]  # module.warn reached the display
    assert "DEPRECATION" not in output.upper(), output[-2000:]
    assert ROOT_TOKEN not in output and NEW_SECRET not in output
