# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Environment variables of Coolify applications and services: planner, bulk writer and in-memory rollback.

Rows are matched on (key, is_preview), because Coolify stores the production and the preview value of a key as two
rows. Values never leave this file: plans, results, diffs, warnings and error texts carry keys and flags only.
"""

from __future__ import annotations

import re
import time

from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import run_lifecycle, validate_options
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import resolve

KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
MAX_KEY_LENGTH = 255
MAX_COMMENT_LENGTH = 256
MASK = "********"
# Coolify (Laravel TrimStrings and the model) trims values and stores "" as null; PHP trim() strips exactly these.
TRIM_CHARS = " \t\n\r\0\x0b"
SERVICE_KEY_PREFIX = "SERVICE_"
PREVIEW_SUFFIX = "@preview"

FLAGS = ("is_literal", "is_multiline", "is_shown_once", "is_runtime", "is_buildtime")
# Coolify's defaults for a new row (API-NOTES 6.4).
DEFAULT_FLAGS = {"is_literal": False, "is_multiline": False, "is_shown_once": False, "is_runtime": True, "is_buildtime": True}
SPEC_FIELDS = ("value",) + FLAGS + ("comment",)

SCOPES = ("production", "preview", "both")
STATES = ("present", "absent")
HIDDEN_POLICIES = ("update", "skip", "fail")
RESTART_CHOICES = ("none", "changed")

_TRUE_STRINGS = ("1", "true", "yes", "on", "y")
_FALSE_STRINGS = ("0", "false", "no", "off", "n")


class EnvInputError(ValueError):
    """Invalid module input, found before any write. The message is one sentence and never contains a value."""


class DesiredVar(object):
    """One entry of the ``env`` option: the value plus only the flags the user gave (the others are preserved)."""

    __slots__ = ("key", "value", "flags", "comment", "has_comment")

    def __init__(self, key, value=None, flags=None, comment=None, has_comment=False):
        self.key = key
        self.value = value
        self.flags = dict(flags or {})
        self.comment = comment
        self.has_comment = has_comment


def row_label(key, is_preview):
    """How a row is named in results, diffs and messages: ``KEY`` or ``KEY@preview`` (``@`` cannot occur in keys)."""
    return key + PREVIEW_SUFFIX if is_preview else key


def normalize_value(value):
    """The value as Coolify will store it: trimmed, with the empty string as null."""
    if value is None:
        return None
    value = value.strip(TRIM_CHARS)
    return value or None


def is_service_key(key):
    return key.startswith(SERVICE_KEY_PREFIX)


def _type_name(value):
    return type(value).__name__


def _to_bool(key, field, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE_STRINGS:
        return False
    raise EnvInputError("The %s flag of env key %s must be a boolean, not %s." % (field, key, _type_name(value)))


def validate_key(key):
    """Coolify's key rule (since 4.2.0), checked here for every version because a bulk write commits earlier items."""
    if not isinstance(key, str):
        raise EnvInputError("Env keys must be strings; got a %s key." % _type_name(key))
    if len(key) > MAX_KEY_LENGTH:
        raise EnvInputError("The env key %s... is longer than %d characters." % (key[:40], MAX_KEY_LENGTH))
    if not KEY_PATTERN.match(key):
        raise EnvInputError("The env key %r is invalid: it must start with a letter or underscore and contain only letters, "
                            "digits, underscores and dots." % key)


def _check_value(key, value, where="value"):
    if value is None or isinstance(value, str):
        return value
    # bool is refused like numbers: YAML turns yes/no/on/off into booleans, and a silent "True" would surprise.
    raise EnvInputError("The %s of env key %s is of type %s, but Coolify stores strings only; quote it in YAML "
                        "(write %s: \"...\" with the value in quotes)." % (where, key, _type_name(value), key))


def parse_env(env, state="present"):
    """Validate the ``env`` option and return (list of DesiredVar in key order, warnings).

    Values must be strings (or null): numbers and booleans are refused, never converted. For ``state=absent`` the
    values are ignored and only the keys are validated.
    """
    if env is None:
        env = {}
    if not isinstance(env, dict):
        raise EnvInputError("The env option must be a dictionary of KEY: value.")
    desired = []
    whitespace = []
    for key in sorted(env, key=str):
        validate_key(key)
        spec = env[key]
        if state == "absent":
            desired.append(DesiredVar(key))
            continue
        if isinstance(spec, dict):
            unknown = sorted(str(name) for name in spec if name not in SPEC_FIELDS)
            if unknown:
                raise EnvInputError("The env key %s has unknown field(s) %s; allowed are %s." % (
                    key, ", ".join(unknown), ", ".join(SPEC_FIELDS)))
            if "value" not in spec:
                raise EnvInputError("The env key %s is given as a dictionary without a value field." % key)
            value = _check_value(key, spec["value"])
            flags = {}
            for flag in FLAGS:
                if spec.get(flag) is not None:
                    flags[flag] = _to_bool(key, flag, spec[flag])
            has_comment = "comment" in spec
            comment = spec.get("comment")
            if comment is not None:
                comment = _check_value(key, comment, where="comment")
                if len(comment) > MAX_COMMENT_LENGTH:
                    raise EnvInputError("The comment of env key %s is longer than %d characters." % (key, MAX_COMMENT_LENGTH))
            item = DesiredVar(key, value, flags, comment, has_comment)
        else:
            item = DesiredVar(key, _check_value(key, spec))
        if item.value is not None and item.value != item.value.strip(TRIM_CHARS):
            whitespace.append(key)
        desired.append(item)
    warnings = []
    if whitespace:
        warnings.append("Coolify strips leading and trailing whitespace from env values; the values of %s will be stored "
                        "without it." % ", ".join(whitespace))
    return desired, warnings


def validate_input(kind, params):
    """Every check that needs no API call, so bad input fails before the first request; returns parse_env's result."""
    state = params.get("state") or "present"
    desired, warnings = parse_env(params.get("env"), state)
    managed_previews(kind, params.get("scope") or "production")
    if params.get("prune") and state != "present":
        raise EnvInputError("prune only applies to state=present.")
    if not params.get("manage_service_keys"):
        _check_service_keys(item.key for item in desired)
    return desired, warnings


def _check_service_keys(keys):
    listed = sorted(key for key in keys if is_service_key(key))
    if listed:
        raise EnvInputError("The env keys %s start with SERVICE_ and are generated by Coolify; set "
                            "manage_service_keys=true to manage them." % ", ".join(listed))


def managed_previews(kind, scope):
    """The is_preview values a run manages, preview first so a production create finds its preview row already there.

    Services have no preview rows, so any scope other than production is refused instead of silently ignored.
    """
    if scope not in SCOPES:
        raise EnvInputError("Unknown scope %r; use one of %s." % (scope, ", ".join(SCOPES)))
    if kind == "service":
        if scope != "production":
            raise EnvInputError("Coolify services have no preview environment variables; use scope=production with "
                                "resource_type=service.")
        return (False,)
    return {"production": (False,), "preview": (True,), "both": (True, False)}[scope]


def index_rows(kind, rows):
    """Rows by (key, is_preview). Service rows are keyed on the key alone: Coolify upserts them by key."""
    index = {}
    for row in rows or []:
        if not isinstance(row, dict) or not isinstance(row.get("key"), str):
            continue
        is_preview = False if kind == "service" else bool(row.get("is_preview"))
        index.setdefault((row["key"], is_preview), row)
    return index


def value_known(row):
    """Coolify omits ``value`` when the token lacks read:sensitive, and always for is_shown_once rows (>= 4.2.0)."""
    return "value" in row


def row_flags(row):
    """The row's flags, with Coolify's defaults for keys a freshly created row may lack."""
    return dict((flag, bool(row.get(flag, DEFAULT_FLAGS[flag]))) for flag in FLAGS)


def row_body(kind, key, is_preview, value, flags, comment):
    """A bulk item with the full flag set: Coolify resets is_literal (and may fail on is_multiline) when omitted."""
    body = {"key": key, "value": value, "is_preview": bool(is_preview) if kind == "application" else False}
    for flag in FLAGS:
        body[flag] = bool(flags[flag])
    body["comment"] = comment
    return body


class ResourcePlan(object):
    """What to do on one resource. ``rows`` is the snapshot read before writing, kept in memory only (for rollback)."""

    def __init__(self, resource, kind):
        self.resource = resource
        self.kind = kind
        self.uuid = resource.get("uuid")
        self.name = resource.get("name")
        self.rows = {}
        self.added = []
        self.updated = []
        self.removed = []
        self.unchanged = []
        self.skipped = []
        self.hidden = []
        self.items = []
        self.deletes = []
        self.changed_values = set()

    @property
    def changed(self):
        return bool(self.items or self.deletes)

    @property
    def touched_keys(self):
        return set(key for key, _preview in self.added + self.updated + self.removed)

    def labels(self, field):
        return [row_label(key, preview) for key, preview in getattr(self, field)]

    def diff(self):
        """Before/after of the touched and compared rows, every value masked; flags shown because they are not secret."""
        before = {}
        after = {}
        for row_id in self.updated + self.removed + self.unchanged:
            before[row_label(*row_id)] = _masked_row(self.rows.get(row_id))
        for item in self.items:
            row_id = (item["key"], bool(item["is_preview"]) if self.kind == "application" else False)
            entry = _masked_row(item)
            if row_id in self.changed_values:
                entry["value"] = MASK + " (changed)"
            after[row_label(*row_id)] = entry
        for row_id in self.unchanged:
            after[row_label(*row_id)] = _masked_row(self.rows.get(row_id))
        return before, after


def _masked_row(row):
    row = row or {}
    entry = {"value": MASK}
    entry.update(row_flags(row))
    entry["comment"] = row.get("comment")
    return entry


def _comment_differs(current, desired):
    return normalize_value(current) != normalize_value(desired)


def plan_resource(kind, resource, rows, desired, state="present", scope="production", prune=False,
                  manage_service_keys=False, hidden_values="update"):
    """Plan one resource from its current rows; pure (no I/O). Raises EnvInputError for input errors."""
    previews = managed_previews(kind, scope)
    plan = ResourcePlan(resource, kind)
    plan.rows = index_rows(kind, rows)
    wanted = set(item.key for item in desired)
    if not manage_service_keys:
        _check_service_keys(wanted)
    if prune and state != "present":
        raise EnvInputError("prune only applies to state=present.")

    if state == "absent":
        for is_preview in previews:
            for item in desired:
                _plan_delete(plan, (item.key, is_preview))
        return plan

    for is_preview in previews:
        for item in desired:
            _plan_present(plan, item, is_preview, hidden_values)
    if prune:
        for row_id in sorted(plan.rows):
            key, is_preview = row_id
            if is_preview not in previews or key in wanted:
                continue
            if is_service_key(key) and not manage_service_keys:
                continue
            _plan_delete(plan, row_id)
    return plan


def _plan_delete(plan, row_id):
    row = plan.rows.get(row_id)
    if row is None:
        return
    if not row.get("uuid"):
        raise EnvInputError("Coolify returned the env row %s of %s without a uuid, so it cannot be deleted." % (
            row_label(*row_id), plan.uuid))
    plan.removed.append(row_id)
    plan.deletes.append((row_id, row["uuid"]))


def _plan_present(plan, item, is_preview, hidden_values):
    row_id = (item.key, is_preview)
    row = plan.rows.get(row_id)
    if row is None:
        flags = dict(DEFAULT_FLAGS)
        flags.update(item.flags)
        plan.added.append(row_id)
        plan.changed_values.add(row_id)
        plan.items.append(row_body(plan.kind, item.key, is_preview, item.value, flags, item.comment))
        return
    current = row_flags(row)
    flags = dict(current)
    flags.update(item.flags)
    comment = item.comment if item.has_comment else row.get("comment")
    differs = flags != current or (item.has_comment and _comment_differs(row.get("comment"), item.comment))
    if not value_known(row):
        if hidden_values == "skip":
            plan.skipped.append(row_id)
            return
        plan.hidden.append(row_id)
        if hidden_values == "fail":
            return
        plan.changed_values.add(row_id)
    elif normalize_value(row.get("value")) != normalize_value(item.value):
        plan.changed_values.add(row_id)
    elif not differs:
        plan.unchanged.append(row_id)
        return
    plan.updated.append(row_id)
    plan.items.append(row_body(plan.kind, item.key, is_preview, item.value, flags, comment))


def hidden_reason(plans):
    """Why values were hidden: is_shown_once rows stay hidden for every token, others need read:sensitive."""
    shown_once = any(bool(plan.rows[row_id].get("is_shown_once")) for plan in plans for row_id in plan.hidden + plan.skipped)
    missing = any(not plan.rows[row_id].get("is_shown_once") for plan in plans for row_id in plan.hidden + plan.skipped)
    parts = []
    if missing:
        parts.append("the API token lacks the read:sensitive ability")
    if shown_once:
        parts.append("is_shown_once variables are never readable")
    return " and ".join(parts)


def _summarize_rows(plans, field, limit=5):
    """``name: K1, K2; name2: K3`` for messages, capped so a fleet-wide problem stays one line."""
    parts = []
    for plan in plans:
        labels = plan.labels(field)
        if labels:
            parts.append("%s (%s): %s" % (plan.name, plan.uuid, ", ".join(labels)))
    text = "; ".join(parts[:limit])
    if len(parts) > limit:
        text += "; and %d more resources" % (len(parts) - limit)
    return text


def _blind_rows(plans, limit=5):
    """``name (uuid): K1, K2; ...`` for rows a rollback could not restore (their previous value is unreadable)."""
    parts = []
    for plan in plans:
        labels = [row_label(*row_id) for row_id in plan.updated + plan.removed if not value_known(plan.rows[row_id])]
        if labels:
            parts.append("%s (%s): %s" % (plan.name, plan.uuid, ", ".join(labels)))
    text = "; ".join(parts[:limit])
    if len(parts) > limit:
        text += "; and %d more resources" % (len(parts) - limit)
    return text


def hidden_value_messages(plans, hidden_values):
    """(warnings, error) for the rows whose current value could not be read, following the hidden_values option."""
    hidden = [plan for plan in plans if plan.hidden]
    skipped = [plan for plan in plans if plan.skipped]
    if hidden_values == "fail" and hidden:
        return [], ("coolify_env cannot compare values it cannot read, because %s; offending rows: %s. Use a token with "
                    "read:sensitive, or set hidden_values to update or skip." % (hidden_reason(hidden), _summarize_rows(hidden, "hidden")))
    warnings = []
    if hidden:
        count = sum(len(plan.hidden) for plan in hidden)
        warnings.append("coolify_env could not read the current values of %d variable(s), because %s, so it rewrote them and "
                        "reports them as changed: %s." % (count, hidden_reason(hidden), _summarize_rows(hidden, "hidden")))
    if skipped:
        count = sum(len(plan.skipped) for plan in skipped)
        warnings.append("coolify_env skipped %d variable(s) whose current values it cannot read, because %s "
                        "(hidden_values=skip): %s." % (count, hidden_reason(skipped), _summarize_rows(skipped, "skipped")))
    return warnings, None


def plan_restore(plan, current_rows):
    """Bulk items that put the snapshot back for the rows this run wrote or deleted, and the rows it cannot restore.

    Only rows whose current state differs from the snapshot are written. A row whose previous value was hidden cannot be
    restored (its value was never known); it is reported, never guessed.
    """
    current = index_rows(plan.kind, current_rows)
    items = []
    unrestorable = []
    for row_id in plan.updated + plan.removed:
        before = plan.rows.get(row_id)
        if before is None:
            continue
        if not value_known(before):
            unrestorable.append(row_id)
            continue
        now = current.get(row_id)
        if now is not None and value_known(now) and not _row_differs(now, before):
            continue
        items.append(row_body(plan.kind, row_id[0], row_id[1], before.get("value"), row_flags(before), before.get("comment")))
    return items, unrestorable


def _row_differs(now, before):
    return (normalize_value(now.get("value")) != normalize_value(before.get("value"))
            or row_flags(now) != row_flags(before)
            or normalize_value(now.get("comment")) != normalize_value(before.get("comment")))


def plan_cleanup(plan, current_rows):
    """Env uuids to delete so the touched keys have no row the snapshot did not have.

    This removes the keys the run created and the preview copies Coolify made for them (or for a restored production
    row), and never touches keys the run did not write.
    """
    touched = plan.touched_keys
    deletes = []
    for row in current_rows or []:
        if not isinstance(row, dict) or row.get("key") not in touched or not row.get("uuid"):
            continue
        is_preview = False if plan.kind == "service" else bool(row.get("is_preview"))
        if (row["key"], is_preview) not in plan.rows:
            deletes.append(((row["key"], is_preview), row["uuid"]))
    return deletes


def scrub(text, secrets):
    """Mask every known value in a text (an API error could quote one); longest first so no fragment survives."""
    text = str(text)
    for secret in sorted(set(s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def secrets_of(desired, plans):
    """Every value this run knows: desired values and the snapshot values, raw and trimmed."""
    values = set()
    for item in desired:
        if item.value:
            values.add(item.value)
            values.add(item.value.strip(TRIM_CHARS))
    for plan in plans:
        for row in plan.rows.values():
            for field in ("value", "real_value"):
                if isinstance(row.get(field), str) and row[field]:
                    values.add(row[field])
    return values


# ---------------------------------------------------------------------------------------------------------------------
# Executor: read -> plan -> (check mode stops here) -> bulk write -> rollback on failure -> restart what changed
# ---------------------------------------------------------------------------------------------------------------------

OUTCOMES = ("written", "rolled_back", "failed", "untouched")


class _Run(object):
    """State of one run, kept on the main thread; workers only return values."""

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
        return scrub(text, self.secrets)


def run_env(client, kind, resources, params, check_mode=False, diff=False, clock=None, sleep=None):
    """Plan and apply ``params["env"]`` on the resolved resources; returns the module result (``failed`` set on error).

    Nothing is written before every resource has been read and planned without error. Values stay in this function's
    memory (the snapshot for rollback included) and never reach the result.
    """
    run = _Run(client, kind, params, check_mode, clock, sleep)
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
        blind = _blind_rows(plans)
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
            problem = "%s failed: %s" % (label, scrub(item.get("error") or item.get("reason") or "unknown error", run.secrets))
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


def run_env_task(client, params, check_mode=False, diff=False, clock=None, sleep=None):
    """The whole coolify_env task: validate the input, resolve the selectors, then run_env."""
    kind = params.get("resource_type") or "application"
    try:
        validate_input(kind, params)
    except EnvInputError as exc:
        return _input_failure(str(exc))
    if params.get("restart") == "changed":
        validate_options(kind, "restarted", params)
    resources = resolve(client, kind, params)
    return run_env(client, kind, resources, params, check_mode=check_mode, diff=diff, clock=clock, sleep=sleep)
