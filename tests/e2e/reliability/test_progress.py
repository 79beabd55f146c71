# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Progress of a long batch task, through the real ansible-playbook and the action plugin, against the emulator.

The batch modules' action plugin shows ``<host> | coolify_app_batch: restarted 5/16, 11 pending`` lines while the task
runs (at most one every few seconds); the result, check mode and --diff stay what the module returns.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from _support import collections_path, load_harness, venv_python  # pylint: disable=import-error


PROGRESS = re.compile(r"^localhost \| coolify_app_batch: restarted (\d+)/(\d+)(?:, (\d+) failed)?(?:, (\d+) pending)?$",
                      re.MULTILINE)
APPS = 16

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Restart every application and wait
      coolops.coolify.coolify_app_batch:
        api_url: "{api_url}"
        api_token: "{token}"
        uuids: {uuids}
        state: restarted
        wait: true
        poll_interval: 0.5
      register: batch
    - name: Save the result
      check_mode: false
      ansible.builtin.copy:
        content: "{{{{ batch | to_json }}}}"
        dest: "{result}"
"""


@pytest.fixture(scope="module")
def slow_fleet():
    """16 applications on 2 servers with one build slot each: 8 waves of 0.8 s deployments, about 6.5 s (two
    intervals of the action plugin's SHOW_EVERY, so a progress line with pending items is shown)."""
    args = ("--seed-apps", str(APPS), "--seed-services", "0", "--seed-servers", "2", "--random-seed", "3",
            "--concurrent-builds", "1", "--deploy-seconds", "0.8", "--status-lag-seconds", "0.1",
            "--rate-limit", "100000")
    with load_harness().EmulatorProcess(args=args, python=venv_python()) as emu:
        yield emu


def run_playbook(emu, tmp_path, *flags):
    emu.reset()
    _status, _headers, apps = emu.request("GET", "/applications")
    result = tmp_path / "result.json"
    playbook = tmp_path / "progress.yml"
    playbook.write_text(PLAYBOOK.format(api_url=emu.api_url, token=emu.token, result=result,
                                        uuids=json.dumps([app["uuid"] for app in apps])))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER=venv_python(),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    started = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                           str(playbook)] + list(flags), env=env, capture_output=True, text=True, check=False, timeout=300)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(str(result), encoding="utf-8") as handle:
        return proc.stdout, json.load(handle), seconds


def test_a_long_batch_shows_its_progress_while_it_runs(slow_fleet, tmp_path):
    out, result, seconds = run_playbook(slow_fleet, tmp_path)
    lines = PROGRESS.findall(out)
    assert lines, out
    for done, total, failed, pending in lines:
        assert int(total) == APPS
        assert int(done) + int(failed or 0) + int(pending or 0) == APPS
        assert int(pending or 0) > 0
    done_counts = [int(done) for done, _total, _failed, _pending in lines]
    assert done_counts == sorted(done_counts)
    assert len(lines) <= seconds / 3.0 + 1  # at most one line every few seconds
    # The progress lines come before the task's own result line, and the result is the module's.
    assert out.index("coolify_app_batch: restarted") < out.index("changed: [localhost]")
    assert result["summary"]["total"] == APPS and result["summary"]["failed"] == 0
    assert result["changed"] is True
    assert all(item["changed"] for item in result["applications"])
    assert "diff" not in result


def test_check_mode_and_diff_behave_as_before(slow_fleet, tmp_path):
    out, result, _seconds = run_playbook(slow_fleet, tmp_path, "--check", "--diff")
    assert not PROGRESS.findall(out)
    assert result["changed"] is True
    assert result["summary"]["total"] == APPS
    assert "diff" in result
    posts = [entry for entry in slow_fleet.requests_log() if entry["method"] == "POST"]
    assert posts == []


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of forkpty:DeprecationWarning")
def test_ansible_runner_job_output_carries_the_progress_lines(slow_fleet, tmp_path):
    """AWX runs jobs through ansible-runner: the progress lines are in the job's stdout and in its events."""
    import ansible_runner  # pylint: disable=import-outside-toplevel
    slow_fleet.reset()
    _status, _headers, apps = slow_fleet.request("GET", "/applications")
    pdd = tmp_path / "job"
    (pdd / "project").mkdir(parents=True)
    (pdd / "project" / "progress.yml").write_text(PLAYBOOK.format(
        api_url=slow_fleet.api_url, token=slow_fleet.token, result=tmp_path / "result.json",
        uuids=json.dumps([app["uuid"] for app in apps])))
    (pdd / "inventory").mkdir()
    (pdd / "inventory" / "hosts").write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % venv_python())
    envvars = {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_COLLECTIONS_PATH": collections_path(),
               "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    runner = ansible_runner.run(private_data_dir=str(pdd), playbook="progress.yml", quiet=True, timeout=300,
                                envvars=envvars)
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    stdout = "\n".join(event.get("stdout", "") for event in runner.events)
    assert PROGRESS.findall(stdout), stdout[-3000:]
