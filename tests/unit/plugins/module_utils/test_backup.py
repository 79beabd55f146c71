# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure parts of coolify_database_backup: which configuration, which execution is ours, and the worker's rules with a
fake client and an injected clock (the HTTP paths are covered against the emulator in the module tests)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _backup as bk
from ansible_collections.coolops.coolify.plugins.module_utils._errors import OutcomeUnknownError, PermissionDeniedError

PG = "App\\Models\\StandalonePostgresql"
T0 = 1_800_000_000.0


def stamp(offset):
    return datetime.datetime.fromtimestamp(T0 + offset, tz=datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def database(**extra):
    row = {"uuid": "db1", "name": "shop-pg", "database_type": "standalone-postgresql", "status": "running:healthy",
           "backup_configs": [{"uuid": "cfg1", "database_type": PG, "enabled": True, "frequency": "daily"}]}
    row.update(extra)
    return row


def test_own_configs_drop_another_types_config_with_the_same_id():
    configs = [{"uuid": "a", "database_type": PG}, {"uuid": "b", "database_type": "App\\Models\\StandaloneMysql"}]
    assert [c["uuid"] for c in bk.own_configs({"database_type": "standalone-postgresql"}, configs)] == ["a"]
    # KeyDB items carry no database_type, and KeyDB has no backups: another type's config is never taken for its own.
    assert bk.own_configs({"database_type": None}, configs) == []


def test_pick_config_prefers_the_newest_enabled_one():
    assert bk.pick_config([{"uuid": "new", "enabled": False}, {"uuid": "old", "enabled": True}])["uuid"] == "old"
    assert bk.pick_config([{"uuid": "only", "enabled": False}])["uuid"] == "only"
    assert bk.pick_config([]) is None


def test_new_executions_ignore_known_and_older_ones():
    config = {"executions": [{"uuid": "mine", "created_at": stamp(1)}, {"uuid": "known", "created_at": stamp(2)},
                             {"uuid": "before", "created_at": stamp(-60)}]}
    assert [e["uuid"] for e in bk.new_executions(config, {"known"}, T0)] == ["mine"]


def test_plan_items():
    assert bk.new_item(database(backup_configs=[]), False, False)["reason"] == bk.SKIPPED_NO_CONFIG
    required = bk.new_item(database(backup_configs=[]), True, False)
    assert required["failed"] and "shop-pg" in required["error"] and "require_backup" in required["error"]
    stopped = bk.new_item(database(status="exited:unhealthy"), False, False)
    assert stopped["failed"] and "not running" in stopped["error"]
    check = bk.new_item(database(), False, True)
    assert check["changed"] and check["reason"].startswith("would back up with backup configuration cfg1")


class FakeClient(object):
    """GET backups answers from ``pages`` (one per read, the last repeats); backup_now is recorded or raises."""

    def __init__(self, pages, send_error=None):
        self.pages = list(pages)
        self.send_error = send_error
        self.sent = []

    def database_backups(self, uuid):
        page = self.pages.pop(0) if len(self.pages) > 1 else self.pages[0]
        return [dict({"uuid": "cfg1", "database_type": PG}, executions=page)]

    def backup_now(self, uuid, backup_uuid):
        self.sent.append((uuid, backup_uuid))
        if self.send_error is not None:
            raise self.send_error
        return {"message": "Database backup configuration updated"}


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def run(client, wait_timeout=30):
    clock = Clock()
    params = {"require_backup": False, "max_workers": 1, "wait_timeout": wait_timeout, "poll_interval": 1.0}
    return bk.run_backups(client, [database()], params, clock=clock, sleep=clock.sleep, wall=lambda: T0)


OLD = {"uuid": "old", "status": "success", "created_at": stamp(-3600), "finished_at": stamp(-3590)}


def test_success_reports_the_new_execution_only():
    done = {"uuid": "new", "status": "success", "size": 42, "filename": "/b/x.dmp", "created_at": stamp(1),
            "finished_at": stamp(3), "message": "ok"}
    client = FakeClient([[OLD], [OLD], [dict(done, status="running", finished_at=None), OLD], [done, OLD]])
    result = run(client)
    item = result["databases"][0]
    assert not result["failed"] and client.sent == [("db1", "cfg1")]
    assert (item["execution_uuid"], item["status"], item["size"], item["filename"], item["duration_seconds"]) == (
        "new", "success", 42, "/b/x.dmp", 2.0)
    assert "message" not in item["executions"][0]


def test_lost_answer_is_verified_never_resent():
    done = {"uuid": "new", "status": "success", "size": 1, "created_at": stamp(1), "finished_at": stamp(2)}
    client = FakeClient([[OLD], [done, OLD]], send_error=OutcomeUnknownError("lost"))
    result = run(client)
    assert not result["failed"] and result["databases"][0]["execution_uuid"] == "new"
    assert len(client.sent) == 1

    nothing = FakeClient([[OLD]], send_error=OutcomeUnknownError("lost"))
    result = run(nothing, wait_timeout=10)
    item = result["databases"][0]
    assert result["failed"] and len(nothing.sent) == 1
    assert "shop-pg" in item["error"] and "outcome is unknown" in item["error"] and "not sent again" in item["error"]


def test_running_backup_is_not_doubled():
    busy = {"uuid": "busy", "status": "running", "created_at": stamp(-5)}
    client = FakeClient([[busy]])
    result = run(client)
    assert result["failed"] and client.sent == [] and "already running" in result["databases"][0]["error"]
    assert result["databases"][0]["changed"] is False


def test_failed_and_never_finishing_backups_fail_naming_the_database():
    failed = {"uuid": "f", "status": "failed", "created_at": stamp(1), "finished_at": stamp(2), "message": "pg_dump: boom"}
    result = run(FakeClient([[], [failed]]))
    assert result["failed"] and result["databases"][0]["error"].startswith("The backup of database shop-pg failed")
    stuck = {"uuid": "s", "status": "running", "created_at": stamp(1)}
    result = run(FakeClient([[], [stuck]]), wait_timeout=10)
    error = result["databases"][0]["error"]
    assert result["failed"] and "shop-pg did not finish within 10s" in error and result["databases"][0]["status"] == "running"


def test_permission_denied_names_the_database():
    client = FakeClient([[]], send_error=PermissionDeniedError("Coolify API PATCH ... returned HTTP 403: Forbidden."))
    result = run(client)
    assert result["failed"] and result["databases"][0]["error"].startswith("Could not back up database shop-pg:")
    assert result["databases"][0]["changed"] is False


@pytest.mark.parametrize("config, expected", [
    ({"databases_to_backup": "a,b,c"}, 3), ({"dump_all": True, "databases_to_backup": "a,b"}, 1), ({}, 1)])
def test_expected_executions(config, expected):
    assert bk.expected_executions({"database_type": "standalone-postgresql"}, config) == expected


@pytest.mark.parametrize("config, expected", [
    ({"databases_to_backup": "a|b"}, 2), ({"databases_to_backup": "a:c1,c2|b"}, 2), ({"databases_to_backup": "a:c1,c2"}, 1),
    ({}, 1), ({"dump_all": True, "databases_to_backup": "a|b"}, 1)])
def test_expected_executions_of_mongodb_split_on_the_bar(config, expected):
    assert bk.expected_executions({"database_type": "standalone-mongodb"}, config) == expected


def test_s3_failures_count_only_under_save_s3():
    ok = {"status": "success", "s3_uploaded": True}
    warned = {"status": "success", "s3_uploaded": False, "message": "Warning: S3 upload failed: AccessDenied"}
    failed = {"status": "failed", "s3_uploaded": None}
    assert bk.s3_failures({"save_s3": True}, [ok, warned, failed]) == [warned]
    assert bk.s3_failures({"save_s3": False}, [warned]) == []


def test_msg_quotes_five_failures_and_counts_the_rest():
    items = [{"changed": False, "reason": None, "skipped": False, "failed": True,
              "error": "The backup of database db%d failed." % number} for number in range(7)]
    text = bk.build_msg(items, {"total": 7, "backed_up": 0}, check_mode=False)
    assert text.startswith("backed up 0 of 7 databases; 7 failed: The backup of database db0 failed.")
    assert "db4 failed." in text and "db5" not in text and text.endswith(" And 2 more.")
