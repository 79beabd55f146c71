# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No emulator outlives what started it: the --parent-pid watchdog and the harness's process-group stop."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from emu_helpers import EMULATOR_DIR, harness  # pylint: disable=import-error

# A parent that starts an emulator watching it, prints the emulator's pid, and dies without stopping it (os._exit skips
# every finaliser, like a killed or forked test worker).
ORPHANING_PARENT = """
import os, subprocess, sys
proc = subprocess.Popen([sys.executable, sys.argv[1], "--port", "0", "--parent-pid", str(os.getpid())],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
assert proc.stdout.readline().startswith(b"listening on ")
print(proc.pid, flush=True)
os._exit(0)
"""


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _gone_within(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_emulator_exits_when_its_parent_dies_without_stopping_it():
    out = subprocess.run([sys.executable, "-c", ORPHANING_PARENT, EMULATOR_DIR], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    pid = int(out.strip())
    try:
        assert _gone_within(pid, 5), "the orphaned emulator %d is still running" % pid
    finally:
        if _alive(pid):
            os.kill(pid, 9)


def test_without_the_watchdog_an_orphan_would_stay(tmp_path):
    """The control case: the same orphan without --parent-pid keeps running (so the test above can fail)."""
    script = ORPHANING_PARENT.replace(', "--parent-pid", str(os.getpid())', "")
    out = subprocess.run([sys.executable, "-c", script, EMULATOR_DIR], capture_output=True, text=True, timeout=30,
                         check=True, cwd=str(tmp_path)).stdout
    pid = int(out.strip())
    try:
        assert not _gone_within(pid, 1.5)
    finally:
        os.kill(pid, 9)


def test_harness_passes_its_pid_and_stops_the_whole_group():
    emu = harness.EmulatorProcess().start()
    pid = emu.proc.pid
    try:
        assert emu.command[emu.command.index("--parent-pid") + 1] == str(os.getpid())
        assert os.getpgid(pid) == pid  # its own process group
        assert emu in harness._RUNNING  # pylint: disable=protected-access
    finally:
        emu.stop()
    assert not _alive(pid)
    assert emu not in harness._RUNNING  # pylint: disable=protected-access


FORGETFUL_SCRIPT = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("harness", sys.argv[1])
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)
emu = harness.EmulatorProcess().start()
print(emu.proc.pid, flush=True)
"""


def test_an_emulator_a_script_forgot_is_stopped_at_its_exit():
    """harness.stop_all() runs at interpreter exit (in its own process here: it would stop this worker's emulators)."""
    out = subprocess.run([sys.executable, "-c", FORGETFUL_SCRIPT, os.path.join(EMULATOR_DIR, "harness.py")],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    pid = int(out.strip())
    try:
        assert not _alive(pid)
    finally:
        if _alive(pid):
            os.kill(pid, 9)
