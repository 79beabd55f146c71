# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_database_backup outcomes are claimed only when observed: a failed S3 upload under save_s3, and every
execution of a MongoDB run of several databases."""

from __future__ import annotations

import datetime


def _now(offset=0.0):
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)).isoformat()


class _FakeClient(object):
    """GET /databases/{uuid}/backups and the backup_now PATCH, with the job's effect decided by the test."""

    def __init__(self, config, on_backup):
        self.config = config
        self.on_backup = on_backup
        self.sent = 0

    def database_backups(self, uuid):
        return [self.config]

    def backup_now(self, uuid, backup_uuid):
        self.sent += 1
        self.on_backup(self.config)
        return {"message": "Database backup configuration updated"}


def _database(config):
    return {"uuid": "db1", "name": "pg", "database_type": "standalone-postgresql", "status": "running:healthy",
            "backup_configs": [config]}


def _config():
    return {"uuid": "cfg1", "enabled": True, "save_s3": True, "s3_storage_id": 1, "frequency": "daily",
            "databases_to_backup": "app", "dump_all": False,
            "database_type": "App\\Models\\StandalonePostgresql", "executions": []}


def _params():
    return {"require_backup": False, "max_workers": 1, "wait_timeout": 2.0, "poll_interval": 0.01,
            "max_fail_percentage": None}


def test_a_backup_whose_s3_upload_failed_is_not_reported_backed_up():
    from ansible_collections.coolops.coolify.plugins.module_utils._backup import run_backups

    def job(config):  # API-NOTES 15.6: an S3 error does not fail the execution, it appends a warning
        config["executions"].insert(0, {
            "uuid": "ex-new", "status": "success", "size": 1024, "filename": "/data/backups/pg-app.dmp",
            "database_name": "app", "s3_uploaded": False, "created_at": _now(), "finished_at": _now(0.5),
            "message": "Warning: S3 upload failed: AccessDenied"})

    config = _config()
    client = _FakeClient(config, job)
    result = run_backups(client, [_database(config)], _params(), sleep=lambda s: None)
    item = result["databases"][0]
    # save_s3 is on and the upload failed: the off-site copy the user asked for does not exist.
    assert not (item["status"] == "success" and not item["failed"] and result["summary"]["backed_up"] == 1), (
        result["msg"], item)


def test_a_mongodb_backup_of_two_databases_is_not_reported_done_after_the_first():
    from ansible_collections.coolops.coolify.plugins.module_utils._backup import run_backups

    config = _config()
    config.update(database_type="App\\Models\\StandaloneMongodb", databases_to_backup="app|logs", save_s3=False)
    database = _database(config)
    database["database_type"] = "standalone-mongodb"
    reads = {"n": 0}

    class Client(_FakeClient):
        def database_backups(self, uuid):
            # DatabaseBackupJob splits MongoDB's databases_to_backup on "|": one execution per database, created in
            # turn; finished_at only on the last one (API-NOTES 15.6).
            if self.sent:
                reads["n"] += 1
                if reads["n"] == 2:
                    config["executions"].insert(0, {"uuid": "ex-app", "status": "success", "size": 10,
                                                    "database_name": "app", "created_at": _now(), "finished_at": None})
                if reads["n"] == 4:
                    config["executions"].insert(0, {"uuid": "ex-logs", "status": "failed", "size": 0,
                                                    "database_name": "logs", "created_at": _now(),
                                                    "finished_at": _now(), "message": "dump failed"})
            return [config]

    client = Client(config, lambda cfg: None)
    result = run_backups(client, [database], _params(), sleep=lambda s: None)
    item = result["databases"][0]
    # The run was not over when it was reported: the second database's dump then failed.
    assert not (item["status"] == "success" and not item["failed"]), (result["msg"], item)
