# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Environment variables: apply a plan to one resource, settle a write whose answer was an error, and restore the
snapshot with bounded retry rounds.

Nothing here knows what kind of resource holds the rows: every function takes a RowStore (a row reader and writers),
so any owner of env rows (applications, services, shared variables) can reuse it. Workers never raise; they return
plain dicts for the main thread.
"""

from __future__ import annotations

import time

from ansible_collections.coolops.coolify.plugins.module_utils._env_input import row_label
from ansible_collections.coolops.coolify.plugins.module_utils._env_plan import (
    observe_write,
    plan_cleanup,
    plan_restore,
    remaining_changes,
)
from ansible_collections.coolops.coolify.plugins.module_utils._errors import CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._retry import in_flight

RESTORE_ROUNDS = 3
RESTORE_BACKOFF = 1.0


class RowStore(object):
    """Where a plan's rows live: ``read(plan)`` returns the rows, ``upsert(plan, items)`` writes bulk items, and
    ``delete(plan, env_uuid)`` deletes one row. All three must be idempotent."""

    def __init__(self, read, upsert, delete):
        self.read = read
        self.upsert = upsert
        self.delete = delete


def client_store(client, kind=None):
    """The RowStore of an application's or service's env rows, through CoolifyClient (kind None: each plan's kind)."""
    return RowStore(lambda plan: client.list_envs(kind or plan.kind, plan.uuid),
                    lambda plan, items: client.bulk_update_envs(kind or plan.kind, plan.uuid, items),
                    lambda plan, env_uuid: client.delete_env(kind or plan.kind, plan.uuid, env_uuid))


def answered(error):
    """True when the error is the API's own final answer, so nothing of the request can still land later.

    A lost answer, a timeout, a reset after sending, a proxy's 502/504 or other give-up (408, 499, 520-524) and any
    503 but Laravel's maintenance answer leave the request possibly still running on Coolify: a re-read that sees no
    change does not prove it will not land. That holds when any attempt ended so, even if a retry then got a final
    answer (the transport sets ``in_flight``). A 500 is Coolify's own answer once the request has ended.
    """
    if not isinstance(error, CoolifyError) or error.status is None or error.in_flight:
        return False
    body = {"message": error.api_message} if "json" in (error.content_type or "").lower() else None
    return not in_flight(error.status, body)


def settle(store, plan, error, items=(), deletes=()):
    """``written``, ``not_written``, ``partly`` or ``unknown``: what a failed write did, from one re-read.

    When the error leaves the write possibly still running, the plan is marked ``in_flight`` (see restore_plans).
    """
    if not answered(error):
        plan.in_flight = True
    try:
        current = store.read(plan)
    except Exception:  # noqa: BLE001 - an unreadable resource is exactly what "unknown" means
        return "unknown"
    state = observe_write(plan, current, items, deletes)
    if state == "not_written" and not answered(error):
        return "unknown"
    return state


def write_plan(store, plan, upsert=True, delete=True):
    """Worker: the bulk upsert and/or the deletes of one plan. Never raises.

    Returns ``{"failed": False, "settled": None}`` when every request was answered with success,
    ``{"failed": False, "settled": "written"}`` when an error answer turned out to hide a completed write, and
    ``{"failed": True, "error": exc, "settled": state}`` otherwise (state as in ``settle``).
    """
    settled = None
    items = plan.items if upsert else []
    deletes = plan.deletes if delete else []
    if items:
        try:
            store.upsert(plan, items)
        except Exception as exc:  # noqa: BLE001 - settled and reported per resource
            state = settle(store, plan, exc, items)
            if state != "written":
                return {"failed": True, "error": exc, "settled": state}
            settled = "written"  # the answer was an error, but the rows show the write: go on with the deletes
    for number, (_row_id, env_uuid) in enumerate(deletes):
        try:
            store.delete(plan, env_uuid)
        except Exception as exc:  # noqa: BLE001 - settled and reported per resource
            state = settle(store, plan, exc, deletes=deletes[number:])
            if state == "written":
                settled = "written"
                continue
            if state == "not_written" and (items or number):
                state = "partly"
            return {"failed": True, "error": exc, "settled": state}
    return {"failed": False, "settled": settled}


def restore_plan(store, plan):
    """Put the snapshot back for the rows the run touched, then delete the rows it (or Coolify) added.

    Returns the labels of rows that cannot be restored (their previous value was unreadable). Raises on error.
    """
    current = store.read(plan)
    items, unrestorable = plan_restore(plan, current, force=plan.in_flight)
    if items:
        store.upsert(plan, items)
        current = store.read(plan)
    for _row_id, env_uuid in plan_cleanup(plan, current):
        store.delete(plan, env_uuid)
    return [row_label(*row_id) for row_id in unrestorable]


def _worth_retrying(error):
    """Every failure but a final 4xx answer (a 429 is retried: the rate limit passes)."""
    status = getattr(error, "status", None)
    return not (isinstance(status, int) and 400 <= status < 500 and status != 429)


def restore_plans(store, plans, max_workers=10, rounds=RESTORE_ROUNDS, sleep=None):
    """Restore every plan, retrying failed ones in up to ``rounds`` rounds; returns ``{plan.uuid: report}``.

    A report is ``{"error": exc or None, "not_restored": [(label, how), ...]}``: after a failure the rows are read
    once more to list every row that remains changed, deleted or added (all touched rows, as ``unknown``, when even
    that read fails). Rows whose previous value was unreadable are listed as ``changed`` even on success. For a plan
    whose write may still land (``in_flight``), the snapshot is rewritten whatever the re-read shows, and every touched
    row is listed (``unknown`` when not otherwise): no re-read proves that the late write will not undo the restore.
    """
    sleep = sleep or time.sleep
    reports = {}
    pending = list(plans)
    for number in range(max(1, int(rounds))):
        if number:
            sleep(RESTORE_BACKOFF * number)
        outcomes = run_batch(pending, lambda plan: restore_plan(store, plan), max_workers=max_workers, sleep=sleep)
        pending = []
        for outcome in outcomes:
            plan = outcome.item
            if outcome.attempted and outcome.error is None:
                reports[plan.uuid] = {"error": None, "not_restored": [(label, "changed") for label in outcome.value or []]}
                continue
            reports[plan.uuid] = {"error": outcome.error, "not_restored": None}
            if outcome.error is None or _worth_retrying(outcome.error):
                pending.append(plan)
        if not pending:
            break
    for plan in plans:
        report = reports[plan.uuid]
        if report["not_restored"] is None:
            try:
                current = store.read(plan)
            except Exception:  # noqa: BLE001 - then every touched row is listed as unknown
                current = None
            report["not_restored"] = remaining_changes(plan, current)
        if plan.in_flight:
            listed = set(label for label, _how in report["not_restored"])
            report["not_restored"] += [(label, how) for label, how in remaining_changes(plan) if label not in listed]
    return reports
