# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets at -vvvv: every module and the inventory plugin, run by the real ansible-playbook and ansible-inventory.

The token and every env value carry this session's marker. After each run the test greps stdout, stderr, the
Ansible log file and every file left in the run's HOME, temp directories and inventory cache: zero hits. The inputs
(the vars file and the inventory file, which hold the token by design) live in a separate directory that is not
searched. ANSIBLE_KEEP_REMOTE_FILES stays off: with it Ansible keeps each module's arguments on disk by design.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# pylint: disable=import-error
from _support import MARK, NEW_SECRET, ROOT, ROOT_TOKEN, SERVICE_NAMES, count, api_log, uuids_of, venv_python

PLAYBOOK = """---
- name: Every coolops.coolify module at -vvvv with marker secrets
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {vars_file}
  module_defaults:
    group/coolops.coolify.coolify:
      api_url: "{{{{ coolify_url }}}}"
      api_token: "{{{{ coolify_token }}}}"
      max_retries: 1
  tasks:
    - name: Read everything
      coolops.coolify.coolify_info:
        gather: [applications, services, servers, projects, environments, deployments]
    - name: Restart two applications, with a diff
      coolops.coolify.coolify_app_batch:
        names: [app-1, app-2]
        state: restarted
        poll_interval: 0.1
      diff: true
    - name: Restart a service
      coolops.coolify.coolify_service_batch:
        names: [svc-1]
        state: restarted
        poll_interval: 0.1
      diff: true
    - name: Preview a rotation in check mode
      coolops.coolify.coolify_env:
        names: [app-1, app-2]
        env:
          API_KEY: "{{{{ new_secret }}}}"
          EXTRA_SECRET: "{{{{ new_secret }}}}-extra"
        prune: true
      check_mode: true
      diff: true
    - name: Rotate a secret on applications and restart them
      coolops.coolify.coolify_env:
        names: [app-1, app-2]
        env:
          API_KEY: "{{{{ new_secret }}}}"
          ANOTHER:
            value: "{{{{ new_secret }}}}-flagged"
            is_literal: true
        restart: changed
        rollback: true
        poll_interval: 0.1
      diff: true
    - name: Rotate a service secret
      coolops.coolify.coolify_env:
        resource_type: service
        names: [svc-2]
        env:
          SMTP_PASSWORD: "{{{{ new_secret }}}}"
      diff: true
    - name: A write that fails and is rolled back (app-4's bulk write answers 500)
      coolops.coolify.coolify_env:
        names: [app-3, app-4]
        env:
          API_KEY: "{{{{ new_secret }}}}"
        rollback: true
        max_workers: 1
      ignore_errors: true
    - name: A bad value type (the error names the key, never the value)
      coolops.coolify.coolify_env:
        names: [app-1]
        env:
          NUMBER: 12345
          API_KEY: "{{{{ new_secret }}}}"
      ignore_errors: true
    - name: A wrong token
      coolops.coolify.coolify_app_batch:
        api_token: "{{{{ coolify_token }}}}x"
        names: [app-1]
        state: restarted
      ignore_errors: true
"""


def ansible_env(tmp_path):
    """Environment for the Ansible subprocess: its own HOME, temp dirs and log file, all under `out`."""
    out = tmp_path / "out"
    for name in ("home", "local-tmp", "remote-tmp", "cache"):
        (out / name).mkdir(parents=True)
    env = dict(os.environ)
    env.update({
        "HOME": str(out / "home"),
        "ANSIBLE_LOCAL_TEMP": str(out / "local-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(out / "remote-tmp"),
        "ANSIBLE_LOG_PATH": str(out / "ansible.log"),
        "ANSIBLE_PYTHON_INTERPRETER": venv_python(),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "1",
        "ANSIBLE_RETRY_FILES_SAVE_PATH": str(out / "retry"),
        "ANSIBLE_KEEP_REMOTE_FILES": "0",
    })
    env.pop("ANSIBLE_DEBUG", None)
    return env, out


def ansible_bin(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def grep_everything(out, *texts, markers=(MARK,)):
    """Every place one of the markers shows up in the given texts and in every file under `out`."""
    hits = []
    for marker in markers:
        for index, text in enumerate(texts):
            position = text.find(marker)
            if position >= 0:
                hits.append("output %d: ...%s..." % (index, text[max(0, position - 100):position + 60]))
        for folder, _dirs, files in os.walk(str(out)):
            for name in files:
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    data = handle.read()
                if marker.encode() in data:
                    hits.append(path)
    return hits


def test_every_module_at_vvvv_leaks_nothing(emu, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    vars_file = inputs / "secrets.json"
    vars_file.write_text(json.dumps({"coolify_url": emu.api_url, "coolify_token": ROOT_TOKEN, "new_secret": NEW_SECRET}))
    playbook = inputs / "playbook.yml"
    playbook.write_text(PLAYBOOK.format(vars_file=str(vars_file)))
    app_4 = uuids_of(emu.state(), "applications", ["app-4"])[0]
    emu.configure(fail_paths=["PATCH /api/v1/applications/%s/envs/bulk$" % app_4])
    env, out = ansible_env(tmp_path)
    proc = subprocess.run([ansible_bin("ansible-playbook"), "-vvvv", "-i", "localhost,", "--diff", str(playbook)],
                          capture_output=True, text=True, env=env, cwd=str(out), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # The playbook really did what it says (so the grep covers real results, not early failures).
    recap = proc.stdout[proc.stdout.rfind("PLAY RECAP"):]
    assert "failed=0" in recap and "ignored=3" in recap, recap
    log = api_log(emu)
    assert count(log, "POST", r"/applications/[^/]+/restart$", status=200) >= 4
    assert count(log, "POST", r"/services/%s/restart$" % uuids_of(emu.state(), "services", SERVICE_NAMES[:1])[0]) == 1
    assert count(log, "PATCH", r"/envs/bulk$", status=201) >= 3
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in proc.stdout or "********" in proc.stdout
    assert os.path.getsize(str(out / "ansible.log")) > 0
    hits = grep_everything(out, proc.stdout, proc.stderr)
    assert not hits, "secret marker found in: %s" % "; ".join(hits)


INVENTORY = """---
plugin: coolops.coolify.coolify
api_url: {url}
api_token: {token}
hosts: [servers, applications, services]
lookup_tags: [rel, twins]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: {cache}
cache_timeout: 600
max_retries: 1
"""


@pytest.mark.parametrize("token_kind", ["valid", "wrong"])
def test_inventory_plugin_at_vvvv_leaks_nothing(emu, tmp_path, token_kind):
    env, out = ansible_env(tmp_path)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    token = ROOT_TOKEN if token_kind == "valid" else ROOT_TOKEN + "x"
    inventory = inputs / "fleet.coolify.yml"
    inventory.write_text(INVENTORY.format(url=emu.api_url, token=json.dumps(token), cache=str(out / "cache")))
    proc = subprocess.run([ansible_bin("ansible-inventory"), "-vvvv", "-i", str(inventory), "--list"],
                          capture_output=True, text=True, env=env, cwd=str(out), timeout=120, check=False)
    if token_kind == "valid":
        assert proc.returncode == 0, proc.stderr[-3000:]
        hosts = json.loads(proc.stdout[proc.stdout.find("{"):])["_meta"]["hostvars"]
        assert any(name.startswith("app-") for name in hosts), sorted(hosts)
        assert os.listdir(str(out / "cache")), "the inventory cache was not written, so it was not checked"
    else:
        assert "401" in proc.stdout + proc.stderr
    hits = grep_everything(out, proc.stdout, proc.stderr)
    assert not hits, "secret marker found in: %s" % "; ".join(hits)


def test_rotate_keys_playbook_lists_the_keys_a_failed_rollback_left_changed(emu, proxy, tmp_path):
    """playbooks/rotate-keys.yml at -vvvv: app-2's write fails, then app-1's restore cannot read its rows (for ever).
    The report names app-1's API_KEY rows (production and preview) as not restored; no value appears anywhere."""
    app1, app2 = uuids_of(emu.state(), "applications", ["app-1", "app-2"])

    def break_app1_reads(method, path):  # pylint: disable=unused-argument
        proxy.add_rule("bad_json", r"^/api/v1/applications/%s/envs$" % app1, method="GET")

    proxy.add_rule("hook", r"^/api/v1/applications/%s/envs/bulk$" % app2, method="PATCH", times=1, hook=break_app1_reads)
    emu.configure(fail_paths=["PATCH /api/v1/applications/%s/envs/bulk$" % app2])
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    extra = inputs / "rotation.json"
    extra.write_text(json.dumps({"rotate_names": ["app-1", "app-2"], "rotate_env": {"API_KEY": NEW_SECRET},
                                 "coolify_api_url": proxy.api_url, "coolify_api_token": ROOT_TOKEN}))
    env, out = ansible_env(tmp_path)
    playbook = os.path.join(ROOT, "playbooks", "rotate-keys.yml")
    proc = subprocess.run([ansible_bin("ansible-playbook"), "-vvvv", "-i", "localhost,", "-e", "@%s" % extra, playbook],
                          capture_output=True, text=True, env=env, cwd=str(out), timeout=300, check=False)
    assert proc.returncode != 0, proc.stdout[-3000:]
    # rotate_scope defaults to both, so app-1's preview row was written too and is listed with the production one.
    assert "app-1 (%s): unknown, NOT RESTORED (fix by hand): API_KEY@preview, API_KEY" % app1 in proc.stdout, \
        proc.stdout[-4000:]
    assert "not restored: app-1 (%s): API_KEY@preview, API_KEY." % app1 in proc.stdout
    hits = grep_everything(out, proc.stdout, proc.stderr)
    assert not hits, "secret marker found in: %s" % "; ".join(hits)


SHORT_VALUES_PLAYBOOK = """---
- name: Short everyday values next to a marker value, at -vvvv with the invocation echo on
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {vars_file}
  tasks:
    - name: Write values that occur inside uuids, names, counts and messages
      coolops.coolify.coolify_env:
        api_url: "{{{{ coolify_url }}}}"
        api_token: "{{{{ coolify_token }}}}"
        names: [app-1, app-2]
        env:
          WORKERS: "2"
          DEBUG: "true"
          LETTER: "a"
          ONE: "1"
          API_KEY: "{{{{ new_secret }}}}"
      diff: true
      register: rotation
    - name: Every returned field is intact
      ansible.builtin.assert:
        that:
          - rotation.resources | map(attribute='uuid') | list == expected_uuids
          - rotation.resources | map(attribute='name') | list == ['app-1', 'app-2']
          - rotation.resources[0].added == ['DEBUG', 'LETTER', 'ONE', 'WORKERS']
          - rotation.summary.total == 2
          - rotation.summary.changed == 2
          - rotation.summary.keys_added == 8
          - "rotation.msg == 'Changed 2 of 2 applications: 8 variable(s) added, 2 updated, 0 removed.'"
"""


def test_short_values_leave_results_intact_and_no_value_appears_at_vvvv(emu, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    vars_file = inputs / "secrets.json"
    vars_file.write_text(json.dumps({"coolify_url": emu.api_url, "coolify_token": ROOT_TOKEN, "new_secret": NEW_SECRET,
                                     "expected_uuids": uuids_of(emu.state(), "applications", ["app-1", "app-2"])}))
    playbook = inputs / "playbook.yml"
    playbook.write_text(SHORT_VALUES_PLAYBOOK.format(vars_file=str(vars_file)))
    env, out = ansible_env(tmp_path)
    env["ANSIBLE_INJECT_INVOCATION"] = "1"
    proc = subprocess.run([ansible_bin("ansible-playbook"), "-vvvv", "-i", "localhost,", "--diff", str(playbook)],
                          capture_output=True, text=True, env=env, cwd=str(out), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    # The invocation echo is shown, with the keys of env only.
    assert '"WORKERS": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in proc.stdout, proc.stdout[-4000:]
    hits = grep_everything(out, proc.stdout, proc.stderr)
    assert not hits, "secret marker found in: %s" % "; ".join(hits)
