# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults and secrets for the database modules (coolify_database_batch, coolify_database_backup, coolify_tag, and
coolify_info / coolify_env on databases), against an emulator seeded from tests/e2e/modules/files/databases.yml.

* Lost answers: a backup_now or a stop whose answer never arrives is never sent again; what happened is read back.
* The API going away mid-run: every database gets a one-sentence error naming it.
* Secrets at -vvvv: the root token (which may read sensitive fields) makes the emulator return every database
  password and connection URL, all carrying ``coolops-dbsecret``; neither that nor the token's marker may appear in
  any output or file of an ansible-playbook run.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_database_backup, coolify_database_batch

# pylint: disable=import-error
from _proxy import FaultProxy
from _support import MARK, NEW_SECRET, ROOT, assert_one_sentence, count, api_log, load_harness
from test_secrets import ansible_bin, ansible_env, grep_everything

DB_SECRET = "coolops-dbsecret"
TOKEN = "1|%sdbroot" % MARK
FIXTURE = os.path.join(ROOT, "tests", "e2e", "modules", "files", "databases.yml")
FLAGS = ("--fixture", FIXTURE, "--job-delay-seconds", "0.1", "--status-lag-seconds", "0.1", "--backup-seconds", "0.3",
         "--random-seed", "4")
FAST = {"max_retries": 1, "timeout": 5, "poll_interval": 0.1, "wait_timeout": 15}
BACKUP_PATH = r"^/api/v1/databases/db-shop-pg/backups/bk-shop-pg$"
STOP_PATH = r"^/api/v1/databases/db-shop-pg/stop$"


@pytest.fixture
def dbemu():
    with load_harness().EmulatorProcess(args=FLAGS, token=TOKEN) as emu:
        yield emu


@pytest.fixture
def dbproxy(dbemu):
    with FaultProxy(dbemu.base_url) as fault_proxy:
        yield fault_proxy


def args(url, **extra):
    result = {"api_url": url, "api_token": TOKEN}
    result.update(FAST)
    result.update(extra)
    return result


def assert_clean(result):
    text = json.dumps(result, default=str)
    assert MARK not in text and DB_SECRET not in text, text


def executions(emu, backup_uuid):
    state = emu.state()
    config_id = [b["id"] for b in state["backups"] if b["uuid"] == backup_uuid][0]
    return [e for e in state["backup_executions"] if e["scheduled_database_backup_id"] == config_id]


def test_lost_backup_answer_is_verified_not_resent(dbemu, dbproxy, run_module):
    dbproxy.add_rule("reset_after", BACKUP_PATH, method="PATCH")
    result = run_module(coolify_database_backup, args(dbproxy.api_url, names=["shop-pg"]))
    assert not result["failed"], result["msg"]
    real = executions(dbemu, "bk-shop-pg")
    assert len(real) == 1 and result["databases"][0]["execution_uuid"] == real[0]["uuid"]
    assert result["databases"][0]["status"] == real[0]["status"] == "success"
    assert len(dbproxy.attempts("PATCH", BACKUP_PATH)) == 1
    assert count(api_log(dbemu), "PATCH", BACKUP_PATH) == 1
    assert_clean(result)


def test_backup_skipped_by_coolify_fails_naming_the_database(dbemu, dbproxy, run_module):
    # The database stops between the plan and the backup job: Coolify accepts backup_now, then silently skips the run
    # (no execution at all). Waiting never invents a result, and nothing is sent again.
    def stop_it(method, path):  # pylint: disable=unused-argument
        assert dbemu.request("POST", "/databases/db-shop-pg/stop")[0] == 200
        time.sleep(0.4)
    dbproxy.add_rule("hook", BACKUP_PATH, method="PATCH", hook=stop_it)
    result = run_module(coolify_database_backup, args(dbproxy.api_url, names=["shop-pg"], wait_timeout=2))
    item = result["databases"][0]
    assert result["failed"] and item["error"].startswith(
        "Coolify accepted the backup of database shop-pg, but no backup execution appeared within 2s")
    assert count(api_log(dbemu), "PATCH", BACKUP_PATH) == 1 and executions(dbemu, "bk-shop-pg") == []
    assert_one_sentence(result["msg"])


def test_lost_stop_answer_is_not_resent(dbemu, dbproxy, run_module):
    dbproxy.add_rule("reset_after", STOP_PATH, method="POST")
    result = run_module(coolify_database_batch, args(dbproxy.api_url, names=["shop-pg", "shop-mysql"], state="stopped"))
    items = {i["name"]: i for i in result["databases"]}
    # Never resent; done only once the stop it caused is observed (the watcher verifies), else an unknown outcome.
    pg = items["shop-pg"]
    if pg["failed"]:
        assert result["failed"] and "unknown" in pg["error"].lower(), pg
    else:
        assert pg["changed"] and "The answer was lost; a change caused by the request was seen." in pg["reason"], pg
    assert pg["status_after"] == "exited:unhealthy"  # read back: the stop did happen
    assert not items["shop-mysql"]["failed"]
    assert count(api_log(dbemu), "POST", STOP_PATH) == 1
    assert_clean(result)


def test_api_gone_mid_run_names_every_database(dbemu, dbproxy, run_module):
    dbproxy.add_rule("answer", r"^/api/v1/databases/[^/]+/stop$", method="POST", status=502, body=b"<html>bad gateway</html>",
                     content_type="text/html")
    # Both stops' outcomes stay unknown (nothing reached Coolify): each is watched until wait_timeout, kept short here.
    result = run_module(coolify_database_batch, args(dbproxy.api_url, names=["shop-pg", "shop-mysql"], state="stopped",
                                                     wait_timeout=3))
    assert result["failed"] and result["summary"]["failed"] == 2
    for item in result["databases"]:
        assert item["error"] and item["status_after"] == "running:healthy"
    assert "shop-pg" in result["msg"] and "shop-mysql" in result["msg"]
    assert_one_sentence(result["msg"])


PLAYBOOK = """---
- name: The database modules at -vvvv, with a token that may read every password
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
    - name: Read the databases and their backups
      coolops.coolify.coolify_info:
        gather: [databases, servers]
    - name: Back them up
      coolops.coolify.coolify_database_backup:
        project: shop
        environment: production
        poll_interval: 0.1
    - name: Restart two, with a diff
      coolops.coolify.coolify_database_batch:
        names: [shop-pg, shop-redis]
        state: restarted
        poll_interval: 0.1
      diff: true
    - name: Write a database variable
      coolops.coolify.coolify_env:
        resource_type: database
        names: [shop-pg]
        env:
          PG_EXTRA_SECRET: "{{{{ new_secret }}}}"
      diff: true
    - name: Prune a Redis database's variables (its REDIS_PASSWORD and REDIS_USERNAME stay)
      coolops.coolify.coolify_env:
        resource_type: database
        names: [shop-redis]
        env:
          REDIS_EXTRA: "{{{{ new_secret }}}}"
        prune: true
      diff: true
    - name: A database credential key (refused, the error names the key, never the value)
      coolops.coolify.coolify_env:
        resource_type: database
        names: [shop-redis]
        env:
          REDIS_PASSWORD: "{{{{ new_secret }}}}"
      ignore_errors: true
    - name: Tag them
      coolops.coolify.coolify_tag:
        resource_type: database
        uuids: [db-shop-pg, db-shop-redis]
        tag: coolops-nightly-stopped
    - name: A database of another team (fails, naming it)
      coolops.coolify.coolify_database_batch:
        uuids: [db-acme]
        state: stopped
      ignore_errors: true
"""


def test_database_modules_at_vvvv_leak_nothing(dbemu, tmp_path):
    status, _headers, body = dbemu.request("GET", "/databases")
    assert status == 200 and DB_SECRET in json.dumps(body), "the token must see the passwords, or the grep proves nothing"
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    vars_file = inputs / "secrets.json"
    vars_file.write_text(json.dumps({"coolify_url": dbemu.api_url, "coolify_token": TOKEN, "new_secret": NEW_SECRET}))
    playbook = inputs / "playbook.yml"
    playbook.write_text(PLAYBOOK.format(vars_file=str(vars_file)))
    env, out = ansible_env(tmp_path)
    proc = subprocess.run([ansible_bin("ansible-playbook"), "-vvvv", "-i", "localhost,", "--diff", str(playbook)],
                          capture_output=True, text=True, env=env, cwd=str(out), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    recap = proc.stdout[proc.stdout.rfind("PLAY RECAP"):]
    assert "failed=0" in recap and "ignored=2" in recap, recap
    keys = sorted(e["key"] for e in dbemu.state()["envs"] if e["resource_uuid"] == "db-shop-redis")
    assert keys == ["REDIS_EXTRA", "REDIS_PASSWORD", "REDIS_USERNAME"], keys
    log = api_log(dbemu)
    assert count(log, "PATCH", BACKUP_PATH, status=200) == 1
    assert count(log, "POST", r"^/api/v1/databases/db-shop-(pg|redis)/restart$", status=200) == 2
    hits = grep_everything(out, proc.stdout, proc.stderr, markers=(MARK, DB_SECRET))
    assert not hits, "secret marker found in: %s" % "; ".join(hits)
