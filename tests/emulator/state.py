# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The in-memory Coolify: one lock, rows as dicts, and the time-based rules (deployments, status lag).

Time-based transitions are computed lazily: every request calls `tick(now)` under the lock, which replays the
deployment queue, queued jobs and pending status changes up to `now` in timestamp order. Deployments keep virtual start
and end times, so a queued deployment starts exactly when its predecessor ended, however late the next request comes.

Queued jobs (service start/stop/restart, application stop, database actions) wait `job_delay_seconds` and change
nothing until they run, as Coolify's workers do; their work then takes `status_lag_seconds`.
"""

from __future__ import annotations

import copy
import json
import random
import threading
import time

from . import seed as seed_mod

QUEUED, IN_PROGRESS, FINISHED, FAILED, CANCELLED = "queued", "in_progress", "finished", "failed", "cancelled-by-user"
ACTIVE = (QUEUED, IN_PROGRESS)
JOB_PENDING, JOB_RUNNING, JOB_DONE = "pending", "running", "done"
UUID_KEYS = ("uuid", "deployment_uuid", "destination_uuid")


def _uuids_in(value, found):
    """Every uuid a seed world holds, nested rows included."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in UUID_KEYS and isinstance(item, str):
                found.add(item)
            else:
                _uuids_in(item, found)
    elif isinstance(value, list):
        for item in value:
            _uuids_in(item, found)
    return found


class Store:
    """All emulator state. Callers hold `store.lock` for every read and write."""

    def __init__(self, world, settings, clock=time.time, random_seed=None):
        self.lock = threading.RLock()
        self.seed_world = copy.deepcopy(world)
        self.base_settings = settings.clone()
        self.settings = settings
        self.clock = clock
        self.random_seed = random_seed
        self.rng = random.Random(random_seed)
        # uuids come from their own stream, never reseeded: the fleet seed built the world from `random_seed`, and a
        # uuid handed out once (before a reset too) is never handed out again in this process.
        self.uuid_rng = random.Random(None if random_seed is None else "runtime-uuids-%d" % random_seed)
        self.issued_uuids = set()
        self.load(self.seed_world)

    # ------------------------------------------------------------------------------------------------ loading

    def reset(self):
        """Restore the seed world and the command-line settings."""
        self.settings = self.base_settings.clone()
        self.rng = random.Random(self.random_seed)
        self.load(self.seed_world)

    def load(self, world):
        world = copy.deepcopy(world)
        _uuids_in(world, self.issued_uuids)
        self.jobs = []
        self.job_seq = 0
        self.teams = {row["id"]: row for row in world["teams"]}
        self.tokens = list(world["tokens"])
        self.tokens_by_secret = {row["secret"]: row for row in self.tokens}
        self.servers = {row["id"]: row for row in world["servers"]}
        self.projects = {row["id"]: row for row in world["projects"]}
        self.environments = {row["id"]: row for row in world["environments"]}
        self.tags = {row["id"]: row for row in world["tags"]}
        self.apps = {row["id"]: row for row in world["applications"]}
        self.services = {row["id"]: row for row in world["services"]}
        self.databases = {}
        self.deployments = {}
        self.deployments_by_uuid = {}
        self.active = []
        self.envs = {}
        self.env_index = {}
        self.ids = {
            "applications": max(self.apps, default=0), "services": max(self.services, default=0),
            "envs": max((row["id"] for row in world["envs"]), default=0), "deployments": 0,
        }
        for row in world["envs"]:
            self._index_env(row)
        for row in world["deployments"]:
            self._add_deployment(row)
        self.pending = {}
        self.pending_seq = 0
        self.buckets = {}
        self.apps_by_uuid = {row["uuid"]: row for row in self.apps.values()}
        self.services_by_uuid = {row["uuid"]: row for row in self.services.values()}
        self.servers_by_uuid = {row["uuid"]: row for row in self.servers.values()}
        self.projects_by_uuid = {row["uuid"]: row for row in self.projects.values()}
        for row in self.apps.values():
            row.setdefault("updated", row["created"])
            row.setdefault("last_online_at", row["created"])
        for row in self.services.values():
            row.setdefault("updated", row["created"])
            row.setdefault("starting_until", None)

    def _index_env(self, row):
        self.envs[row["id"]] = row
        self.env_index.setdefault((row["resource_type"], row["resource_id"]), []).append(row)

    def next_id(self, table):
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def new_uuid(self):
        while True:
            uuid = seed_mod.make_uuid(self.uuid_rng)
            if uuid not in self.issued_uuids:
                self.issued_uuids.add(uuid)
                return uuid

    # ------------------------------------------------------------------------------------------------ lookups

    def team_of_environment(self, environment_id):
        environment = self.environments.get(environment_id)
        if environment is None:
            return None
        project = self.projects.get(environment["project_id"])
        return None if project is None else project["team_id"]

    def team_of(self, resource):
        return self.team_of_environment(resource["environment_id"])

    def find_token(self, presented):
        """Sanctum lookup: `<id>|<secret>` finds the row by id and checks the secret; a bare secret works too."""
        prefix, sep, secret = presented.partition("|")
        if sep:
            row = self.tokens_by_secret.get(secret)
            if row is not None and row["id"] is not None and str(row["id"]) == prefix:
                return row
            return None
        return self.tokens_by_secret.get(presented)

    def app_by_uuid(self, uuid, team_id):
        row = self.apps_by_uuid.get(uuid)
        if row is None or self.team_of(row) != team_id:
            return None
        return row

    def service_by_uuid(self, uuid, team_id):
        row = self.services_by_uuid.get(uuid)
        if row is None or self.team_of(row) != team_id:
            return None
        return row

    def server_by_uuid(self, uuid, team_id):
        row = self.servers_by_uuid.get(uuid)
        if row is None or row["team_id"] != team_id:
            return None
        return row

    def project_by_uuid(self, uuid, team_id):
        row = self.projects_by_uuid.get(uuid)
        if row is None or row["team_id"] != team_id:
            return None
        return row

    def team_apps(self, team_id):
        return [row for row in self.apps.values() if self.team_of(row) == team_id]

    def team_services(self, team_id):
        return [row for row in self.services.values() if self.team_of(row) == team_id]

    def envs_of(self, resource_type, resource):
        return self.env_index.get((resource_type, resource["id"]), [])

    def server_setting(self, server, name):
        value = server.get(name)
        if value is None:
            value = getattr(self.settings, name)
        return value

    # ------------------------------------------------------------------------------------------------ rate limit

    def hit(self, key, limit, window, now):
        """Laravel's fixed-window limiter: returns (allowed, remaining, reset_at)."""
        bucket = self.buckets.get(key)
        if bucket is None or now >= bucket[1]:
            bucket = [0, now + window]
            self.buckets[key] = bucket
        if bucket[0] >= limit:
            return False, 0, bucket[1]
        bucket[0] += 1
        return True, max(limit - bucket[0], 0), bucket[1]

    # ------------------------------------------------------------------------------------------------ time

    def tick(self, now):
        """Replay everything that happened up to `now`: deployment ends, queue pick-ups, status changes."""
        while True:
            due = None
            for dep in self.active:
                if dep["status"] == IN_PROGRESS and dep["ends"] <= now and (due is None or dep["ends"] < due["ends"]):
                    due = dep
            if due is None:
                break
            self._finish(due, due["ends"])
        due_jobs = sorted((job for job in self.jobs if job["status"] == JOB_PENDING and job["runs_at"] <= now),
                          key=lambda job: (job["runs_at"], job["id"]))
        for job in due_jobs:
            self._apply_pending(job["runs_at"])
            self._run_job(job)
        self._apply_pending(now)
        for job in self.jobs:
            if job["status"] == JOB_RUNNING and job["finishes_at"] <= now:
                job["status"] = JOB_DONE

    def _apply_pending(self, now):
        if self.pending:
            for key in list(self.pending):
                entries = self.pending[key]
                done = [entry for entry in entries if entry[0] <= now]
                if not done:
                    continue
                for entry in done:
                    self._apply_status(key, entry[2], entry[0])
                rest = [entry for entry in entries if entry[0] > now]
                if rest:
                    self.pending[key] = rest
                else:
                    del self.pending[key]

    # ------------------------------------------------------------------------------------------------ jobs

    def queue_job(self, kind, row, action, now):
        """Queue a background job for `row`; it changes nothing until it runs `job_delay_seconds` later."""
        self.job_seq += 1
        delay = self.settings.job_delay_seconds
        job = {"id": self.job_seq, "kind": kind, "resource_id": row["id"], "resource_uuid": row["uuid"],
               "action": action, "status": JOB_PENDING, "queued_at": now, "runs_at": now + delay,
               "started_at": None, "finishes_at": None}
        self.jobs.append(job)
        if delay <= 0:
            self._run_job(job)
        return job

    def _table(self, kind):
        return {"application": self.apps, "service": self.services}.get(kind) or self.databases

    def _run_job(self, job):
        when = job["runs_at"]
        job["status"] = JOB_RUNNING
        job["started_at"] = when
        job["finishes_at"] = when + self.settings.status_lag_seconds
        row = self._table(job["kind"]).get(job["resource_id"])
        if row is None:
            job["status"] = JOB_DONE
            job["finishes_at"] = when
            return
        if job["kind"] == "application":
            self.schedule_status("application", row, job["finishes_at"], "exited:unhealthy")
        elif job["kind"] == "service":
            if job["action"] == "stop":
                self.stop_service(row, when)
            elif job["action"] == "restart":
                job["finishes_at"] = when + 2 * self.settings.status_lag_seconds  # stop, then the start activity
                self.restart_service(row, when)
            else:
                self.start_service(row, when)
        else:
            self.run_database_job(row, job["action"], when)

    def start_service(self, service, when):
        """StartService: `starting:unhealthy` for the status lag, then every container runs."""
        lag = self.settings.status_lag_seconds
        self.clear_pending("service", service)
        service["starting_from"] = when
        service["starting_until"] = when + lag
        service["updated"] = when
        self.schedule_status("service", service, when + lag, "running:healthy")

    def restart_service(self, service, when):
        """RestartService (API-NOTES 9.3): StopService then StartService in one job. With the status lag L, the
        containers stop within L/2 (StopService marks them `exited`), the start activity reads `starting:unhealthy`
        from L to 2L, and the sub-resources read `exited` until the next status check finds them running, at 3L."""
        lag = self.settings.status_lag_seconds
        self.clear_pending("service", service)
        service["updated"] = when
        service["starting_from"] = when + lag
        service["starting_until"] = when + 2 * lag
        self.schedule_status("service", service, when + lag / 2.0, "exited")
        self.schedule_status("service", service, when + 3 * lag, "running:healthy")

    def stop_service(self, service, when):
        """StopService: every container `exited` once the stop has taken the status lag."""
        self.clear_pending("service", service)
        service["starting_until"] = None
        service["updated"] = when
        self.schedule_status("service", service, when + self.settings.status_lag_seconds, "exited")

    def schedule_status(self, kind, row, when, status):
        self.pending_seq += 1
        entries = self.pending.setdefault((kind, row["id"]), [])
        entries.append((when, self.pending_seq, status))
        entries.sort()

    def clear_pending(self, kind, row):
        self.pending.pop((kind, row["id"]), None)

    def _apply_status(self, key, status, when):
        kind, row_id = key
        if kind == "application":
            row = self.apps.get(row_id)
            if row is not None:
                row["status"] = status
                if status.startswith("running"):
                    row["last_online_at"] = when
        else:
            row = self.services.get(row_id)
            if row is not None:
                for sub in row["applications"] + row["databases"]:
                    sub["status"] = status

    # ------------------------------------------------------------------------------------------------ statuses

    def app_status(self, app):
        return app["status"]

    def service_status(self, service, now):
        """Coolify's service aggregation (no `restarting` preservation; plain `exited`)."""
        until = service.get("starting_until")
        if until is not None and service.get("starting_from", 0) <= now < until:
            return "starting:unhealthy"
        subs = service["applications"] + service["databases"]
        if not subs:
            return "unknown:unknown:excluded"
        watched = [sub for sub in subs if not sub.get("exclude_from_status")]
        status = aggregate([sub["status"] for sub in (watched or subs)])
        if not watched:
            return status if status == "exited" else status + ":excluded"
        return status

    def status_of(self, kind, row, now):
        return self.app_status(row) if kind == "application" else self.service_status(row, now)

    # ------------------------------------------------------------------------------------------------ deployments

    def _add_deployment(self, dep):
        self.deployments[dep["id"]] = dep
        self.deployments_by_uuid[dep["deployment_uuid"]] = dep
        self.ids["deployments"] = max(self.ids.get("deployments", 0), dep["id"])
        if dep["status"] in ACTIVE:
            self.active.append(dep)

    def queue_deployment(self, app, now, force=False, instant=False, restart_only=False, is_api=True, pull_request_id=0,
                         docker_tag=None):
        """Coolify's queue_application_deployment: returns ("queued", dep), ("skipped", None) or ("queue_full", None)."""
        server = self.servers[app["server_id"]]
        limit = self.server_setting(server, "queue_limit")
        queued = sum(1 for dep in self.active if dep["server_id"] == server["id"] and dep["status"] == QUEUED)
        if queued >= limit:
            return "queue_full", None
        commit = app.get("git_commit_sha") or "HEAD"
        if not force and not instant:
            for dep in self.active:
                if (dep["application_id"] == app["id"] and dep["commit"] == commit and dep["pull_request_id"] == pull_request_id
                        and dep["docker_registry_image_tag"] == docker_tag):
                    return "skipped", None
        dep_id = self.next_id("deployments")
        dep = {
            "id": dep_id, "deployment_uuid": self.new_uuid(), "application_id": app["id"], "application_name": app["name"],
            "server_id": server["id"], "server_name": server["name"], "destination_id": server["id"], "status": QUEUED,
            "commit": commit, "commit_message": None, "pull_request_id": pull_request_id,
            "docker_registry_image_tag": docker_tag, "force_rebuild": bool(force), "restart_only": bool(restart_only),
            "is_webhook": False, "is_api": bool(is_api), "rollback": False, "only_this_server": False, "git_type": None,
            "current_process_id": None, "build_server_id": None, "horizon_job_id": None, "horizon_job_worker": None,
            "configuration_hash": None, "created": now, "updated": now, "started": None, "ends": None,
            "finished_at": None, "action_time": now, "duration": None,
            "log": [("Deployment queued%s." % (" (restart only)" if restart_only else ""), now)],
        }
        self._add_deployment(dep)
        if instant:
            self._start(dep, now)
        else:
            self._pickup(server["id"], now)
        return "queued", dep

    def _start(self, dep, when):
        dep["status"] = IN_PROGRESS
        dep["started"] = when
        dep["updated"] = when
        dep["duration"] = self.settings.deploy_seconds
        dep["ends"] = when + dep["duration"]
        dep["horizon_job_worker"] = "coolify-worker"
        dep["current_process_id"] = str(10000 + dep["id"])
        dep["log"].append(("Starting deployment of %s." % dep["application_name"], when))

    def _pickup(self, server_id, when):
        """Start queued deployments while the server has a free build slot (FIFO, one per app and PR at a time)."""
        server = self.servers.get(server_id)
        slots = self.server_setting(server, "concurrent_builds") if server else 2
        while True:
            running = [dep for dep in self.active if dep["server_id"] == server_id and dep["status"] == IN_PROGRESS]
            if len(running) >= slots:
                return
            busy = {(dep["application_id"], dep["pull_request_id"]) for dep in running}
            nxt = None
            for dep in self.active:
                if dep["server_id"] == server_id and dep["status"] == QUEUED and (dep["application_id"], dep["pull_request_id"]) not in busy:
                    nxt = dep
                    break
            if nxt is None:
                return
            self._start(nxt, when)

    def _finish(self, dep, when, outcome=None):
        app = self.apps.get(dep["application_id"])
        if outcome is None:
            forced = self.settings.deploy_outcomes.get(app["uuid"]) if app else None
            if forced:
                outcome = forced
            else:
                outcome = FAILED if self.rng.random() < self.settings.deploy_fail_rate else FINISHED
        dep["status"] = outcome
        dep["finished_at"] = when
        dep["updated"] = when
        dep["current_process_id"] = None
        dep["log"].append({FINISHED: ("Deployment finished.", when), FAILED: ("Deployment failed: the build exited with code 1.", when),
                           CANCELLED: ("Deployment cancelled by user.", when)}[outcome])
        if dep in self.active:
            self.active.remove(dep)
        if app is not None and outcome == FINISHED:
            lag = self.settings.status_lag_seconds
            self.schedule_status("application", app, max(when, dep["action_time"] + lag), "running:healthy")
        self._pickup(dep["server_id"], when)

    def cancel_deployment(self, dep, now):
        self._finish(dep, now, CANCELLED)

    # ------------------------------------------------------------------------------------------------ envs

    def add_env(self, resource_type, resource, fields, now):
        row = {
            "id": self.next_id("envs"), "uuid": self.new_uuid(), "resource_type": resource_type, "resource_id": resource["id"],
            "key": fields["key"], "value": fields.get("value"), "is_preview": bool(fields.get("is_preview", False)),
            "is_literal": bool(fields.get("is_literal", False)), "is_multiline": bool(fields.get("is_multiline", False)),
            "is_shown_once": bool(fields.get("is_shown_once", False)), "is_runtime": bool(fields.get("is_runtime", True)),
            "is_buildtime": bool(fields.get("is_buildtime", True)), "is_required": False, "comment": fields.get("comment"),
            "version": self.settings.api_version, "created": now, "updated": now,
        }
        self._index_env(row)
        return row

    def find_env(self, resource_type, resource, key, is_preview=None):
        for row in self.envs_of(resource_type, resource):
            if row["key"] == key and (is_preview is None or row["is_preview"] == is_preview):
                return row
        return None

    def delete_env(self, row):
        self.envs.pop(row["id"], None)
        rows = self.env_index.get((row["resource_type"], row["resource_id"]), [])
        if row in rows:
            rows.remove(row)

    # ------------------------------------------------------------------------------------------------ admin

    def delete_resource(self, uuid):
        """Remove an application or service (and its envs); returns its kind, or None."""
        for kind, table, by_uuid in (("application", self.apps, self.apps_by_uuid), ("service", self.services, self.services_by_uuid)):
            row = by_uuid.pop(uuid, None)
            if row is not None:
                table.pop(row["id"], None)
                for env in list(self.envs_of(kind, row)):
                    self.delete_env(env)
                self.clear_pending(kind, row)
                return kind
        return None

    def snapshot(self, now):
        """Everything, env values included, as plain JSON-able data (for GET /_emulator/state)."""
        def stamp(row):
            return {key: value for key, value in row.items() if key not in ("log",)}

        def placed(row):
            item = stamp(row)
            environment = self.environments.get(row["environment_id"]) or {}
            project = self.projects.get(environment.get("project_id")) or {}
            server = self.servers.get(row["server_id"]) or {}
            item.update({"team_id": self.team_of(row), "environment_name": environment.get("name"),
                         "project_uuid": project.get("uuid"), "server_uuid": server.get("uuid")})
            return item

        apps = [placed(row) for row in sorted(self.apps.values(), key=lambda item: item["id"])]
        services = []
        for row in sorted(self.services.values(), key=lambda item: item["id"]):
            item = placed(row)
            item["status"] = self.service_status(row, now)
            services.append(item)
        envs = []
        for row in sorted(self.envs.values(), key=lambda item: item["id"]):
            item = dict(row)
            table = self.apps if row["resource_type"] == "application" else self.services
            owner = table.get(row["resource_id"])
            item["resource_uuid"] = owner["uuid"] if owner else None
            envs.append(item)
        deployments = []
        for row in sorted(self.deployments.values(), key=lambda item: item["id"]):
            item = stamp(row)
            app = self.apps.get(row["application_id"])
            item["application_uuid"] = app["uuid"] if app else None
            deployments.append(item)
        return json.loads(json.dumps({
            "now": now, "settings": self.settings.as_dict(), "teams": list(self.teams.values()), "tokens": self.tokens,
            "servers": list(self.servers.values()), "projects": list(self.projects.values()),
            "environments": list(self.environments.values()), "tags": list(self.tags.values()),
            "applications": apps, "services": services, "envs": envs, "deployments": deployments,
            "jobs": [dict(job) for job in self.jobs],
            "pending_status_changes": [{"kind": key[0], "id": key[1], "at": [entry[0] for entry in entries],
                                        "status": [entry[2] for entry in entries]} for key, entries in self.pending.items()],
        }, default=str))


def split_status(status):
    status = str(status or "exited")
    if "(" in status:
        status = status.replace(" (", ":").replace(")", "")
    state, _colon, health = status.partition(":")
    return state, health.split(":")[0] if health else ""


def aggregate(statuses):
    """Combine container statuses the way ContainerStatusAggregator does for services."""
    parts = [split_status(status) for status in statuses]
    states = [part[0] for part in parts]
    healths = [part[1] for part in parts]
    if any(state in ("restarting", "dead", "removing", "degraded") for state in states):
        return "degraded:unhealthy"
    has_running = "running" in states
    has_exited = "exited" in states
    if has_running and has_exited:
        return "degraded:unhealthy"
    if has_running and all(state == "running" for state in states):
        if "unhealthy" in healths:
            return "running:unhealthy"
        if any(health in ("unknown", "") for health in healths):
            return "running:unknown"
        return "running:healthy"
    if any(state in ("starting", "created") for state in states):
        return "starting:unknown"
    if any(state == "paused" for state in states):
        return "paused:unknown"
    if all(state == "exited" for state in states):
        return "exited"
    if has_running:
        return "degraded:unhealthy"
    return "exited"
