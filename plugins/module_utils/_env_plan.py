# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Environment variables (coolify_env): the pure plan of one resource, and the plan that restores it (no I/O).

Rows are matched on (key, is_preview), because Coolify stores the production and the preview value of a key as two
rows. A plan keeps the rows read before writing in memory only (for rollback); its diff masks every value.
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils._env_input import (
    DEFAULT_FLAGS,
    FLAGS,
    EnvInputError,
    check_protected_keys,
    is_protected_key,
    managed_previews,
    normalize_value,
    row_label,
)
from ansible_collections.coolops.coolify.plugins.module_utils._redact import MASK, TRIM_CHARS


def index_rows(kind, rows):
    """Rows by (key, is_preview). Service and database rows are keyed on the key alone: Coolify upserts them by key."""
    index = {}
    for row in rows or []:
        if not isinstance(row, dict) or not isinstance(row.get("key"), str):
            continue
        is_preview = False if kind != "application" else bool(row.get("is_preview"))
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
    """What to do on one resource. ``rows`` is the snapshot read before writing, kept in memory only (for rollback).

    ``in_flight`` is set when a write to the resource may still land later (its answer was not Coolify's final one).
    """

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
        self.in_flight = False

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
    check_protected_keys(kind, wanted, manage_service_keys)
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
            if is_protected_key(kind, key, manage_service_keys):
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


def _list_rows(plans, rows_of, limit=5):
    """``name (uuid): K1, K2; name2 (uuid): K3`` for messages, capped so a fleet-wide problem stays one line."""
    parts = []
    for plan in plans:
        labels = [row_label(*row_id) for row_id in rows_of(plan)]
        if labels:
            parts.append("%s (%s): %s" % (plan.name, plan.uuid, ", ".join(labels)))
    text = "; ".join(parts[:limit])
    if len(parts) > limit:
        text += "; and %d more resources" % (len(parts) - limit)
    return text


def _summarize_rows(plans, field):
    return _list_rows(plans, lambda plan: getattr(plan, field))


def blind_rows(plans):
    """The rows a rollback could not restore (their previous value is unreadable), listed for a warning."""
    return _list_rows(plans, lambda plan: [row_id for row_id in plan.updated + plan.removed
                                           if not value_known(plan.rows[row_id])])


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


def plan_restore(plan, current_rows, force=False):
    """Bulk items that put the snapshot back for the rows this run wrote or deleted, and the rows it cannot restore.

    Only rows whose current state differs from the snapshot are written, unless ``force`` (a write that may still
    land: a re-read that shows the snapshot proves nothing). A row whose previous value was hidden cannot be
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
        if not force and now is not None and value_known(now) and not _row_differs(now, before):
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
        is_preview = False if plan.kind != "application" else bool(row.get("is_preview"))
        if (row["key"], is_preview) not in plan.rows:
            deletes.append(((row["key"], is_preview), row["uuid"]))
    return deletes


def _row_id(kind, body):
    return (body["key"], bool(body.get("is_preview")) if kind == "application" else False)


def _holds(row, body):
    """Whether a row holds what a bulk item wrote: True, False, or None when its value cannot be read."""
    if row is None or row_flags(row) != dict((flag, bool(body[flag])) for flag in FLAGS):
        return False
    if normalize_value(row.get("comment")) != normalize_value(body.get("comment")):
        return False
    if not value_known(row):
        return None
    return normalize_value(row.get("value")) == normalize_value(body.get("value"))


def observe_write(plan, current_rows, items=(), deletes=()):
    """Settle a write whose answer was an error, from the rows read afterwards (pure).

    Returns ``written`` (every item and delete is visible), ``not_written`` (every touched row is as it was before),
    ``partly`` (some of both), or ``unknown`` (a row is neither, or its value cannot be read).
    """
    current = index_rows(plan.kind, current_rows)
    done = pending = unclear = 0
    for body in items:
        row_id = _row_id(plan.kind, body)
        now, before = current.get(row_id), plan.rows.get(row_id)
        holds = _holds(now, body)
        if holds:
            done += 1
        elif holds is False and now is None and before is None:
            pending += 1
        elif (holds is False and now is not None and before is not None and value_known(now) and value_known(before)
              and not _row_differs(now, before)):
            pending += 1
        else:
            unclear += 1
    present = set(row.get("uuid") for row in current_rows or [] if isinstance(row, dict))
    for _deleted_row, env_uuid in deletes:
        if env_uuid in present:
            pending += 1
        else:
            done += 1
    if unclear:
        return "unknown"
    if done and pending:
        return "partly"
    return "written" if done else "not_written"


def remaining_changes(plan, current_rows=None):
    """``[(label, how)]`` for every row this run touched that is not as it was before (pure), how being ``changed``,
    ``deleted`` or ``added``. Without ``current_rows`` (they could not be read) every touched row is listed as
    ``unknown``. A row whose previous value was unreadable is ``changed``: it can never be shown to be restored.
    """
    if current_rows is None:
        return [(row_label(*row_id), "unknown") for row_id in plan.added + plan.updated + plan.removed]
    current = index_rows(plan.kind, current_rows)
    remaining = []
    for row_id in plan.updated + plan.removed:
        before, now = plan.rows.get(row_id), current.get(row_id)
        if now is None:
            remaining.append((row_label(*row_id), "deleted"))
        elif not value_known(before) or not value_known(now) or _row_differs(now, before):
            remaining.append((row_label(*row_id), "changed"))
    for row_id, _env_uuid in plan_cleanup(plan, current_rows):
        remaining.append((row_label(*row_id), "added"))
    return remaining


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
