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

from ansible_collections.coolops.coolify.plugins.module_utils._env_apply import client_store, restore_plans, write_plan
from ansible_collections.coolops.coolify.plugins.module_utils._env_input import EnvInputError, validate_input
from ansible_collections.coolops.coolify.plugins.module_utils._env_plan import (
    blind_rows,
    hidden_value_messages,
    plan_resource,
    secrets_of,
)
from ansible_collections.coolops.coolify.plugins.module_utils._errors import CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import run_lifecycle
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle_plan import (
    items_with_entries,
    restart_failure,
    validate_options,
)
from ansible_collections.coolops.coolify.plugins.module_utils._redact import mask_quoted
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import resolve, resolve_kinds

OUTCOMES = ("written", "rolled_back", "failed", "unknown", "untouched")


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
        self.causes = {}  # uuid -> the first failure of that resource: one API error, for the task's msg

    def error_text(self, exc):
        """A CoolifyError's text as is (the transport already masked what the API quoted back); anything else may quote
        a value, so its text is masked or withheld (mask_quoted), never the uuids and names around it."""
        if isinstance(exc, CoolifyError):
            return str(exc)
        return "%s: %s" % (type(exc).__name__, mask_quoted(exc, self.secrets))


def _kind_scope(params, kind, several):
    """The scope a kind's rows are managed in: with several kinds, only applications have preview rows."""
    scope = params.get("scope") or "production"
    return scope if kind == "application" or not several else "production"


def apply_env(client, kind, resources, params, check_mode=False, diff=False, clock=None, sleep=None):
    """Plan and apply ``params["env"]`` on the resolved resources; returns the module result (``failed`` set on error).

    ``kind`` is one kind for every resource, or None when ``resources`` are ``(kind, resource)`` pairs of several kinds:
    then the run is one unit (one rollback, restarts kind by kind). Nothing is written before every resource has been
    read and planned without error. Values stay in this function's memory (the snapshot for rollback included) and
    never reach the result.
    """
    pairs = list(resources) if kind is None else [(kind, resource) for resource in resources]
    kinds = sorted(set(pair[0] for pair in pairs)) if kind is None else [kind]
    several = kind is None
    run = _EnvRun(client, kind or "resource", params, check_mode, clock, sleep)
    state = params.get("state") or "present"
    hidden_values = params.get("hidden_values") or "update"
    try:
        for one in kinds:
            desired, warnings = validate_input(one, dict(params, scope=_kind_scope(params, one, several)))
    except EnvInputError as exc:
        return _input_failure(str(exc))
    run.warnings.extend(warnings)
    run.secrets = secrets_of(desired, [])

    # 1. read every resource's rows, concurrently; any failure stops the run before a write.
    reads = run_batch(pairs, lambda pair: client.list_envs(pair[0], pair[1]["uuid"]), max_workers=run.max_workers,
                      sleep=sleep or time.sleep)
    read_errors = [(outcome.item, outcome.error) for outcome in reads if outcome.error is not None or not outcome.attempted]
    if read_errors:
        return _read_failure(run, pairs, read_errors)

    # 2. plan every resource (pure), then the hidden-value policy.
    try:
        plans = [plan_resource(outcome.item[0], outcome.item[1], outcome.value, desired, state=state,
                               scope=_kind_scope(params, outcome.item[0], several), prune=bool(params.get("prune")),
                               manage_service_keys=bool(params.get("manage_service_keys")),
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
    store = client_store(client, kind)  # kind None: each plan's own kind
    if rollback:
        # Waves of max_workers that halt at the first failing wave, so little needs undoing; the deletes (which only a
        # rollback's recreate can undo) run only once every upsert wave has succeeded.
        failed, interrupted = _write_phase(run, store, [plan for plan in changed_plans if plan.items], by_uuid,
                                           delete=False)
        if not failed and not interrupted:
            failed, interrupted = _write_phase(run, store, [plan for plan in changed_plans if plan.deletes], by_uuid,
                                               upsert=False)
        else:
            for plan in changed_plans:
                if plan.deletes and by_uuid[plan.uuid]["error"] is None:
                    _append_error(by_uuid[plan.uuid], "deletes not attempted: an upsert failed")
    else:
        failed, interrupted = _write_phase(run, store, changed_plans, by_uuid, rolling=False)
    touched = [plan for plan in changed_plans if by_uuid[plan.uuid]["outcome"] != "untouched"]
    maybe_written = [plan for plan in changed_plans if by_uuid[plan.uuid]["changed"]]

    if (failed or interrupted) and rollback:
        _rollback(run, store, touched, by_uuid)
        return _finish(run, plans, entries, diff, failed_msg=_failure_msg(run, entries, "writing"))
    if interrupted:
        return _finish(run, plans, entries, diff, failed_msg=_failure_msg(run, entries, "writing (interrupted)"))

    # 4. restart the resources whose variables changed or may have changed, with the batch modules' engine and options.
    restart_failed = False
    if restart and maybe_written:
        restart_failed = _restart(run, maybe_written, by_uuid)
        if restart_failed and rollback:
            _rollback(run, store, maybe_written, by_uuid, restart_again=True)
    if failed or restart_failed:
        phase = "writing" if failed else "restarting"
        return _finish(run, plans, entries, diff, failed_msg=_failure_msg(run, entries, phase))
    return _finish(run, plans, entries, diff, failed_msg=None)


def _entry(plan):
    return {
        "uuid": plan.uuid, "name": plan.name, "type": plan.kind, "outcome": "untouched", "changed": False, "failed": False,
        "added": plan.labels("added"), "updated": plan.labels("updated"), "removed": plan.labels("removed"),
        "unchanged": plan.labels("unchanged"), "skipped": plan.labels("skipped"), "restarted": False,
        "rolled_back": False, "settled": None, "not_restored": [], "error": None,
    }


def _append_error(entry, problem, run=None):
    """Add ``problem`` to the entry's error; with ``run``, it is a failure, and the first one becomes its cause."""
    entry["error"] = "; ".join(part.rstrip(". ") for part in (entry["error"], problem) if part)
    if run is not None:
        run.causes.setdefault(entry["uuid"], problem.rstrip(". "))


# What a re-read after a failed write showed, as the end of the resource's error.
SETTLED = {
    "not_written": "re-reading the variables showed that nothing was written",
    "partly": "re-reading the variables showed that it was partly written",
    "unknown": "the outcome is unknown: re-reading the variables could not show whether it was written, so it counts "
               "as changed",
}


# The same, in the task's msg.
SETTLED_SHORT = {
    "not_written": "re-reading showed nothing written",
    "partly": "re-reading showed it partly written",
    "unknown": "re-reading could not settle it",
}


def _write_phase(run, store, plans, by_uuid, upsert=True, delete=True, rolling=True):
    """Write ``plans`` (in rolling waves when ``rolling``) and record each outcome; returns (failed, interrupted)."""
    def worker(plan):
        return write_plan(store, plan, upsert=upsert, delete=delete)

    if rolling:
        writes = run_batch(plans, worker, strategy="rolling", max_workers=run.max_workers, batch_size=run.max_workers,
                           sleep=run.sleep or time.sleep)
    else:
        writes = run_batch(plans, worker, max_workers=run.max_workers, sleep=run.sleep or time.sleep)
    interrupted = bool(getattr(writes, "interrupted", False))
    for outcome in writes:
        entry = by_uuid[outcome.item.uuid]
        if not outcome.attempted:
            _append_error(entry, "not attempted: %s" % ("the run was interrupted" if interrupted else "an earlier write failed"))
            continue
        value = outcome.value or {"failed": True, "error": outcome.error, "settled": "unknown"}
        if not value.get("failed"):
            entry.update(outcome="written", changed=True)
            if value.get("settled"):
                entry["settled"] = value["settled"]
                run.warnings.append("An answer to writing the variables of %s (%s) was an error, but re-reading them "
                                    "showed the write had been applied." % (entry["name"], entry["uuid"]))
            continue
        state = value.get("settled") or "unknown"
        if state == "not_written" and entry["outcome"] == "written":
            state = "partly"  # the upsert wave had written it
        entry.update(settled=state, failed=True, changed=state != "not_written",
                     outcome="unknown" if state == "unknown" else "failed")
        text = run.error_text(value.get("error")).rstrip(". ")
        run.causes.setdefault(entry["uuid"], "%s; %s" % (text, SETTLED_SHORT[state]))
        _append_error(entry, "%s; %s" % (text, SETTLED[state]))
    return any(by_uuid[outcome.item.uuid]["failed"] for outcome in writes), interrupted


def _rollback(run, store, plans, by_uuid, restart_again=False):
    """Restore the snapshot of ``plans`` (retried in bounded rounds); list what stays changed on each entry."""
    reports = restore_plans(store, plans, max_workers=run.max_workers, sleep=run.sleep)
    restored = []
    for plan in plans:
        entry = by_uuid[plan.uuid]
        report = reports[plan.uuid]
        remaining = report["not_restored"]
        entry["not_restored"] = [label for label, _how in remaining]
        if not remaining:
            entry["rolled_back"] = True
            entry["changed"] = False
            if entry["outcome"] == "written":
                entry["outcome"] = "rolled_back"
            elif entry["outcome"] == "unknown":
                entry["outcome"] = "failed"  # the restore read the rows and put the snapshot back
            restored.append(plan)
            continue
        entry.update(failed=True, changed=True)
        if entry["outcome"] != "unknown":
            entry["outcome"] = "unknown" if any(how == "unknown" for _label, how in remaining) else "failed"
        if report["error"] is not None:
            _append_error(entry, "rollback failed: %s" % run.error_text(report["error"]), run)
        _append_error(entry, "not restored: %s" % _describe(remaining), run)
    if restart_again:
        again = [plan for plan in restored if by_uuid[plan.uuid]["restarted"]]
        if again:
            # The restarted resources run the new values: restart them again so the restored values are live.
            _restart(run, again, by_uuid, label="restart after rollback")


def _describe(remaining):
    """``API_KEY (changed), OLD_KEY (deleted)``: keys only, never values."""
    return ", ".join("%s (%s)" % (label, how) for label, how in remaining)


def _restart(run, plans, by_uuid, label="restart"):
    """Restart through run_lifecycle, kind by kind in the order of the plans (a failed kind halts the later ones);
    returns True when a lifecycle run failed (after max_fail_percentage)."""
    kinds = []
    for plan in plans:
        if plan.kind not in kinds:
            kinds.append(plan.kind)
    for number, kind in enumerate(kinds):
        if _restart_kind(run, kind, [plan for plan in plans if plan.kind == kind], by_uuid, label):
            for plan in plans:
                if plan.kind in kinds[number + 1:]:
                    _append_error(by_uuid[plan.uuid], "%s not attempted: restarting the %ss failed" % (label, kind))
            return True
    return False


def _restart_kind(run, kind, plans, by_uuid, label):
    resources = [plan.resource for plan in plans]
    result = run_lifecycle(run.client, kind, resources, "restarted", run.params, check_mode=False, clock=run.clock,
                           sleep=run.sleep)
    for item, entry in items_with_entries(result, by_uuid):
        if item.get("changed"):
            entry["restarted"] = True
        if item.get("failed"):
            entry["failed"] = True
            entry["outcome"] = "failed"
            problem = restart_failure(label, item)  # never masked: it cannot quote a value
        elif item.get("skipped"):
            problem = "%s %s" % (label, item.get("reason") or "not attempted")
        else:
            continue
        _append_error(entry, problem, run if item.get("failed") else None)
    return bool(result.get("failed"))


def _input_failure(msg, warnings=None):
    result = {"failed": True, "changed": False, "msg": msg, "resources": [], "summary": _summary([])}
    if warnings:
        result["warnings"] = list(warnings)
    return result


def _read_failure(run, pairs, errors):
    by_uuid = dict((item[1]["uuid"], error) for item, error in errors)
    entries = []
    for kind, resource in pairs:
        entry = {"uuid": resource.get("uuid"), "name": resource.get("name"), "type": kind, "outcome": "untouched",
                 "changed": False, "failed": False, "added": [], "updated": [], "removed": [], "unchanged": [],
                 "skipped": [], "restarted": False, "rolled_back": False, "settled": None, "not_restored": [],
                 "error": None}
        if resource.get("uuid") in by_uuid:
            error = by_uuid[resource["uuid"]]
            entry["failed"] = True
            entry["error"] = run.error_text(error) if error is not None else "not attempted"
        entries.append(entry)
    (_kind, first_item), first_error = errors[0]
    msg = "Reading the environment variables of %d of %d %ss failed, so nothing was written; first: %s (%s): %s" % (
        len(errors), len(pairs), run.kind, first_item.get("name"), first_item.get("uuid"),
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
    for name in ("added", "updated", "removed", "unchanged", "skipped", "not_restored"):
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
        # One cause (the first API error), not the entry's whole chain: each nested error names its host again.
        text += " (first: %s (%s): %s)" % (first["name"], first["uuid"], run.causes.get(first["uuid"]) or first["error"])
    text += "; %d written, %d rolled back, %d untouched" % (summary["written"], summary["rolled_back"], summary["untouched"])
    if summary["unknown"]:
        text += ", %d with an unknown outcome (counted as changed)" % summary["unknown"]
    remaining = ["%s (%s): %s" % (entry["name"], entry["uuid"], ", ".join(entry["not_restored"]))
                 for entry in entries if entry["not_restored"]]
    if remaining:
        # Every key, never shortened: this is what someone has to put right by hand.
        text += "; not restored: %s" % "; ".join(remaining)
    return text + "."


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
    """coolify_env's run(cm): validate the input, resolve the selectors, then apply_env (several resource_types: one
    run over all their resources, in the order given)."""
    params = cm.params
    kinds = list(params.get("resource_types") or [params.get("resource_type") or "application"])
    several = bool(params.get("resource_types"))
    try:
        if len(set(kinds)) != len(kinds):
            raise EnvInputError("resource_types lists a kind twice.")
        for kind in kinds:
            validate_input(kind, dict(params, scope=_kind_scope(params, kind, several)))
    except EnvInputError as exc:
        return _input_failure(str(exc))
    if params.get("restart") == "changed":
        for kind in kinds:
            validate_options(kind, "restarted", params)
    if not several:
        return apply_env(cm.client, kinds[0], resolve(cm.client, kinds[0], params), params, check_mode=cm.check_mode,
                         diff=cm.diff_mode)
    by_kind = resolve_kinds(cm.client, kinds, params)
    pairs = [(kind, resource) for kind in kinds for resource in by_kind[kind]]
    return apply_env(cm.client, None, pairs, params, check_mode=cm.check_mode, diff=cm.diff_mode)
