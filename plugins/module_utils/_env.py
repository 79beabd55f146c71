# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Environment variables (coolify_env): read, plan, then apply with one bulk write per resource, roll back on
failure, and restart what changed; plus the module's run(cm).

The pure parts are in ``_env_input`` (the option) and ``_env_plan`` (what to write and how to restore). Values stay
in this file's memory (the snapshot for rollback included) and never reach the result.
"""

from __future__ import annotations

import time

from ansible_collections.coolops.coolify.plugins.module_utils._env_input import EnvInputError, row_label, validate_input
from ansible_collections.coolops.coolify.plugins.module_utils._env_plan import (
    blind_rows,
    hidden_value_messages,
    plan_cleanup,
    plan_resource,
    plan_restore,
    secrets_of,
)
from ansible_collections.coolops.coolify.plugins.module_utils._errors import CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import run_lifecycle
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle_plan import validate_options
from ansible_collections.coolops.coolify.plugins.module_utils._redact import mask
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import resolve

OUTCOMES = ("written", "rolled_back", "failed", "untouched")


class _EnvRun(object):
    """State of one coolify_env run, kept on the main thread; workers only return values."""

    def __init__(self, client, kind, params, check_mode, clock, sleep):
        self.client = client
        self.kind = kind
        self.params = params
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep
        self.max_workers = int(params.get("max_workers") or 10)
        self.secrets = set()
        self.warnings = []

    def error_text(self, exc):
        text = str(exc) if isinstance(exc, CoolifyError) else "%s: %s" % (type(exc).__name__, exc)
        return mask(text, self.secrets)


def apply_env(client, kind, resources, params, check_mode=False, diff=False, clock=None, sleep=None):
    """Plan and apply ``params["env"]`` on the resolved resources; returns the module result (``failed`` set on error).

    Nothing is written before every resource has been read and planned without error. Values stay in this function's
    memory (the snapshot for rollback included) and never reach the result.
    """
    run = _EnvRun(client, kind, params, check_mode, clock, sleep)
    state = params.get("state") or "present"
    scope = params.get("scope") or "production"
    hidden_values = params.get("hidden_values") or "update"
    try:
        desired, warnings = validate_input(kind, params)
    except EnvInputError as exc:
        return _input_failure(str(exc))
    run.warnings.extend(warnings)
    run.secrets = secrets_of(desired, [])

    # 1. read every resource's rows, concurrently; any failure stops the run before a write.
    reads = run_batch(resources, lambda resource: client.list_envs(kind, resource["uuid"]), max_workers=run.max_workers,
                      sleep=sleep or time.sleep)
    read_errors = [(outcome.item, outcome.error) for outcome in reads if outcome.error is not None or not outcome.attempted]
    if read_errors:
        return _read_failure(run, resources, read_errors)

    # 2. plan every resource (pure), then the hidden-value policy.
    try:
        plans = [plan_resource(kind, outcome.item, outcome.value, desired, state=state, scope=scope,
                               prune=bool(params.get("prune")), manage_service_keys=bool(params.get("manage_service_keys")),
                               hidden_values=hidden_values) for outcome in reads]
    except EnvInputError as exc:
        return _input_failure(str(exc))
    run.secrets = secrets_of(desired, plans)
    hidden_warnings, hidden_error = hidden_value_messages(plans, hidden_values)
    if hidden_error:
        return _input_failure(hidden_error, warnings=run.warnings)
    run.warnings.extend(hidden_warnings)
    if params.get("rollback") and not check_mode:
        blind = blind_rows(plans)
        if blind:
            run.warnings.append("rollback cannot restore variables whose previous value it could not read; if this run fails, "
                                "those keep their new value (or stay deleted): %s." % blind)

    entries = [_entry(plan) for plan in plans]
    changed_plans = [plan for plan in plans if plan.changed]
    restart = params.get("restart") == "changed"

    if check_mode:
        for entry, plan in zip(entries, plans):
            entry["changed"] = plan.changed
            entry["restarted"] = plan.changed and restart
        return _finish(run, plans, entries, diff, failed_msg=None)

    # 3. write: one bulk PATCH per resource (creates and updates, full flag set), then deletes by env uuid.
    by_uuid = dict((plan.uuid, entry) for plan, entry in zip(plans, entries))
    rollback = bool(params.get("rollback"))
    if rollback:
        # Waves of max_workers that halt at the first failing wave, so little needs undoing.
        writes = run_batch(changed_plans, lambda plan: _write(run, plan), strategy="rolling", max_workers=run.max_workers,
                           batch_size=run.max_workers, sleep=sleep or time.sleep)
    else:
        writes = run_batch(changed_plans, lambda plan: _write(run, plan), max_workers=run.max_workers, sleep=sleep or time.sleep)
    written = []
    write_failed = []
    interrupted = bool(getattr(writes, "interrupted", False))
    for outcome in writes:
        entry = by_uuid[outcome.item.uuid]
        if not outcome.attempted:
            entry["error"] = "not attempted: %s" % ("the run was interrupted" if interrupted else "an earlier write failed")
            continue
        value = outcome.value or {}
        if outcome.ok:
            entry["outcome"] = "written"
            entry["changed"] = True
            written.append(outcome.item)
            continue
        error = outcome.error if outcome.error is not None else value.get("error")
        entry.update(outcome="failed", failed=True, changed=bool(value.get("wrote")), error=run.error_text(error))
        write_failed.append(outcome.item)

    if (write_failed or interrupted) and rollback:
        _rollback(run, written + write_failed, by_uuid)
        return _finish(run, plans, entries, diff, failed_msg=_failure_msg(run, entries, "writing"))
    if interrupted:
        return _finish(run, plans, entries, diff, failed_msg=_failure_msg(run, entries, "writing (interrupted)"))

    # 4. restart the resources whose variables changed, with the batch modules' engine and options.
    restart_failed = False
    if restart and written:
        restart_failed = _restart(run, written, by_uuid)
        if restart_failed and rollback:
            _rollback(run, written, by_uuid, restart_again=True)
    if write_failed or restart_failed:
        phase = "writing" if write_failed else "restarting"
        return _finish(run, plans, entries, diff, failed_msg=_failure_msg(run, entries, phase))
    return _finish(run, plans, entries, diff, failed_msg=None)


def _entry(plan):
    return {
        "uuid": plan.uuid, "name": plan.name, "type": plan.kind, "outcome": "untouched", "changed": False, "failed": False,
        "added": plan.labels("added"), "updated": plan.labels("updated"), "removed": plan.labels("removed"),
        "unchanged": plan.labels("unchanged"), "skipped": plan.labels("skipped"), "restarted": False,
        "rolled_back": False, "error": None,
    }


def _write(run, plan):
    """Worker: never raises, so the caller knows whether anything was committed before a failure."""
    wrote = False
    try:
        if plan.items:
            run.client.bulk_update_envs(run.kind, plan.uuid, plan.items)
            wrote = True
        for _row_id, env_uuid in plan.deletes:
            run.client.delete_env(run.kind, plan.uuid, env_uuid)
            wrote = True
    except Exception as exc:  # noqa: BLE001 - reported per resource, then rolled back or summarised
        return {"failed": True, "error": exc, "wrote": wrote}
    return {"failed": False, "wrote": wrote}


def _restore(run, plan):
    """Worker: put the snapshot back for the rows this run touched, then delete rows it (or Coolify) added."""
    client = run.client
    current = client.list_envs(run.kind, plan.uuid)
    items, unrestorable = plan_restore(plan, current)
    if items:
        client.bulk_update_envs(run.kind, plan.uuid, items)
        current = client.list_envs(run.kind, plan.uuid)
    deletes = plan_cleanup(plan, current)
    for _row_id, env_uuid in deletes:
        client.delete_env(run.kind, plan.uuid, env_uuid)
    return {"unrestorable": [row_label(*row_id) for row_id in unrestorable]}


def _rollback(run, plans, by_uuid, restart_again=False):
    outcomes = run_batch(plans, lambda plan: _restore(run, plan), max_workers=run.max_workers, sleep=run.sleep or time.sleep)
    restored = []
    for outcome in outcomes:
        entry = by_uuid[outcome.item.uuid]
        value = outcome.value or {}
        if outcome.error is not None:
            problem = "rollback failed: %s" % run.error_text(outcome.error)
        elif value.get("unrestorable"):
            problem = "rollback could not restore %s (the previous values were unreadable)" % ", ".join(value["unrestorable"])
        else:
            problem = None
        if problem is None:
            entry["rolled_back"] = True
            entry["changed"] = False
            if entry["outcome"] != "failed":
                entry["outcome"] = "rolled_back"
            restored.append(outcome.item)
            continue
        entry["failed"] = True
        entry["changed"] = True
        entry["outcome"] = "failed"
        entry["error"] = "; ".join(part for part in (entry["error"], problem) if part)
    if restart_again:
        again = [plan for plan in restored if by_uuid[plan.uuid]["restarted"]]
        if again:
            # The restarted resources run the new values: restart them again so the restored values are live.
            _restart(run, again, by_uuid, label="restart after rollback")


def _restart(run, plans, by_uuid, label="restart"):
    """Restart through run_lifecycle; returns True when the lifecycle run failed (after max_fail_percentage)."""
    resources = [plan.resource for plan in plans]
    result = run_lifecycle(run.client, run.kind, resources, "restarted", run.params, check_mode=False, clock=run.clock,
                           sleep=run.sleep)
    for item in result.get("items") or []:
        entry = by_uuid.get(item.get("uuid"))
        if entry is None:
            continue
        if item.get("changed"):
            entry["restarted"] = True
        if item.get("failed"):
            entry["failed"] = True
            entry["outcome"] = "failed"
            problem = "%s failed: %s" % (label, mask(item.get("error") or item.get("reason") or "unknown error", run.secrets))
        elif item.get("skipped"):
            problem = "%s %s" % (label, item.get("reason") or "not attempted")
        else:
            continue
        entry["error"] = "; ".join(part for part in (entry["error"], problem) if part)
    return bool(result.get("failed"))


def _input_failure(msg, warnings=None):
    result = {"failed": True, "changed": False, "msg": msg, "resources": [], "summary": _summary([])}
    if warnings:
        result["warnings"] = list(warnings)
    return result


def _read_failure(run, resources, errors):
    by_uuid = dict((item["uuid"], error) for item, error in errors)
    entries = []
    for resource in resources:
        entry = {"uuid": resource.get("uuid"), "name": resource.get("name"), "type": run.kind, "outcome": "untouched",
                 "changed": False, "failed": False, "added": [], "updated": [], "removed": [], "unchanged": [],
                 "skipped": [], "restarted": False, "rolled_back": False, "error": None}
        if resource.get("uuid") in by_uuid:
            error = by_uuid[resource["uuid"]]
            entry["failed"] = True
            entry["error"] = run.error_text(error) if error is not None else "not attempted"
        entries.append(entry)
    first_item, first_error = errors[0]
    msg = "Reading the environment variables of %d of %d %ss failed, so nothing was written; first: %s (%s): %s" % (
        len(errors), len(resources), run.kind, first_item.get("name"), first_item.get("uuid"),
        run.error_text(first_error) if first_error is not None else "not attempted")
    result = {"failed": True, "changed": False, "msg": msg, "resources": entries, "summary": _summary(entries)}
    if run.warnings:
        result["warnings"] = run.warnings
    return result


def _summary(entries):
    summary = {"total": len(entries)}
    for name in ("changed", "failed", "restarted"):
        summary[name] = sum(1 for entry in entries if entry.get(name))
    for name in OUTCOMES:
        summary[name] = sum(1 for entry in entries if entry.get("outcome") == name)
    for name in ("added", "updated", "removed", "unchanged", "skipped"):
        summary["keys_" + name] = sum(len(entry.get(name) or []) for entry in entries)
    return summary


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def _failure_msg(run, entries, phase):
    failed = [entry for entry in entries if entry["failed"]]
    first = failed[0] if failed else None
    summary = _summary(entries)
    text = "%s failed on %d of %d %ss" % (phase.capitalize(), len(failed), len(entries), run.kind)
    if first is not None:
        text += " (first: %s (%s): %s)" % (first["name"], first["uuid"], first["error"])
    text += "; %d written, %d rolled back, %d untouched." % (summary["written"], summary["rolled_back"], summary["untouched"])
    return text


def _finish(run, plans, entries, diff, failed_msg):
    summary = _summary(entries)
    changed = any(entry["changed"] or entry["restarted"] for entry in entries)
    if failed_msg is not None:
        msg = failed_msg
    else:
        verb = "Would change" if run.check_mode else "Changed"
        if not summary["changed"]:
            msg = "All %s already match (%s compared)." % (_plural(summary["total"], run.kind), _plural(summary["keys_unchanged"], "variable"))
        else:
            msg = "%s %d of %s: %d variable(s) %s, %d %s, %d %s" % (
                verb, summary["changed"], _plural(summary["total"], run.kind), summary["keys_added"],
                "to add" if run.check_mode else "added", summary["keys_updated"], "to update" if run.check_mode else "updated",
                summary["keys_removed"], "to remove" if run.check_mode else "removed")
            if run.params.get("restart") == "changed":
                msg += "; %d %s" % (summary["restarted"], "to restart" if run.check_mode else "restarted")
            msg += "."
    result = {"changed": changed, "failed": failed_msg is not None, "msg": msg, "resources": entries, "summary": summary}
    if diff:
        before = {}
        after = {}
        for plan in plans:
            if plan.changed:
                name = "%s (%s)" % (plan.name, plan.uuid)
                before[name], after[name] = plan.diff()
        result["diff"] = {"before": before, "after": after}
    if run.warnings:
        result["warnings"] = list(run.warnings)
    return result


def run_env(cm):
    """coolify_env's run(cm): validate the input, resolve the selectors, then apply_env."""
    params = cm.params
    kind = params.get("resource_type") or "application"
    try:
        validate_input(kind, params)
    except EnvInputError as exc:
        return _input_failure(str(exc))
    if params.get("restart") == "changed":
        validate_options(kind, "restarted", params)
    resources = resolve(cm.client, kind, params)
    return apply_env(cm.client, kind, resources, params, check_mode=cm.check_mode, diff=cm.diff_mode)
