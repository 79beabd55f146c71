# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_database_batch end to end: the real main() over loopback HTTP against the emulator (files/databases.yml).

Every test checks the module's report against the emulator's own state and request log, never against itself.
"""

from __future__ import annotations

import json
import time

from ansible_collections.coolops.coolify.plugins.modules import coolify_database_batch
from ansible_collections.coolops.coolify.tests.e2e.modules.batch_helpers import run_beside
from ansible_collections.coolops.coolify.tests.e2e.modules.db_helpers import (  # pylint: disable=unused-import
    DB_SECRET,
    READ_WRITE,
    TOKEN_MARK,
    by_name,
    db_args,
    dbemu,
    statuses,
    writes,
)

PRODUCTION = ["shop-pg", "shop-mysql", "shop-redis"]


def assert_no_secret(result):
    text = json.dumps(result)
    assert DB_SECRET not in text and TOKEN_MARK not in text


def test_stopped_check_mode_then_apply_then_idempotent(dbemu, run_module):
    args = db_args(dbemu, project="shop", environment="production", state="stopped", docker_cleanup=False)
    check = run_module(coolify_database_batch, args, check_mode=True, diff=True)
    assert check["changed"] is True and check["msg"] == "would stop 3 of 3 databases"
    assert by_name(check)["shop-pg"]["reason"] == "would stop (currently running:healthy)"
    assert check["diff"]["after"]["shop-pg (db-shop-pg)"] == "exited"
    assert writes(dbemu) == []

    result = run_module(coolify_database_batch, args, diff=True)
    assert not result.get("failed"), result["msg"]
    assert result["msg"] == "stopped 3 of 3 databases"
    assert sorted(r["path"] for r in writes(dbemu)) == sorted("/api/v1/databases/db-%s/stop" % n for n in PRODUCTION)
    assert all(r["query"] == {"docker_cleanup": "false"} for r in writes(dbemu))
    real = statuses(dbemu)
    for item in result["databases"]:
        assert item["status_after"] == real[item["name"]] == "exited:unhealthy"
    assert_no_secret(result)

    again = run_module(coolify_database_batch, args)
    assert again["changed"] is False and again["msg"] == "stopped 0 of 3 databases (3 already stopped)"
    assert len(writes(dbemu)) == 3


def test_started_by_server_waits_for_the_queued_job(dbemu, run_module):
    result = run_module(coolify_database_batch, db_args(dbemu, server="db-2", state="started", healthy=False))
    assert not result.get("failed"), result["msg"]
    items = by_name(result)
    assert sorted(items) == ["shop-keydb", "shop-mongo", "shop-redis"]
    assert items["shop-mongo"]["action"] == "start" and items["shop-mongo"]["status_before"] == "exited:unhealthy"
    assert items["shop-mongo"]["status_after"].startswith("running:")
    assert items["shop-redis"]["action"] is None and items["shop-keydb"]["action"] is None
    assert [r["path"] for r in writes(dbemu)] == ["/api/v1/databases/db-shop-mongo/start"]
    # healthy=false: done once running; the health part may move on (starting -> healthy) after the last read.
    assert statuses(dbemu)["shop-mongo"].split(":")[0] == items["shop-mongo"]["status_after"].split(":")[0] == "running"


def test_restarted_always_acts(dbemu, run_module):
    result = run_module(coolify_database_batch, db_args(dbemu, uuids=["db-shop-pg", "db-shop-mongo"], state="restarted"))
    assert not result.get("failed"), result["msg"]
    assert [i["action"] for i in result["databases"]] == ["restart", "restart"]
    assert sorted(r["path"] for r in writes(dbemu)) == [
        "/api/v1/databases/db-shop-mongo/restart", "/api/v1/databases/db-shop-pg/restart"]
    real = statuses(dbemu)
    # healthy=false: done once running again; the health part may move on (starting -> healthy) after the last read.
    assert all(i["status_after"].split(":")[0] == real[i["name"]].split(":")[0] == "running"
               for i in result["databases"]), (real, result["databases"])


def test_unknown_uuid_fails_before_any_write(dbemu, run_module):
    result = run_module(coolify_database_batch, db_args(dbemu, uuids=["db-shop-pg", "db-ghost"], state="stopped"))
    assert result["failed"] is True and result["msg"] == "Cannot select databases: unknown uuids: db-ghost."
    assert writes(dbemu) == []


def test_database_of_another_team_is_unknown(dbemu, run_module):
    result = run_module(coolify_database_batch, db_args(dbemu, uuids=["db-acme"], state="stopped"))
    assert result["failed"] is True and result["msg"] == "Cannot select databases: unknown uuids: db-acme."
    assert writes(dbemu) == [] and statuses(dbemu)["acme-db"] == "running:healthy"


def test_a_tag_no_database_carries_fails_after_one_tags_read_per_candidate(dbemu, run_module):
    result = run_module(coolify_database_batch, db_args(dbemu, tags=["production"], server="db-down", state="stopped"))
    assert result["failed"] is True
    assert result["msg"] == "Cannot select databases: tags matching nothing in server 'db-down': production."
    tag_reads = [r["path"] for r in dbemu.requests_log() if r["path"].endswith("/tags")]
    assert tag_reads == ["/api/v1/databases/db-lost-pg/tags"]  # the server narrowed first: one read
    assert writes(dbemu) == []


def test_token_without_deploy(dbemu, run_module):
    result = run_module(coolify_database_batch, db_args(dbemu, token=READ_WRITE, names=["shop-pg", "shop-mysql"],
                                                        state="stopped"))
    assert result["failed"] is True and result["summary"]["failed"] == 2
    assert all("Missing required permissions: deploy" in i["error"] for i in result["databases"])
    assert all(i["status_after"] == "running:healthy" for i in result["databases"])
    assert "2 failed: shop-pg (HTTP 403 Missing required permissions: deploy)" in result["msg"]
    assert writes(dbemu) == [r for r in writes(dbemu) if r["status"] == 403]
    assert statuses(dbemu)["shop-pg"] == "running:healthy"
    assert_no_secret(result)


def test_unreachable_server_never_starts_and_fails_not_observed_naming_the_database(dbemu, run_module):
    """The start job runs but the status never moves: the watcher saw no change caused by the start, so it is not
    called done (nor a plain timeout: Coolify may not have run the job)."""
    result = run_module(coolify_database_batch, db_args(dbemu, names=["lost-pg", "shop-mongo"], state="started",
                                                        wait_timeout=2))
    items = by_name(result)
    assert result["failed"] is True
    assert items["lost-pg"]["failed"] and items["lost-pg"]["error"].startswith("Not observed: no status change")
    assert items["lost-pg"]["changed"] is True  # the start was accepted
    assert items["lost-pg"]["status_after"] == "exited:unhealthy"
    assert not items["shop-mongo"]["failed"] and items["shop-mongo"]["status_after"].startswith("running")
    assert "1 failed: lost-pg (not observed)" in result["msg"]


def test_rolling_halts_after_a_failed_wave(dbemu, run_module):
    dbemu.configure(fail_paths=["POST /api/v1/databases/db-shop-pg/"])
    # The failed stop's outcome is unknown (a 500): the module watches it until wait_timeout, kept short here.
    result = run_module(coolify_database_batch, db_args(dbemu, names=PRODUCTION, state="stopped", strategy="rolling",
                                                        batch_size=1, wait_timeout=2))
    assert result["failed"] is True and [i["skipped"] for i in result["databases"]] == [False, True, True]
    assert len(writes(dbemu)) == 1 and statuses(dbemu)["shop-mysql"] == "running:healthy"


def test_already_running_answer_means_unchanged(dbemu, run_module):
    """shop-pg is started behind the module's back between its plan and its own start: Coolify's 400 is no failure."""
    dbemu.configure(job_delay_seconds=0, status_lag_seconds=0)
    assert dbemu.request("POST", "/databases/db-shop-pg/stop")[0] == 200
    time.sleep(0.2)
    assert statuses(dbemu)["shop-pg"] == "exited:unhealthy"
    dbemu.configure(status_lag_seconds=1.0)  # shop-mongo's start takes a while: shop-pg waits its turn

    def start_pg_behind_our_back():
        dbemu.configure(status_lag_seconds=0, job_delay_seconds=0)  # ours is queued already: this one runs first
        assert dbemu.request("POST", "/databases/db-shop-pg/start")[0] == 200

    stop, thread = run_beside(dbemu, start_pg_behind_our_back,
                              when=lambda r: r["method"] == "POST" and r["path"] == "/api/v1/databases/db-shop-mongo/start")
    try:
        result = run_module(coolify_database_batch, db_args(dbemu, names=["shop-mongo", "shop-pg"], state="started",
                                                            strategy="sequential"))
    finally:
        stop.set()
        thread.join()
    item = by_name(result)["shop-pg"]
    assert not result.get("failed"), result["msg"]
    assert item["action"] == "start" and item["changed"] is False and item["failed"] is False
    assert item["reason"] == "already running (Coolify answered: Database is already running.)"
    refused = [r for r in dbemu.requests_log() if r["path"] == "/api/v1/databases/db-shop-pg/start"]
    assert [r["status"] for r in refused] == [200, 400]  # ours came second and was refused
    assert result["msg"] == "started 1 of 2 databases (1 already running)"
