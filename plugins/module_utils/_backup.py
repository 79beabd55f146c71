# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""On-demand database backups (coolify_database_backup): plan, trigger ``backup_now``, follow the execution it made.

``backup_now`` is not idempotent and returns no execution id (API-NOTES §15.4, §15.7), so:

* the execution uuids of the configuration are read before the trigger; an execution this request started is one
  whose uuid was not there before (and, as a second check, created no earlier than the send less a clock margin);
* a lost answer is never resent: the executions are read instead, and when none appears the outcome is unknown;
* a run is done when every new execution is ``success`` or ``failed`` and either the last one has ``finished_at``
  (Coolify writes it only on the run's last execution) or there is one execution per database name of the run;
* under ``save_s3``, a successful execution whose S3 upload failed fails the database.
"""

from __future__ import annotations

import datetime
import time

from ansible_collections.coolops.coolify.plugins.module_utils._errors import (
    AuthenticationError,
    ConfigurationError,
    CoolifyError,
    InvalidResponseError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
)
from ansible_collections.coolops.coolify.plugins.module_utils._evidence import parse_time
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle_plan import fail_limit_exceeded, short_text
from ansible_collections.coolops.coolify.plugins.module_utils._waits import poll_delays
from ansible_collections.coolops.coolify.plugins.module_utils._module import merge_argument_specs, selector_argument_spec
from ansible_collections.coolops.coolify.plugins.module_utils._redact import public_fields, strip_sensitive
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import resolve
from ansible_collections.coolops.coolify.plugins.module_utils import _status

SKIPPED_NO_CONFIG = "skipped: no backup configured"
TERMINAL = ("success", "failed")
# Seconds Coolify's clock may be behind this host's when judging an execution's created_at.
CLOCK_SKEW = 5.0
_FATAL = (AuthenticationError, PermissionDeniedError, ConfigurationError)


def backup_argument_spec():
    spec = merge_argument_specs(selector_argument_spec(), dict(
        require_backup=dict(type="bool", default=False),
        max_workers=dict(type="int", default=10),
        wait_timeout=dict(type="float", default=3600.0),
        poll_interval=dict(type="float", default=2.0),
        max_fail_percentage=dict(type="float"),
        max_resources=dict(type="int"),
    ))
    spec["uuids"]["aliases"] = ["database_uuids"]
    return spec


def _type_key(text):
    """``standalone-postgresql`` and ``App\\Models\\StandalonePostgresql`` both give ``standalonepostgresql``."""
    return str(text or "").rsplit("\\", maxsplit=1)[-1].replace("-", "").replace("_", "").lower()


def own_configs(database, configs):
    """The backup configurations that really belong to ``database``.

    Coolify matches configurations on the numeric database id alone, so a database of another type with the same id
    shows them too (API-NOTES §14.2). KeyDB items lack ``database_type``, and KeyDB has no backups.
    """
    wanted = _type_key(database.get("database_type") or "standalone-keydb")
    return [cfg for cfg in configs or [] if isinstance(cfg, dict) and _type_key(cfg.get("database_type")) == wanted]


def pick_config(configs):
    """The configuration to run: the only one, else the newest enabled one (Coolify lists newest first)."""
    if not configs:
        return None
    enabled = [cfg for cfg in configs if cfg.get("enabled", True)]
    return (enabled or configs)[0]


def expected_executions(database, config):
    """How many executions one run creates: one per database name (MongoDB's are separated by ``|``, the others' by
    a comma; API-NOTES §15.3, §15.6); ``dump_all`` and an empty list count as one."""
    if config.get("dump_all"):
        return 1
    separator = "|" if _type_key(database.get("database_type")) == "standalonemongodb" else ","
    names = [name for name in str(config.get("databases_to_backup") or "").split(separator) if name.strip()]
    return max(1, len(names))


def s3_failures(config, executions):
    """The successful executions whose S3 upload failed, when ``config`` saves to S3 (API-NOTES §15.6: the execution
    stays ``success``, with ``s3_uploaded`` false and a warning in its message)."""
    if not config.get("save_s3"):
        return []
    return [e for e in executions if e.get("status") == "success" and (
        e.get("s3_uploaded") is False or "s3 upload failed" in str(e.get("message") or "").lower())]


def _executions(config):
    return [e for e in (config.get("executions") or []) if isinstance(e, dict)]


def new_executions(config, known, sent_wall, skew=CLOCK_SKEW):
    """Executions of ``config`` this request started: not ``known`` before, and not created before the send."""
    since = datetime.datetime.fromtimestamp(float(sent_wall) - float(skew), tz=datetime.timezone.utc)
    found = []
    for execution in _executions(config):
        if execution.get("uuid") in known:
            continue
        created = parse_time(execution.get("created_at"))
        if created is not None and created < since:
            continue
        found.append(execution)
    found.reverse()  # oldest first
    return found


def run_finished(executions, expected):
    if not executions or any(e.get("status") not in TERMINAL for e in executions):
        return False
    return len(executions) >= expected or any(e.get("finished_at") for e in executions)


def _duration(execution, fallback):
    start, end = parse_time(execution.get("created_at")), parse_time(execution.get("finished_at"))
    if start is not None and end is not None and end >= start:
        return round((end - start).total_seconds(), 3)
    return round(fallback, 3)


def new_item(database, require_backup, check_mode):
    """The planned entry for one database; ``_config`` is set when a backup would be sent."""
    configs = own_configs(database, database.get("backup_configs"))
    config = pick_config(configs)
    status = database.get("status")
    item = {
        "uuid": database.get("uuid"), "name": database.get("name"), "database_type": database.get("database_type"),
        "backup_uuid": None, "execution_uuid": None, "status": None, "size": None, "filename": None,
        "duration_seconds": None, "executions": [], "changed": False, "failed": False, "skipped": False,
        "reason": None, "error": None,
    }
    name = database.get("name") or database.get("uuid")
    if config is None:
        item["skipped"] = True
        item["reason"] = SKIPPED_NO_CONFIG
        if require_backup:
            item["failed"] = True
            item["error"] = "Database %s has no backup configured, and require_backup is true." % name
        return item
    item["backup_uuid"] = config.get("uuid")
    if not _status.is_running(status):
        item["failed"] = True
        item["reason"] = "not running (%s)" % (status or "unknown")
        item["error"] = ("Database %s is not running (%s), and Coolify skips the backup of a database that is not "
                         "running." % (name, status or "status unknown"))
        return item
    item["_config"] = config
    item["changed"] = True
    item["reason"] = "%s with backup configuration %s (%s)" % (
        "would back up" if check_mode else "back up", config.get("uuid"), config.get("frequency") or "no schedule")
    return item


class _Worker(object):
    """Triggers one database's backup and follows the executions it started; touches only its own item."""

    def __init__(self, client, opts, clock=None, sleep=None, wall=None):
        self.client = client
        self.opts = opts
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.wall = wall or time.time

    def _config(self, uuid, backup_uuid):
        for config in self.client.database_backups(uuid):
            if isinstance(config, dict) and config.get("uuid") == backup_uuid:
                return config
        raise NotFoundError("Backup configuration %s of database %s no longer exists." % (backup_uuid, uuid))

    def work(self, item):
        started = self.clock()
        item["changed"] = False  # until Coolify accepted the request (or may have)
        try:
            self._work(item, started)
        except CoolifyError as exc:
            self._fail(item, "Could not back up database %s: %s." % (item["name"] or item["uuid"], str(exc).rstrip(".")))
        item.pop("_config", None)
        return item

    def _fail(self, item, error):
        item["failed"] = True
        item["error"] = error

    def _work(self, item, started):
        uuid, name, backup_uuid = item["uuid"], item["name"] or item["uuid"], item["backup_uuid"]
        before = self._config(uuid, backup_uuid)
        busy = [e for e in _executions(before) if e.get("status") == "running"]
        if busy:
            self._fail(item, "A backup of database %s is already running (execution %s); Coolify would drop a second "
                             "one, so none was started." % (name, busy[0].get("uuid")))
            return
        known = set(e.get("uuid") for e in _executions(before))
        expected = expected_executions(item, before)
        sent_wall = self.wall()
        unknown = None
        try:
            self.client.backup_now(uuid, backup_uuid)
        except OutcomeUnknownError as exc:
            unknown = exc  # maybe applied: look for the execution, never resend
        except InvalidResponseError as exc:
            if exc.status is None or not 200 <= exc.status < 300:
                raise
            unknown = exc
        item["changed"] = True
        deadline = started + float(self.opts["wait_timeout"])
        delays = poll_delays(self.opts["poll_interval"])
        found = []
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                break
            self.sleep(min(next(delays), remaining))
            try:
                found = new_executions(self._config(uuid, backup_uuid), known, sent_wall)
            except _FATAL:
                raise
            except CoolifyError:
                continue
            self._report(item, found, started)
            if run_finished(found, expected):
                break
        self._conclude(item, found, expected, unknown, name, before)

    def _report(self, item, found, started):
        item["executions"] = [public_fields(e, "backup_execution") for e in found]
        if not found:
            return
        item["execution_uuid"] = found[0].get("uuid")
        item["filename"] = found[0].get("filename")
        sizes = [e.get("size") for e in found if isinstance(e.get("size"), int)]
        item["size"] = sum(sizes) if sizes else None
        statuses = [e.get("status") for e in found]
        item["status"] = "failed" if "failed" in statuses else ("running" if "running" in statuses else "success")
        item["duration_seconds"] = _duration(found[-1] if found[-1].get("finished_at") else found[0],
                                             self.clock() - started)

    def _conclude(self, item, found, expected, unknown, name, config):
        if not found:
            if unknown is not None:
                self._fail(item, "The backup request for database %s got no answer (%s) and no backup execution appeared "
                                 "within %gs; it was not sent again, so the outcome is unknown." % (
                                     name, short_text(unknown, 80), self.opts["wait_timeout"]))
            else:
                self._fail(item, "Coolify accepted the backup of database %s, but no backup execution appeared within "
                                 "%gs (Coolify skips a database that is not running and drops a run while another of the "
                                 "same configuration is going)." % (name, self.opts["wait_timeout"]))
            return
        failed = [e for e in found if e.get("status") == "failed"]
        if failed:
            message = short_text(strip_sensitive(failed[0].get("message") or ""), 120)
            self._fail(item, "The backup of database %s failed (execution %s%s)." % (
                name, failed[0].get("uuid"), ": " + message if message else ""))
        elif not run_finished(found, expected):
            self._fail(item, "The backup of database %s did not finish within %gs (execution %s is still %s)." % (
                name, self.opts["wait_timeout"], found[-1].get("uuid"), found[-1].get("status")))
        elif s3_failures(config, found):
            bad = s3_failures(config, found)[0]
            message = short_text(strip_sensitive(bad.get("message") or ""), 120)
            self._fail(item, "The backup of database %s was made but not uploaded to S3, though save_s3 is on "
                             "(execution %s%s)." % (name, bad.get("uuid"), ": " + message if message else ""))
        item["reason"] = "backup %s (configuration %s)" % (item["status"] or "unknown", item["backup_uuid"])


def summarize(items):
    total = len(items)
    failed = sum(1 for item in items if item["failed"])
    skipped = sum(1 for item in items if item["skipped"] and not item["failed"])
    backed_up = sum(1 for item in items if item["status"] == "success" and not item["failed"])
    return dict(total=total, backed_up=backed_up, skipped=skipped, failed=failed, ok=total - failed)


def build_msg(items, summary, check_mode):
    if check_mode:
        text = "would back up %d of %d databases" % (sum(1 for item in items if item["changed"]), summary["total"])
    else:
        text = "backed up %d of %d databases" % (summary["backed_up"], summary["total"])
    no_config = sum(1 for item in items if item["reason"] == SKIPPED_NO_CONFIG and not item["failed"])
    if no_config:
        text += " (%d %s)" % (no_config, SKIPPED_NO_CONFIG)
    not_attempted = sum(1 for item in items if item["skipped"] and str(item["reason"]).startswith("not attempted"))
    if not_attempted:
        text += "; %d not attempted" % not_attempted
    failed = [item for item in items if item["failed"]]
    if failed:
        text += "; %d failed: %s" % (len(failed), " ".join(item["error"] for item in failed[:5]))
        if len(failed) > 5:
            text += " And %d more." % (len(failed) - 5)
    return text


def validate(params):
    """The option rule _module.check_numbers (which already refused max_workers, wait_timeout and poll_interval below
    their minimums) does not cover."""
    mfp = params.get("max_fail_percentage")
    if mfp is not None and not 0 <= mfp <= 100:
        raise ConfigurationError("Invalid options: max_fail_percentage must be between 0 and 100.")


def run_backups(client, databases, params, check_mode=False, clock=None, sleep=None, wall=None):
    items = [new_item(db, params["require_backup"], check_mode) for db in databases]
    todo = [item for item in items if "_config" in item]
    missing = [item for item in items if item["failed"] and item["reason"] == SKIPPED_NO_CONFIG]
    if missing:
        # require_backup: refuse before any backup starts, so the run stops where nothing has happened yet.
        for item in todo:
            item["changed"] = False
            item["skipped"] = True
            item["reason"] = "not attempted (require_backup: %s without a backup configuration)" % (
                ", ".join(str(m["name"] or m["uuid"]) for m in missing))
        todo = []
    if not check_mode and todo:
        worker = _Worker(client, params, clock=clock, sleep=sleep, wall=wall)
        for outcome in run_batch(todo, worker.work, max_workers=params["max_workers"]):
            item = outcome.item
            item.pop("_config", None)
            if not outcome.attempted:
                item["changed"] = False
                item["skipped"] = True
                item["reason"] = "not attempted (the run was interrupted)"
            elif outcome.error is not None:
                item["failed"] = True
                item["error"] = "Unexpected %s while backing up database %s: %s" % (
                    type(outcome.error).__name__, item["name"], outcome.error)
    for item in items:
        item.pop("_config", None)
    summary = summarize(items)
    return {
        "changed": any(item["changed"] for item in items),
        "failed": fail_limit_exceeded(summary["failed"], summary["total"], params.get("max_fail_percentage")),
        "msg": build_msg(items, summary, check_mode),
        "databases": items,
        "summary": summary,
    }


def run_database_backup(cm):
    """coolify_database_backup's run(cm)."""
    params = cm.params
    validate(params)
    databases = resolve(cm.client, "database", params)
    return run_backups(cm.client, databases, params, check_mode=cm.check_mode)
