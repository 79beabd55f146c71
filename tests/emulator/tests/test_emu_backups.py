# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scheduled database backups: validation in Coolify's order, queued runs, executions, deletes (API-NOTES §15)."""

from __future__ import annotations

import json
import re
import time

import pytest

BASE = "/databases/db-shop/backups"


def configs(api, uuid="db-shop"):
    return api.get("/databases/%s/backups" % uuid).json()


def executions(api, config="bkp-shop-nightly", uuid="db-shop"):
    return next(cfg for cfg in configs(api, uuid) if cfg["uuid"] == config)["executions"]


def test_list_and_the_database_id_quirk(api):
    rows = configs(api)
    assert [row["uuid"] for row in rows] == ["bkp-shop-nightly"]
    row = rows[0]
    assert row["database_type"] == "App\\Models\\StandalonePostgresql" and row["database_id"] == 1
    assert row["frequency"] == "0 3 * * *" and row["save_s3"] is False and row["executions"] == []
    assert list(row)[:2] == ["id", "uuid"]
    # configs are matched on the numeric database_id only: db-reports (mysql, its own id 1) shows the postgres config
    assert [cfg["uuid"] for cfg in configs(api, "db-reports")] == ["bkp-shop-nightly"]
    assert configs(api, "db-acme") == {"message": "Database not found."}


def test_create_validation_order_and_messages(api):
    resp = api.post(BASE, data="frequency=daily", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 400 and resp.json() == {"message": "Invalid request.", "error": "Content-Type must be application/json."}
    assert api.post(BASE, json={}).json()["error"] == "Empty JSON."
    resp = api.post(BASE, json={"enabled": "yes", "timeout": 10})
    assert resp.status_code == 422 and resp.json()["errors"] == {
        "frequency": ["This field is required."], "enabled": ["The enabled field must be true or false."],
        "timeout": ["The timeout field must be at least 60."]}
    # validation runs before the lookup; unknown fields only after it
    assert api.post("/databases/nope/backups", json={"frequency": "daily", "bogus": 1}).json() == {
        "message": "Database not found."}
    assert api.post("/databases/db-cache/backups", json={"frequency": "daily"}).json() == {
        "message": "Scheduled backups are not supported for this database type."}
    assert api.post(BASE, json={"frequency": "every now and then"}).json()["errors"] == {
        "frequency": ["Invalid cron expression or frequency format."]}
    assert api.post(BASE, json={"frequency": "daily", "save_s3": True}).json()["errors"] == {
        "s3_storage_uuid": ["The s3_storage_uuid field is required when save_s3 is true."]}
    assert api.post(BASE, json={"frequency": "daily", "bogus": 1}).json()["errors"] == {"bogus": ["This field is not allowed."]}
    bad = api.post(BASE, json={"frequency": "daily", "databases_to_backup": "shop;rm -rf /"}).json()
    assert bad["errors"]["databases_to_backup"][0].startswith("Invalid database name: contains forbidden character ';'")
    assert api.post(BASE, json={"frequency": "daily"}, token="2|read-only").json() == {
        "message": "Missing required permissions: write"}
    assert len(configs(api)) == 1  # nothing was created by any of these


def test_create_defaults(api):
    resp = api.post(BASE, json={"frequency": "*/15 2-4 * * 1,3"})
    assert resp.status_code == 201
    body = resp.json()
    assert body["message"] == "Backup configuration created successfully." and len(body["uuid"]) == 24
    row = configs(api)[0]  # newest first
    assert row["uuid"] == body["uuid"]
    assert row["enabled"] is True and row["save_s3"] is True  # the column default, not the spec's false
    assert row["databases_to_backup"] == "shop" and row["timeout"] == 3600 and row["s3_storage_id"] is None
    assert not [job for job in api.emu.state()["jobs"] if job["kind"] == "backup"]  # no backup_now, no run


def test_backup_now_runs_a_queued_job_and_records_an_execution(api):
    api.emu.configure(job_delay_seconds=0.3, backup_seconds=0.6)
    started = time.time()
    resp = api.patch(BASE + "/bkp-shop-nightly", json={"backup_now": True})
    assert resp.status_code == 200 and resp.json() == {"message": "Database backup configuration updated"}
    assert executions(api) == []  # queued: nothing before the worker picks it up
    running = api.wait_for(lambda: executions(api))
    assert running[0]["status"] == "running" and running[0]["finished_at"] is None
    done = api.wait_for(lambda: [row for row in executions(api) if row["status"] != "running"])[0]
    assert done["status"] == "success" and done["size"] > 0 and done["database_name"] == "shop"
    assert re.match(r"^/data/coolify/backups/databases/root-team-0/shop-db-db-shop/pg-dump-shop-\d+\.dmp$", done["filename"])
    assert done["s3_uploaded"] is None and done["message"] is None and done["finished_at"]
    assert time.time() - started >= 0.8  # job delay + dump time
    listed = api.get(BASE + "/bkp-shop-nightly/executions").json()
    assert list(listed) == ["executions"]
    item = listed["executions"][0]
    assert set(item) == {"uuid", "filename", "size", "created_at", "message", "status"}
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", item["created_at"])
    latest = api.get("/databases").json()[0]["backup_configs"][0]["latest_log"]
    assert latest["uuid"] == done["uuid"] and latest["status"] == "success"


def test_create_with_backup_now_and_s3_warning(api):
    api.emu.configure(job_delay_seconds=0.1, backup_seconds=0.2)
    uuid = api.post(BASE, json={"frequency": "hourly", "backup_now": True, "databases_to_backup": "shop,analytics"}).json()["uuid"]

    def finished():
        rows = executions(api, uuid)
        return len(rows) == 2 and all(row["status"] != "running" for row in rows) and rows

    rows = api.wait_for(finished)
    assert sorted(row["database_name"] for row in rows) == ["analytics", "shop"]
    for row in rows:  # save_s3 defaulted to true without a storage: success with a warning
        assert row["status"] == "success" and row["s3_uploaded"] is False
        assert row["message"].startswith("Warning: S3 upload failed:")
    newest, oldest = rows
    assert newest["finished_at"] and oldest["finished_at"] is None  # only the last execution of a run gets it


def test_skipped_when_the_database_is_not_running(api):
    api.emu.configure(job_delay_seconds=0.1, backup_seconds=0.1)
    uuid = api.post("/databases/db-reports/backups", json={"frequency": "daily", "save_s3": False, "backup_now": True}).json()["uuid"]
    api.wait_for(lambda: [job for job in api.jobs(uuid) if job["status"] == "done"])
    assert api.jobs(uuid)[0]["outcome"] == "DatabaseBackupJob skipped: database not running"
    assert executions(api, uuid, "db-reports") == []


def test_overlapping_run_is_dropped_and_failures(api):
    api.emu.configure(job_delay_seconds=0.1, backup_seconds=1.0)
    api.patch(BASE + "/bkp-shop-nightly", json={"backup_now": True})
    api.wait_for(lambda: executions(api))
    api.patch(BASE + "/bkp-shop-nightly", json={"backup_now": True})
    api.wait_for(lambda: len([job for job in api.jobs("bkp-shop-nightly") if job["status"] != "pending"]) == 2)
    assert api.jobs("bkp-shop-nightly")[1]["outcome"].startswith("dropped")
    assert len(executions(api)) == 1
    api.wait_for(lambda: executions(api)[0]["status"] == "success")
    api.emu.configure(backup_seconds=0.1, backup_outcomes={"bkp-shop-nightly": "failed"})
    api.patch(BASE + "/bkp-shop-nightly", json={"backup_now": True})
    failed = api.wait_for(lambda: [row for row in executions(api) if row["status"] == "failed"])[0]
    assert failed["filename"] is None and failed["s3_uploaded"] is None and failed["size"] == 0
    assert failed["message"].startswith("pg_dump: error")


def test_fail_rate_is_reproducible(start_emulator):
    client = start_emulator("--seed-databases", "1", "--random-seed", "4", "--seed-apps", "0", "--seed-services", "0",
                            "--job-delay-seconds", "0", "--backup-seconds", "0.05", "--backup-fail-rate", "1")
    database = client.get("/databases").json()[0]
    if database["status"] != "running:healthy":
        pytest.fail("the seeded database should be running for this seed")
    past = database["backup_configs"][0]["latest_log"]  # the generated fleet seeds one past success
    assert past["status"] == "success" and past["size"] > 0 and past["finished_at"] and past["filename"]
    config = database["backup_configs"][0]["uuid"]
    client.patch("/databases/%s/backups/%s" % (database["uuid"], config), json={"backup_now": True})
    rows = client.wait_for(lambda: [r for r in client.get("/databases/%s/backups" % database["uuid"]).json()[0]["executions"]
                                    if r["status"] != "running" and r["uuid"] != past["uuid"]])
    assert rows[0]["status"] == "failed"


def test_patch_and_delete(api):
    assert api.patch(BASE + "/nope", json={"enabled": False}).json() == {"message": "Backup config not found."}
    assert api.patch(BASE + "/bkp-shop-nightly", json={"frequency": "bad"}).json()["errors"] == {
        "frequency": ["Invalid cron expression or frequency format."]}
    assert api.patch(BASE + "/bkp-shop-nightly", json={"bogus": 1}).json()["errors"] == {"bogus": ["This field is not allowed."]}
    assert api.patch(BASE + "/bkp-shop-nightly", json={"enabled": False, "timeout": "120"}).status_code == 200
    row = configs(api)[0]
    assert row["enabled"] is False and row["timeout"] == 120 and row["frequency"] == "0 3 * * *"  # partial update
    api.emu.configure(job_delay_seconds=0, backup_seconds=0.05)
    api.patch(BASE + "/bkp-shop-nightly", json={"backup_now": True})  # works on a disabled schedule
    execution = api.wait_for(lambda: [r for r in executions(api) if r["status"] == "success"])[0]
    path = BASE + "/bkp-shop-nightly/executions/"
    assert api.delete(path + "nope").json() == {"message": "Backup execution not found."}
    assert api.delete(path + execution["uuid"]).json() == {"message": "Backup execution deleted."}
    assert executions(api) == []
    assert api.delete(BASE + "/bkp-shop-nightly").json() == {"message": "Backup configuration and all executions deleted."}
    assert api.delete(BASE + "/bkp-shop-nightly").json() == {"message": "Backup configuration not found."}
    assert api.get(BASE + "/bkp-shop-nightly/executions").json() == {"message": "Backup configuration not found."}
    assert configs(api) == []


def test_fixture_executions(start_emulator, tmp_path):
    fixture = {"servers": [{"uuid": "srv", "name": "s"}], "projects": [{"uuid": "prj", "name": "p"}],
               "databases": [{"uuid": "db-m", "name": "m", "type": "mysql", "database": "app", "backups": [
                   {"uuid": "bkp-m", "frequency": "daily", "executions": [
                       {"status": "failed", "message": "mysqldump: Got error: 2002"}, {"status": "success", "size": 99}]}]}]}
    path = tmp_path / "executions.json"
    path.write_text(json.dumps(fixture))
    client = start_emulator("--fixture", str(path))
    rows = client.get("/databases/db-m/backups").json()[0]["executions"]
    assert [(row["status"], row["size"], row["database_name"]) for row in rows] == [("success", 99, "app"), ("failed", 0, "app")]
    assert rows[0]["filename"].endswith(".dmp") and "/mysql-dump-app-" in rows[0]["filename"] and rows[1]["filename"] is None
    assert rows[1]["message"] == "mysqldump: Got error: 2002"
    assert client.get("/databases").json()[0]["backup_configs"][0]["latest_log"]["uuid"] == rows[0]["uuid"]
