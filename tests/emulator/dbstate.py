# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Store's standalone databases: lookups, queued start/stop/restart jobs, and scheduled-backup runs.

A database job waits `job_delay_seconds` like every queued job and does nothing at all when the server is not
functional (StartDatabase/StopDatabase return silently). A backup job (DatabaseBackupJob) skips a database that is not
running, is dropped while a run of the same configuration is still going, and dumps one database name after the other,
each taking `backup_seconds`.
"""

from __future__ import annotations

import random

from .seed_dbs import DB_TYPES, MODEL_CLASS, MODEL_ORDER, backup_filename

BACKUP_FAILURE = ("pg_dump: error: connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: "
                  "FATAL:  the database system is shutting down")
S3_WARNING = "Warning: S3 upload failed: No S3 storage is configured for this backup."


class DatabaseStore:
    """Mixed into Store; uses its lock discipline, `queue_job`, `schedule_status` and `settings`."""

    def load_databases(self, world):
        self.databases = {row["id"]: row for row in world.get("databases", [])}
        self.databases_by_uuid = {row["uuid"]: row for row in self.databases.values()}
        self.backups = {row["id"]: row for row in world.get("backups", [])}
        self.executions = {row["id"]: row for row in world.get("backup_executions", [])}
        self.backup_runs = []
        self.ids["databases"] = max(self.databases, default=0)
        self.ids["backups"] = max(self.backups, default=0)
        self.ids["executions"] = max(self.executions, default=0)
        self.backup_rng = random.Random(None if self.random_seed is None else "backups-%d" % self.random_seed)
        for row in self.databases.values():
            row.setdefault("last_online_at", row["created"] if row["status"].startswith("running") else None)
            row.setdefault("restart_count", 0)

    # ------------------------------------------------------------------------------------------------ lookups

    def database_by_uuid(self, uuid, team_id):
        row = self.databases_by_uuid.get(uuid)
        if row is None or self.team_of(row) != team_id:
            return None
        return row

    def team_databases(self, team_id):
        """DatabasesController::databases order: project, then type in model order, then row id of that type."""
        rows = [row for row in self.databases.values() if self.team_of(row) == team_id]
        return sorted(rows, key=lambda row: (self.environments[row["environment_id"]]["project_id"],
                                             MODEL_ORDER.index(row["db_type"]), row["type_id"]))

    def backups_for(self, database):
        """Configs matched on `database_id` only, as Coolify does: a database of another type with the same
        numeric id shares them (API-NOTES §14.2 quirk)."""
        team = self.team_of(database)
        rows = [row for row in self.backups.values() if row["database_id"] == database["type_id"] and row["team_id"] == team]
        return sorted(rows, key=lambda row: (row["created"], row["id"]), reverse=True)

    def database_of_backup(self, config):
        for row in self.databases.values():
            if row["type_id"] == config["database_id"] and MODEL_CLASS[row["db_type"]] == config["database_type"]:
                return row
        return None

    def executions_of(self, config):
        rows = [row for row in self.executions.values() if row["scheduled_database_backup_id"] == config["id"]]
        return sorted(rows, key=lambda row: (row["created"], row["id"]), reverse=True)

    def server_functional(self, row):
        server = self.servers.get(row["server_id"])
        return bool(server and server["is_reachable"] and server["is_usable"])

    # ------------------------------------------------------------------------------------------------ actions

    def run_database_job(self, job, row, when):
        """StartDatabase / StopDatabase / RestartDatabase once the worker picks the job up."""
        if not self.server_functional(row):
            job["finishes_at"] = when
            job["outcome"] = "Server is not functional"
            return
        lag = self.settings.status_lag_seconds
        health = "healthy" if row["health_check_enabled"] else "unknown"
        self.clear_pending("database", row)
        row["updated"] = when
        if job["action"] == "stop":
            self.schedule_status("database", row, when + lag, "exited:unhealthy")
            row["restart_count"] = 0
            return
        up = when + lag
        if job["action"] == "restart":
            # Stop and start in one job: the status passes through exited:unhealthy.
            self.schedule_status("database", row, up, "exited:unhealthy")
            up += lag
        self.record_started_env("database", row, when)
        if row["health_check_enabled"]:
            # The container's health check is `starting` for its start period before it turns healthy.
            self.schedule_status("database", row, up, "running:starting")
            up += lag
        self.schedule_status("database", row, up, "running:" + health)
        job["finishes_at"] = up

    # ------------------------------------------------------------------------------------------------ backups

    def add_backup(self, database, fields, now):
        row = dict(fields)
        row.update({"id": self.next_id("backups"), "uuid": self.new_uuid(), "database_type": MODEL_CLASS[database["db_type"]],
                    "database_id": database["type_id"], "s3_storage_id": None, "team_id": self.team_of(database),
                    "created": now, "updated": now})
        self.backups[row["id"]] = row
        return row

    def delete_backup(self, config):
        for execution in self.executions_of(config):
            self.executions.pop(execution["id"], None)
        self.backups.pop(config["id"], None)

    def queue_backup(self, config, now):
        return self.queue_job("backup", config, "backup", now)

    def _backup_names(self, config, database):
        if config["dump_all"]:
            return ["all"]
        spec = DB_TYPES[database["db_type"]]
        raw = config.get("databases_to_backup")
        if not raw:
            if database["db_type"] == "mongodb":
                return ["all"]
            raw = database["columns"].get(spec["db"][0]) if spec["db"] else None
        separator = "|" if database["db_type"] == "mongodb" else ","
        names = [item.strip().split(":")[0] for item in str(raw or "").split(separator) if item.strip()]
        return ["all" if name == "*" else name for name in names]

    def run_backup_job(self, job, config, when):
        """DatabaseBackupJob: stale sweep, skip when not running, drop on overlap, then one dump per database name."""
        job["finishes_at"] = when
        for execution in self.executions_of(config):
            if execution["status"] == "running" and execution["created"] < when - 2 * config["timeout"]:
                self._finish_execution(execution, when, "failed", "Marked as failed - backup execution exceeded maximum allowed time")
        database = self.database_of_backup(config)
        if database is None or not str(database["status"]).startswith("running"):
            job["outcome"] = "DatabaseBackupJob skipped: database not running"
            return
        if any(run["config_id"] == config["id"] for run in self.backup_runs):
            job["outcome"] = "dropped: a run of this configuration is still going"
            return
        names = self._backup_names(config, database)
        seconds = self.settings.backup_seconds
        job["finishes_at"] = when + seconds * len(names)
        self.backup_runs.append({"config_id": config["id"], "database_id": database["id"], "names": names,
                                 "next": 0, "at": when, "current": None})
        self._advance_runs(when)

    def _start_execution(self, run, config, database, when):
        name = run["names"][run["next"]]
        run["next"] += 1
        team = self.teams.get(config["team_id"]) or {"name": "team"}
        filename = backup_filename(team["name"], config["team_id"], database, name, when)
        row = {"id": self.next_id("executions"), "uuid": self.new_uuid(), "scheduled_database_backup_id": config["id"],
               "status": "running", "message": None, "size": 0, "filename": filename, "database_name": name,
               "s3_uploaded": None, "local_storage_deleted": False, "s3_storage_deleted": False, "finished_at": None,
               "created": when, "updated": when, "ends": when + self.settings.backup_seconds,
               "last": run["next"] == len(run["names"])}
        self.executions[row["id"]] = row
        run["current"] = row["id"]

    def _finish_execution(self, row, when, status, text=None):
        row["status"] = status
        row["updated"] = when
        if status == "failed":
            row.update({"message": text, "size": 0, "filename": None, "s3_uploaded": None})
        if row.get("last") or text and text.startswith("Marked"):
            row["finished_at"] = when

    def _outcome(self, config):
        forced = self.settings.backup_outcomes.get(config["uuid"])
        if forced:
            return forced
        return "failed" if self.backup_rng.random() < self.settings.backup_fail_rate else "success"

    def _advance_runs(self, now):
        """Finish the dumps that ended by `now` and start the next one of each run, in time order."""
        while True:
            due = None
            for run in self.backup_runs:
                current = self.executions.get(run["current"]) if run["current"] else None
                at = run["at"] if current is None else current["ends"]
                if at <= now and (due is None or at < due[0]):
                    due = (at, run, current)
            if due is None:
                return
            at, run, current = due
            config = self.backups.get(run["config_id"])
            database = self.databases.get(run["database_id"])
            if current is not None and current["status"] == "running":
                if config is None or database is None:
                    self._finish_execution(current, at, "failed", "Backup configuration or database was deleted.")
                elif self._outcome(config) == "failed":
                    self._finish_execution(current, at, "failed", BACKUP_FAILURE)
                else:
                    current["size"] = self.backup_rng.randint(40000, 90000000)
                    self._finish_execution(current, at, "success")
                    if config["save_s3"]:
                        current["message"] = S3_WARNING
                        current["s3_uploaded"] = False
            if config is None or database is None or run["next"] >= len(run["names"]):
                self.backup_runs.remove(run)
                continue
            self._start_execution(run, config, database, at)

    def tick_databases(self, now):
        if self.backup_runs:
            self._advance_runs(now)

    # ------------------------------------------------------------------------------------------------ admin

    def database_snapshot(self):
        databases = []
        for row in sorted(self.databases.values(), key=lambda item: item["id"]):
            item = dict(row)
            environment = self.environments.get(row["environment_id"]) or {}
            project = self.projects.get(environment.get("project_id")) or {}
            server = self.servers.get(row["server_id"]) or {}
            item.update({"team_id": self.team_of(row), "environment_name": environment.get("name"),
                         "project_uuid": project.get("uuid"), "server_uuid": server.get("uuid"),
                         "database_type": "standalone-" + row["db_type"]})
            databases.append(item)
        backups = []
        for row in sorted(self.backups.values(), key=lambda item: item["id"]):
            item = dict(row)
            database = self.database_of_backup(row)
            item["database_uuid"] = database["uuid"] if database else None
            backups.append(item)
        executions = [dict(row) for row in sorted(self.executions.values(), key=lambda item: item["id"])]
        return {"databases": databases, "backups": backups, "backup_executions": executions}
