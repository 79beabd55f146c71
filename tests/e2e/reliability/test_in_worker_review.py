# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Review of the in-worker runs (plugin_utils/_in_worker.py): where the result differs from the child's.

Each test runs the same task both ways through the real ansible-playbook (``coolops_coolify_in_worker`` true and
false) and compares what a playbook, a callback or AWX sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from _support import MARK, ROOT_TOKEN, collections_path, run_playbook, uuids_of, venv_python  # pylint: disable=import-error

IN_WORKER = "coolops.coolify.coolify_app_batch runs inside this worker process"
AS_CHILD = "coolops.coolify.coolify_app_batch runs as a child process"


WARNING_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{python}"
    coolops_coolify_in_worker: {in_worker}
  tasks:
    - name: Restart, naming the applications under the option and its alias (AnsibleModule warns)
      coolops.coolify.coolify_app_batch:
        api_url: "{api_url}"
        api_token: "{token}"
        uuids: {uuids}
        application_uuids: {uuids}
        state: restarted
        wait: false
      register: batch
    - name: Save the result
      ansible.builtin.copy:
        content: "{{{{ batch | to_json }}}}"
        dest: "{result}"
"""


def run_warning_task(emu, tmp_path, in_worker):
    result = tmp_path / ("result-%s.json" % in_worker)
    uuids = json.dumps(uuids_of(emu.state(), "applications", ["app-1"]))
    out = run_playbook(emu, tmp_path, WARNING_PLAYBOOK.format(
        python=venv_python(), in_worker=str(in_worker).lower(), api_url=emu.api_url, token=ROOT_TOKEN, uuids=uuids,
        result=result))
    assert (IN_WORKER if in_worker else AS_CHILD) in out
    with open(str(result), encoding="utf-8") as handle:
        return json.load(handle)


def test_a_module_warning_is_in_the_registered_result_as_with_the_child(emu, tmp_path):
    """The module's warnings belong to the task result (registered variable, callbacks, AWX's runner_on_ok event).

    As a child, AnsibleModule.warn collects the warning and the result carries it. In the worker, ansible-core's
    module_utils know they are on the controller (module_utils._internal.is_controller) and hand the warning to
    Display.warning, which only attaches it to the task when a DeferredWarningContext is current; that context is a
    contextvar of the worker's main thread, and the module runs on another thread (_progress_action._relay), so the
    warning is displayed on its own and the task result has no ``warnings``.
    """
    child = run_warning_task(emu, tmp_path, in_worker=False)
    worker = run_warning_task(emu, tmp_path, in_worker=True)
    expected = ["Both option uuids and its alias application_uuids are set."]
    assert child.get("warnings") == expected
    assert worker.get("warnings") == expected


TOKEN_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{python}"
    coolops_coolify_in_worker: {in_worker}
  tasks:
    - name: Restart with a token that has a line break in it (a token pasted from a wrapped text)
      coolops.coolify.coolify_app_batch:
        api_url: "{api_url}"
        api_token: "{{{{ coolify_token }}}}"
        names: [app-1]
        state: restarted
        wait: false
      check_mode: {check_mode}
      register: batch
      ignore_errors: true
    - name: Save the result
      ansible.builtin.copy:
        content: "{{{{ batch | to_json }}}}"
        dest: "{result}"
"""


def test_a_token_with_a_line_break_is_never_shown(emu, tmp_path):
    """Any way the module runs, a token the HTTP layer refuses must not come back in the message.

    http.client refuses a header value with a line break with ``ValueError("Invalid header value b'Bearer <token>'")``.
    That is no RequestException, so _http.ApiTransport._request does not turn it into a scrubbed CoolifyError; as a
    child (coolops_coolify_in_worker false, check mode, become, environment, another Python, a remote host) the
    AnsiballZ wrapper reports the exception's text as the task's msg, with the whole token in it, escaped (so
    AnsibleModule's no_log masking cannot match it). In the worker only the exception's type is shown.
    """
    secrets = tmp_path / "secrets.json"  # not next to the playbook: an error's origin context shows playbook lines
    secrets.write_text(json.dumps({"coolify_token": "7|%sline\nbreak" % MARK}), encoding="utf-8")
    for in_worker, check_mode in ((True, False), (False, False), (True, True)):
        result = tmp_path / "result.json"
        emu.reset()
        path = tmp_path / "play.yml"
        path.write_text(TOKEN_PLAYBOOK.format(python=venv_python(), in_worker=str(in_worker).lower(),
                                              api_url=emu.api_url, check_mode=str(check_mode).lower(),
                                              result=result), encoding="utf-8")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
        env.pop("ANSIBLE_PYTHON_INTERPRETER", None)
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-v", "-i", "localhost,", "-e",
                   "@%s" % secrets, str(path)]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=300,
                              cwd=str(tmp_path))
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-3000:]
        with open(str(result), encoding="utf-8") as handle:
            registered = json.load(handle)
        assert registered["failed"] is True
        where = "in_worker=%s check_mode=%s" % (in_worker, check_mode)
        assert MARK not in json.dumps(registered), "%s: the token is in the result: %s" % (where, registered["msg"])
        assert MARK not in out, "%s: the token is in the output" % where


UNEXPECTED_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{python}"
    coolops_coolify_in_worker: {in_worker}
  tasks:
    - name: Restart, while the list of applications is a list of numbers (a bug in the module's reading)
      coolops.coolify.coolify_app_batch:
        api_url: "{api_url}"
        api_token: "{token}"
        names: [app-1]
        state: restarted
        max_retries: 0
      register: batch
      ignore_errors: true
    - name: Save the result
      ansible.builtin.copy:
        content: "{{{{ batch | to_json }}}}"
        dest: "{result}"
"""


def test_an_unexpected_exception_keeps_its_traceback_when_tracebacks_are_asked_for(emu, proxy, tmp_path):
    """ANSIBLE_DISPLAY_TRACEBACK=error: a bug in the module shows where it happened, whichever way the module ran.

    As a child, AnsiballZ's handler returns the exception with its traceback (module_utils file and line). In the
    worker, run_in_worker replaces it with a message naming the type only and no ``exception``: the controller then
    shows "(traceback missing)" and its own frames, and nothing points at the module's code.
    """
    proxy.add_rule("answer", r"^/api/v1/applications$", method="GET", status=200, body=b"[1, 2]",
                   content_type="application/json")
    for in_worker in (False, True):
        result = tmp_path / "result.json"
        out = run_playbook(emu, tmp_path, UNEXPECTED_PLAYBOOK.format(
            python=venv_python(), in_worker=str(in_worker).lower(), api_url=proxy.api_url, token=ROOT_TOKEN,
            result=result), extra_env={"ANSIBLE_DISPLAY_TRACEBACK": "error"}, options=("-vvv",))
        assert (IN_WORKER if in_worker else AS_CHILD) in out
        with open(str(result), encoding="utf-8") as handle:
            registered = json.load(handle)
        assert registered["failed"] is True and "AttributeError" in json.dumps(registered)
        assert "ansible_collections/coolops/coolify/plugins/module_utils/" in registered["exception"], (
            "in_worker=%s: %s" % (in_worker, registered["exception"][:600]))


DELEGATED_PLAYBOOK = """
- hosts: web1
  gather_facts: false
  tasks:
    - name: Restart from the controller
      coolops.coolify.coolify_app_batch:
        api_url: "{api_url}"
        api_token: "{token}"
        names: [app-1]
        state: restarted
        wait: false
      delegate_to: localhost
"""


def test_the_opt_out_set_on_the_host_the_module_runs_on_is_honoured_when_delegating(emu, tmp_path):
    """``coolops_coolify_in_worker: false`` in localhost's variables: a task delegated to localhost runs as a child.

    in_worker_refusal reads the interpreter from the delegated host's variables (ansible_delegated_vars, as
    ansible-core does), but the opt-out from the inventory host's (task_vars): the escape hatch, set where the module
    runs (host_vars/localhost.yml, or the inventory line of localhost), is ignored for every delegated task.
    """
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s coolops_coolify_in_worker=false\n"
        "web1 ansible_host=203.0.113.9 ansible_connection=ssh ansible_python_interpreter=/usr/bin/python3\n"
        % venv_python(), encoding="utf-8")
    out = run_playbook(emu, tmp_path, DELEGATED_PLAYBOOK.format(api_url=emu.api_url, token=ROOT_TOKEN),
                       options=("-vvv", "-i", str(inventory)))
    assert "coolops_coolify_in_worker is false" in out, [line for line in out.splitlines() if "batch runs" in line]


GONE_CWD_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{python}"
  tasks:
    - name: Remove the directory ansible-playbook was started in (a CI workspace cleaned up meanwhile)
      ansible.builtin.file:
        path: "{cwd}"
        state: absent
    - name: Restart
      coolops.coolify.coolify_app_batch:
        api_url: "{api_url}"
        api_token: "{token}"
        names: [app-1]
        state: restarted
        wait: false
"""


def test_no_module_temporary_directory_is_left_behind_when_the_working_directory_is_gone(emu, tmp_path):
    """Nothing is left in remote_tmp after the run, whichever way the module ran.

    AnsibleModule._set_cwd moves to ``self.tmpdir`` when the working directory cannot be read (gone, or not readable
    by the user). As a child, that is the task's AnsiballZ directory (``_ansible_tmpdir``), which the action removes.
    In the worker ``_ansible_tmpdir`` is None, so AnsibleModule creates ``ansible-moduletmp-*`` under remote_tmp and
    registers its removal with atexit; the worker ends with os._exit, so it stays, one per task (and the worker's
    own working directory is changed to it).
    """
    for in_worker in (False, True):
        remote_tmp = tmp_path / ("remote-tmp-%s" % in_worker)
        cwd = tmp_path / ("cwd-%s" % in_worker)
        cwd.mkdir()
        playbook = tmp_path / "gone.yml"
        playbook.write_text(GONE_CWD_PLAYBOOK.format(python=venv_python(), cwd=cwd, api_url=emu.api_url,
                                                     token=ROOT_TOKEN), encoding="utf-8")
        emu.reset()
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_REMOTE_TEMP=str(remote_tmp),
                   ANSIBLE_RETRY_FILES_ENABLED="0")
        env.pop("ANSIBLE_PYTHON_INTERPRETER", None)
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", "-i", "localhost,",
                   "-e", "coolops_coolify_in_worker=%s" % in_worker, str(playbook)]
        proc = subprocess.run(command, env=env, cwd=str(cwd), capture_output=True, text=True, check=False,
                              timeout=300)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-3000:]
        assert (IN_WORKER if in_worker else AS_CHILD) in out
        left = sorted(name for name in os.listdir(str(remote_tmp))) if remote_tmp.exists() else []
        assert left == [], "in_worker=%s left %s" % (in_worker, left)


TIMEOUT_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{python}"
    coolops_coolify_in_worker: {in_worker}
  tasks:
    - name: Restart three applications in waves of one (about 5 s), with a task timeout of 1 s
      coolops.coolify.coolify_app_batch:
        api_url: "{api_url}"
        api_token: "{token}"
        names: [app-1, app-2, app-3]
        state: restarted
        wait: true
        poll_interval: 0.1
        strategy: rolling
        batch_size: 1
      timeout: 1
      ignore_errors: true
"""


def test_a_timed_out_batch_task_sends_nothing_once_the_playbook_has_ended(emu, tmp_path):
    """``timeout:`` on a batch task: whatever the task reports, the module does not go on acting behind Ansible's back.

    _progress_action._relay waits for the module's thread in ``finally: thread.join()``. The task timeout raises
    TaskTimeoutError (from SIGALRM) in the worker's main thread while it is in ``thread.join(CHECK_EVERY)``; on
    Python 3.12, threading.Thread._wait_for_tstate_lock then releases the running thread's tstate lock and marks it
    stopped (threading.py, the bpo-45274 branch), so the join in ``finally`` returns at once. As a child, the module
    goes on as an orphan after ansible-playbook has returned: it restarts and polls on its own, reported nowhere. In
    the worker, the module's thread dies with the worker wherever it was (possibly between a restart and its answer).
    """
    import time  # pylint: disable=import-outside-toplevel
    for in_worker in (True, False):
        out = run_playbook(emu, tmp_path, TIMEOUT_PLAYBOOK.format(
            python=venv_python(), in_worker=str(in_worker).lower(), api_url=emu.api_url, token=ROOT_TOKEN),
            options=("-vvv",), settings={"deploy_seconds": 1.5})
        assert (IN_WORKER if in_worker else AS_CHILD) in out and "Timed out after 1 second" in out
        at_end = len(emu.requests_log())
        time.sleep(6)  # longer than the whole batch would take
        late = [entry["method"] + " " + entry["path"] for entry in emu.requests_log()[at_end:]
                if entry["path"].startswith("/api/")]
        assert late == [], "in_worker=%s: %d requests after ansible-playbook returned: %s" % (
            in_worker, len(late), [request for request in late if not request.startswith("GET")] or late[:4])


USER_SITE_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  tasks:
    - name: Restart
      coolops.coolify.coolify_app_batch:
        api_url: "{api_url}"
        api_token: "{token}"
        names: [app-1]
        state: restarted
        wait: false
      register: batch
      ignore_errors: true
    - name: Save the result
      ansible.builtin.copy:
        content: "{{{{ batch | to_json }}}}"
        dest: "{result}"
"""


def test_a_controller_started_with_python_s_sees_the_user_site_packages_the_child_sees(emu, tmp_path):
    """ansible-playbook started as ``python3 -s`` (Fedora's and RHEL's packaged scripts: ``#!/usr/bin/python3 -s``),
    requests installed with ``pip install --user``: the batch module works, as it did as a child.

    same_interpreter compares the interpreter's path only. The child is started as ``<python> AnsiballZ_...py``,
    without -s, so it imports from the user's site-packages; the worker runs with the controller's flags
    (sys.flags.no_user_site), so in the worker ``import requests`` fails and the module reports requests missing.
    Simulated here with a plain (non-venv) Python: ansible on PYTHONPATH, requests only in PYTHONUSERBASE.
    """
    import site  # pylint: disable=import-outside-toplevel
    import pytest  # pylint: disable=import-outside-toplevel
    base = os.path.join(sys.base_prefix, "bin", "python%d.%d" % sys.version_info[:2])
    probe = subprocess.run([base, "-c", "import site, sys; print(site.ENABLE_USER_SITE, sys.prefix == sys.base_prefix)"
                            ], capture_output=True, text=True, check=False)
    if probe.stdout.split() != ["True", "True"]:
        pytest.skip("no plain Python with a user site-packages next to this venv")
    venv_site = site.getsitepackages()[0]
    packages = tmp_path / "site-packages"  # everything of this venv but requests
    packages.mkdir()
    for name in os.listdir(venv_site):
        if not name.startswith("requests"):
            os.symlink(os.path.join(venv_site, name), str(packages / name))
    user_base = tmp_path / "user-base"
    user_site = user_base / "lib" / ("python%d.%d" % sys.version_info[:2]) / "site-packages"
    user_site.mkdir(parents=True)
    os.symlink(os.path.join(venv_site, "requests"), str(user_site / "requests"))
    for in_worker in (False, True):
        emu.reset()
        result = tmp_path / ("result-%s.json" % in_worker)
        playbook = tmp_path / "user-site.yml"
        playbook.write_text(USER_SITE_PLAYBOOK.format(api_url=emu.api_url, token=ROOT_TOKEN, result=result),
                            encoding="utf-8")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_RETRY_FILES_ENABLED="0",
                   PYTHONPATH=str(packages), PYTHONUSERBASE=str(user_base))
        env.pop("ANSIBLE_PYTHON_INTERPRETER", None)
        command = [base, "-s", os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", "-i",
                   "localhost,", "-e", "coolops_coolify_in_worker=%s" % in_worker, str(playbook)]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=300,
                              cwd=str(tmp_path))
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-3000:]
        with open(str(result), encoding="utf-8") as handle:
            registered = json.load(handle)
        assert registered.get("changed") is True, "in_worker=%s: %s" % (in_worker, registered.get("msg"))
