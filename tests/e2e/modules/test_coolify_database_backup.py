# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_database_backup end to end: the real main() over loopback HTTP against the emulator (files/databases.yml).

What the module reports is compared with the emulator's executions, never with itself.
"""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_database_backup
from ansible_collections.coolops.coolify.tests.e2e.modules.db_helpers import (  # pylint: disable=unused-import
    DB_SECRET,
    READ_DEPLOY,
    TOKEN_MARK,
    by_name,
    db_args,
    dbemu,
    writes,
)

PRODUCTION = {"project": "shop", "environment": "production"}


def executions(emu, backup_uuid):
    state = emu.state()
    config_id = [b["id"] for b in state["backups"] if b["uuid"] == backup_uuid][0]
    return [e for e in state["backup_executions"] if e["scheduled_database_backup_id"] == config_id]


def patches(emu):
    return [r for r in writes(emu) if r["method"] == "PATCH"]


def assert_no_secret(result):
    text = json.dumps(result)
    assert DB_SECRET not in text and TOKEN_MARK not in text


def test_check_mode_says_what_would_be_backed_up(dbemu, run_module):
    result = run_module(coolify_database_backup, db_args(dbemu, **PRODUCTION), check_mode=True)
    items = by_name(result)
    assert result["changed"] is True and not result.get("failed")
    assert items["shop-pg"]["reason"] == "would back up with backup configuration bk-shop-pg (0 3 * * *)"
    assert items["shop-redis"]["reason"] == "skipped: no backup configured" and items["shop-redis"]["skipped"]
    assert result["msg"] == "would back up 2 of 3 databases (1 skipped: no backup configured)"
    assert writes(dbemu) == []


def test_backs_up_and_reports_the_execution_this_request_started(dbemu, run_module):
    result = run_module(coolify_database_backup, db_args(dbemu, **PRODUCTION))
    assert not result.get("failed"), result["msg"]
    assert result["msg"] == "backed up 2 of 3 databases (1 skipped: no backup configured)"
    assert result["summary"] == {"total": 3, "backed_up": 2, "skipped": 1, "failed": 0, "ok": 3}
    assert sorted(r["path"] for r in writes(dbemu)) == ["/api/v1/databases/db-shop-mysql/backups/bk-shop-mysql",
                                                        "/api/v1/databases/db-shop-pg/backups/bk-shop-pg"]
    assert all(r["method"] == "PATCH" and r.get("body") == {"backup_now": True} for r in writes(dbemu))
    items = by_name(result)
    pg = items["shop-pg"]
    real = executions(dbemu, "bk-shop-pg")
    assert len(real) == 1 and pg["execution_uuid"] == real[0]["uuid"] and pg["status"] == "success"
    assert pg["size"] == real[0]["size"] > 0 and pg["filename"] == real[0]["filename"]
    assert 0 <= pg["duration_seconds"] <= 2 and pg["backup_uuid"] == "bk-shop-pg"  # Coolify stamps whole seconds
    mysql = items["shop-mysql"]  # databases_to_backup "shop,audit": one execution per database name
    assert [e["database_name"] for e in mysql["executions"]] == ["shop", "audit"]
    assert mysql["size"] == sum(e["size"] for e in executions(dbemu, "bk-shop-mysql"))
    assert_no_secret(result)

    # A second run reports its own new execution, never the first one.
    again = run_module(coolify_database_backup, db_args(dbemu, names=["shop-pg"]))
    assert not again.get("failed") and again["databases"][0]["execution_uuid"] not in (pg["execution_uuid"],)
    assert len(executions(dbemu, "bk-shop-pg")) == 2


def test_require_backup_refuses_before_any_backup(dbemu, run_module):
    result = run_module(coolify_database_backup, db_args(dbemu, require_backup=True, **PRODUCTION))
    assert result["failed"] is True
    assert "Database shop-redis has no backup configured, and require_backup is true." in result["msg"]
    assert by_name(result)["shop-pg"]["reason"].startswith("not attempted (require_backup")
    assert writes(dbemu) == []


def test_failed_backup_fails_naming_the_database(dbemu, run_module):
    dbemu.configure(backup_outcomes={"bk-shop-pg": "failed"})
    result = run_module(coolify_database_backup, db_args(dbemu, names=["shop-pg", "shop-mysql"]))
    items = by_name(result)
    assert result["failed"] is True and items["shop-mysql"]["status"] == "success"
    real = executions(dbemu, "bk-shop-pg")[0]
    assert items["shop-pg"]["status"] == "failed" and items["shop-pg"]["execution_uuid"] == real["uuid"]
    assert items["shop-pg"]["error"].startswith("The backup of database shop-pg failed (execution %s" % real["uuid"])
    assert "1 failed: The backup of database shop-pg failed" in result["msg"]
    assert_no_secret(result)


def test_backup_that_never_finishes_times_out(dbemu, run_module):
    dbemu.configure(backup_seconds=30)
    result = run_module(coolify_database_backup, db_args(dbemu, names=["shop-pg"], wait_timeout=1.5))
    item = result["databases"][0]
    assert result["failed"] is True and item["status"] == "running"
    assert item["error"] == "The backup of database shop-pg did not finish within 1.5s (execution %s is still running)." % (
        executions(dbemu, "bk-shop-pg")[0]["uuid"])
    assert len(patches(dbemu)) == 1


def test_running_backup_is_not_doubled(dbemu, run_module):
    dbemu.configure(backup_seconds=30)
    assert dbemu.request("PATCH", "/databases/db-shop-pg/backups/bk-shop-pg", json_body={"backup_now": True})[0] == 200
    time.sleep(0.5)  # the queued job starts its execution
    result = run_module(coolify_database_backup, db_args(dbemu, names=["shop-pg"]))
    assert result["failed"] is True and "A backup of database shop-pg is already running" in result["msg"]
    assert len(patches(dbemu)) == 1  # only the one sent beside the module


def test_stopped_database_fails_without_a_request(dbemu, run_module):
    result = run_module(coolify_database_backup, db_args(dbemu, names=["shop-mongo"]))
    assert result["failed"] is True
    assert result["databases"][0]["error"] == ("Database shop-mongo is not running (exited:unhealthy), and Coolify skips "
                                               "the backup of a database that is not running.")
    assert writes(dbemu) == []


def test_unknown_and_foreign_databases_fail_before_any_backup(dbemu, run_module):
    result = run_module(coolify_database_backup, db_args(dbemu, uuids=["db-shop-pg", "db-ghost", "db-acme"]))
    assert result["failed"] is True and result["msg"] == "Cannot select databases: unknown uuids: db-ghost, db-acme."
    assert writes(dbemu) == []


def test_max_resources_refuses_a_larger_selection_before_any_backup(dbemu, run_module):
    for check_mode in (True, False):
        result = run_module(coolify_database_backup, db_args(dbemu, max_resources=2, **PRODUCTION), check_mode=check_mode)
        assert result["failed"] is True and not result.get("changed")
        assert result["msg"] == ("The selectors match 3 databases, more than max_resources=2; narrow the selection or "
                                 "raise max_resources.")
    assert writes(dbemu) == []
    result = run_module(coolify_database_backup, db_args(dbemu, max_resources=3, **PRODUCTION), check_mode=True)
    assert not result.get("failed"), result["msg"]
    result = run_module(coolify_database_backup, db_args(dbemu, max_resources=0, **PRODUCTION))
    assert result["failed"] is True and "max_resources must be at least 1" in result["msg"]
    assert writes(dbemu) == []


def test_token_without_write(dbemu, run_module):
    result = run_module(coolify_database_backup, db_args(dbemu, token=READ_DEPLOY, names=["shop-pg"]))
    item = result["databases"][0]
    assert result["failed"] is True and item["changed"] is False
    assert item["error"].startswith("Could not back up database shop-pg: ") and "403" in item["error"]
    assert executions(dbemu, "bk-shop-pg") == []
    assert_no_secret(result)


def test_max_fail_percentage_over_100_fails_in_one_sentence_before_any_call(dbemu, run_module):
    result = run_module(coolify_database_backup, db_args(dbemu, names=["shop-pg"], max_fail_percentage=101))
    assert result["failed"] is True and not result.get("changed")
    assert result["msg"] == "Invalid options: max_fail_percentage must be between 0 and 100."
    assert dbemu.requests_log() == []


@pytest.mark.parametrize("extra, needle", [
    ({"max_workers": 0}, "max_workers must be at least 1"),
    ({"wait_timeout": 0}, "wait_timeout must be greater than 0"),
    ({"poll_interval": -1.0}, "poll_interval must be greater than 0"),
])
def test_numbers_below_their_minimum_fail_before_any_call(dbemu, run_module, extra, needle):
    # Review of cover (dfd1703): _backup.validate no longer checks these; check_numbers must still refuse them first.
    result = run_module(coolify_database_backup, db_args(dbemu, names=["shop-pg"], **extra))
    assert result["failed"] is True and not result.get("changed")
    assert needle in result["msg"] and result["msg"].startswith("Invalid options: ")
    assert dbemu.requests_log() == []
