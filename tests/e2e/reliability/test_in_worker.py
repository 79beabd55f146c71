# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A batch module run inside the worker process (plugin_utils/_in_worker.py) against the same module run as a child.

Through the real ansible-playbook at -vvvv: both ways send the same requests once each, return the same result and
the same one-sentence errors, and print no secret; a task with ``environment`` or another Python takes the child path.
"""

from __future__ import annotations

import json
import os

from _support import MARK, ROOT_TOKEN, api_log, run_playbook, uuids_of, venv_python  # pylint: disable=import-error

IN_WORKER = "coolops.coolify.coolify_app_batch runs inside this worker process"
AS_CHILD = "coolops.coolify.coolify_app_batch runs as a child process"
APPS = ["app-1", "app-2", "app-3", "app-4"]
# Fields that differ between two runs by nature (timing and new deployment uuids), not by the way the module ran.
PER_RUN = ("elapsed_seconds", "deployment_uuid", "reason")

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Restart the applications
      coolops.coolify.coolify_app_batch: {args}
      environment: {environment}
      register: batch
      ignore_errors: true
    - name: Save the result
      ansible.builtin.copy:
        content: "{{{{ batch | to_json }}}}"
        dest: "{result}"
"""


def run(emu, tmp_path, args, extra_vars=None, environment=None, interpreter=None):
    """ansible-playbook -vvvv with the module task; returns (its output, the registered result)."""
    result = tmp_path / "result.json"
    variables = dict(extra_vars or {}, ansible_python_interpreter=interpreter or venv_python())
    out = run_playbook(emu, tmp_path, PLAYBOOK.format(args=json.dumps(args), environment=json.dumps(environment or {}),
                                                      result=result),
                       options=("-vvvv", "-e", json.dumps(variables)))
    with open(str(result), encoding="utf-8") as handle:
        registered = json.load(handle)
    assert MARK not in json.dumps(registered)
    return out, registered


def restart_args(emu, **extra):
    args = {"api_url": emu.api_url, "api_token": ROOT_TOKEN, "uuids": uuids_of(emu.state(), "applications", APPS),
            "state": "restarted", "wait": True, "poll_interval": 0.1, "wait_timeout": 30}
    args.update(extra)
    return args


def comparable(result):
    """The registered result without what changes from run to run."""
    items = [dict((key, value) for key, value in item.items() if key not in PER_RUN)
             for item in result.get("applications") or []]
    kept = dict((key, value) for key, value in result.items() if key not in ("applications", "invocation"))
    return kept, sorted(items, key=lambda item: item["uuid"])


def restarts(emu):
    return sorted(entry["path"] for entry in api_log(emu) if entry["method"] == "POST")


def test_in_the_worker_the_module_sends_and_returns_what_the_child_does(emu, tmp_path):
    out, result = run(emu, tmp_path, restart_args(emu))
    assert IN_WORKER in out and "AnsiballZ_coolify_app_batch" not in out
    sent = restarts(emu)
    out_child, result_child = run(emu, tmp_path, restart_args(emu), extra_vars={"coolops_coolify_in_worker": False})
    assert AS_CHILD in out_child and "coolops_coolify_in_worker is false" in out_child
    assert "AnsiballZ_coolify_app_batch" in out_child
    assert len(sent) == len(APPS) and len(set(sent)) == len(APPS)  # each application restarted once
    assert restarts(emu) == sent
    assert result["changed"] is True and result["summary"]["changed"] == len(APPS)
    assert all(item["status_after"].startswith("running") for item in result["applications"]), result["applications"]
    assert comparable(result) == comparable(result_child)


def test_a_bad_input_fails_the_same_way_before_any_request(emu, tmp_path):
    args = restart_args(emu, max_workers=0)
    out, result = run(emu, tmp_path, args)
    assert IN_WORKER in out
    assert api_log(emu) == []
    _out, result_child = run(emu, tmp_path, args, extra_vars={"coolops_coolify_in_worker": False})
    assert api_log(emu) == []
    assert result["failed"] is True and result["msg"] == result_child["msg"]
    assert "max_workers" in result["msg"]


def test_a_refused_token_is_reported_without_the_token(emu, tmp_path):
    wrong = "3|%s-not-a-token" % MARK
    out, result = run(emu, tmp_path, restart_args(emu, api_token=wrong))
    assert IN_WORKER in out
    assert result["failed"] is True and "401" in result["msg"]
    assert not [entry for entry in api_log(emu) if entry["method"] == "POST"]


def test_a_task_environment_runs_the_module_as_a_child_with_that_environment(emu, tmp_path):
    args = restart_args(emu)
    api_url = args.pop("api_url")  # from the task's environment, through the option's env fallback
    out, result = run(emu, tmp_path, args, environment={"COOLIFY_API_URL": api_url})
    assert AS_CHILD in out and "the task sets environment" in out
    assert result["changed"] is True and result["summary"]["changed"] == len(APPS)


def test_another_python_runs_the_module_as_a_child(emu, tmp_path):
    other = tmp_path / "bin" / "python3"
    other.parent.mkdir()
    other.symlink_to(os.path.realpath(venv_python()))  # the same binary, another directory: another environment
    out, _result = run(emu, tmp_path, restart_args(emu), interpreter=str(other))
    assert AS_CHILD in out and "not this controller's Python" in out


LOOP_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Restart one application per item, the first one named under the option and its alias
      coolops.coolify.coolify_app_batch:
        api_url: "{api_url}"
        api_token: "{token}"
        uuids: "{{{{ item.uuids }}}}"
        application_uuids: "{{{{ item.alias | default(omit) }}}}"
        state: restarted
        wait: false
      loop: {items}
      register: batch
    - name: Save the result
      ansible.builtin.copy:
        content: "{{{{ batch | to_json }}}}"
        dest: "{result}"
"""


def test_a_loop_runs_the_module_once_per_item_in_the_same_worker(emu, tmp_path):
    first, second = uuids_of(emu.state(), "applications", ["app-1", "app-2"])
    items = [{"uuids": [first], "alias": [first]}, {"uuids": [second]}]
    result = tmp_path / "result.json"
    out = run_playbook(emu, tmp_path, LOOP_PLAYBOOK.format(api_url=emu.api_url, token=ROOT_TOKEN,
                                                           items=json.dumps(items), result=result),
                       extra_env={"ANSIBLE_PYTHON_INTERPRETER": venv_python()}, options=("-vvv",))
    assert out.count(IN_WORKER) == 2
    with open(str(result), encoding="utf-8") as handle:
        runs = json.load(handle)["results"]
    # The first item's warning is shown (Ansible's display shows one text once, so a repeat would not be seen here).
    assert out.count("[WARNING]: Both option uuids and its alias application_uuids are set.") == 1, out[-3000:]
    assert [[item["uuid"] for item in run["applications"]] for run in runs] == [[first], [second]]
    assert restarts(emu) == sorted(["/api/v1/applications/%s/restart" % first, "/api/v1/applications/%s/restart" % second])
