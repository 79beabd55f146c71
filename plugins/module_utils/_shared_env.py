# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Shared variables (coolify_shared_env): plan with coolify_env's planner, write one variable per request, roll back,
and restart exactly the resources that reference what changed, through the lifecycle engine.

The level's variables are planned as one resource without preview rows (the planner's service semantics). Shared
rows have a numeric ``id`` instead of a uuid, so the planner sees the id in ``uuid``. Values stay in memory only.
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils._client import shared_env_path
from ansible_collections.coolops.coolify.plugins.module_utils._env_apply import RowStore, restore_plans, write_plan
from ansible_collections.coolops.coolify.plugins.module_utils._env_input import EnvInputError, parse_env
from ansible_collections.coolops.coolify.plugins.module_utils._env_plan import (
    blind_rows,
    hidden_value_messages,
    plan_resource,
    remaining_changes,
    secrets_of,
)
from ansible_collections.coolops.coolify.plugins.module_utils._errors import ConfigurationError
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle_plan import validate_options
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import _match_one
from ansible_collections.coolops.coolify.plugins.module_utils import _shared_refs as refs
from ansible_collections.coolops.coolify.plugins.module_utils._shared_report import NOT_SHARED_FLAGS, SharedReport

# What each level needs (and what it must not be given): a stray option is a mistake, never ignored.
NEEDS = {"team": (), "project": ("project",), "environment": ("project", "environment"), "server": ("server",)}
SCOPE_OPTIONS = ("project", "environment", "server")
SHARED_FIELDS = ("is_literal", "is_multiline", "is_shown_once")


def validate(params):
    """Every check that needs no API call; returns (desired, warnings). Raises EnvInputError (one sentence)."""
    level = params.get("level")
    if level not in refs.LEVELS:
        raise EnvInputError("Unknown level %r; use one of %s." % (level, ", ".join(refs.LEVELS)))
    missing = [name for name in NEEDS[level] if not params.get(name)]
    if missing:
        raise EnvInputError("level=%s needs %s." % (level, " and ".join(missing)))
    stray = [name for name in SCOPE_OPTIONS if params.get(name) and name not in NEEDS[level]]
    if stray:
        raise EnvInputError("level=%s takes no %s; shared variables of that level apply to the whole %s." % (
            level, " or ".join(stray), {"team": "team", "project": "project", "environment": "environment",
                                        "server": "server"}[level]))
    state = params.get("state") or "present"
    if params.get("prune") and state != "present":
        raise EnvInputError("prune only applies to state=present.")
    env = params.get("env")
    for key, spec in (env or {}).items() if isinstance(env, dict) else ():
        given = sorted(name for name in NOT_SHARED_FLAGS if isinstance(spec, dict) and name in spec)
        if given:
            raise EnvInputError("The env key %s sets %s, which shared variables do not have; remove it." % (
                key, ", ".join(given)))
    desired, warnings = parse_env(env, state)
    if params.get("prune") and not desired:
        raise EnvInputError("prune=true needs at least one key in env; an empty env would delete every shared variable "
                            "at that level.")
    if params.get("restart") == "changed" and not params.get("find_references", True):
        raise EnvInputError("restart=changed needs find_references=true, because it restarts the referencing resources.")
    return desired, warnings


def resolve_target(client, level, params):
    """The level's scope objects and API path; a scope that matches no or several objects fails (no write yet)."""
    target = {"level": level, "label": "team"}
    if level in ("project", "environment"):
        project = _one(client.list_projects(), params["project"], "project")
        detail = client.get_project(project["uuid"])
        environments = detail.get("environments")
        if environments is None:
            environments = client.project_environments(project["uuid"])
        target.update(project=detail, environments=[env for env in environments or [] if isinstance(env, dict)])
        target["label"] = "project %s" % project.get("name")
        if level == "environment":
            environment = _one(target["environments"], params["environment"], "environment")
            target["environment"] = environment
            target["label"] += " environment %s" % environment.get("name")
    if level == "server":
        target["server"] = _one(client.list_servers(), params["server"], "server")
        target["label"] = "server %s" % target["server"].get("name")
    target["path"] = shared_env_path(
        level, project_uuid=(target.get("project") or {}).get("uuid"),
        environment=(target.get("environment") or {}).get("name") or (target.get("environment") or {}).get("uuid"),
        server_uuid=(target.get("server") or {}).get("uuid"))
    return target


def _one(items, value, what):
    found = _match_one([item for item in items or [] if isinstance(item, dict)], str(value))
    if len(found) != 1:
        raise ConfigurationError("The %s %r %s." % (what, value, "is ambiguous; give its uuid" if found else "does not exist"))
    return found[0]


def _as_planned(rows):
    """Shared rows with their numeric id where the planner expects a uuid (deletes and cleanup address it)."""
    planned = []
    for row in rows or []:
        if not isinstance(row, dict) or not isinstance(row.get("key"), str):
            continue
        if row.get("id") is None:
            raise ConfigurationError("Coolify listed the shared variable %s without its id, so it cannot be updated or "
                                     "deleted safely." % row["key"])
        planned.append(dict(row, uuid=str(row["id"])))
    return planned


def _body(item, create):
    body = {"key": item["key"]} if create else {}
    body["value"] = item["value"]
    for flag in SHARED_FIELDS:
        body[flag] = bool(item[flag])
    body["comment"] = item.get("comment")
    return body


def shared_store(client, path):
    """The RowStore (see _env_apply) of one level's shared variables: no bulk endpoint, so the upsert re-reads the rows
    and sends one POST (new key) or PATCH (by id) per item; a re-sent upsert therefore never creates a duplicate."""
    def read(_plan):
        return _as_planned(client.list_shared_envs(path))

    def upsert(plan, items):
        current = dict((row["key"], row) for row in read(plan))
        for item in items:
            row = current.get(item["key"])
            if row is None:
                client.create_shared_env(path, _body(item, create=True))
            else:
                client.update_shared_env(path, row["id"], _body(item, create=False))

    def delete(_plan, env_id):
        client.delete_shared_env(path, env_id)

    return RowStore(read, upsert, delete)


def run_shared_env(cm):
    """coolify_shared_env's run(cm)."""
    return apply_shared_env(cm.client, cm.params, check_mode=cm.check_mode, diff=cm.diff_mode)


def apply_shared_env(client, params, check_mode=False, diff=False, clock=None, sleep=None):
    """Validate, plan, discover, then (unless check_mode) write, restart and on failure roll back."""
    report = SharedReport(params, check_mode, diff)
    try:
        desired, warnings = validate(params)
        if params.get("restart") == "changed":
            validate_options("application", "restarted", params)
    except (EnvInputError, ConfigurationError) as exc:
        return report.failure(str(exc))
    report.warnings.extend(warnings)
    report.secrets = secrets_of(desired, [])
    level = params["level"]
    target = resolve_target(client, level, params)
    store = shared_store(client, target["path"])

    # 1. read and plan the level's variables (nothing is written before everything is read and planned).
    rows = store.read(None)
    try:
        plan = plan_resource("service", {"uuid": target["path"], "name": target["label"]}, rows, desired,
                             state=params.get("state") or "present", prune=bool(params.get("prune")),
                             manage_service_keys=True, hidden_values=params.get("hidden_values") or "update")
    except EnvInputError as exc:
        return report.failure(str(exc))
    report.secrets = secrets_of(desired, [plan])
    hidden_warnings, hidden_error = hidden_value_messages([plan], params.get("hidden_values") or "update")
    if hidden_error:
        return report.failure(hidden_error.replace("coolify_env", "coolify_shared_env"), warnings=report.warnings)
    report.warnings.extend(text.replace("coolify_env", "coolify_shared_env") for text in hidden_warnings)
    if params.get("rollback") and not check_mode and blind_rows([plan]):
        report.warnings.append("rollback cannot restore shared variables whose previous value it could not read; if this "
                               "run fails, those keep their new value (or stay deleted): %s." % blind_rows([plan]))
    report.plan(plan)

    # 2. who references what (reads only); the keys the run changes, followed through nested references.
    changed_keys = set(key for key, _preview in plan.added + plan.updated + plan.removed)
    final_keys = set(row["key"] for row in rows) - set(key for key, _preview in plan.removed)
    if (params.get("state") or "present") == "present":
        final_keys |= set(item.key for item in desired)
    if params.get("find_references", True):
        references, errors, scanned = refs.discover(client, level, target, max_workers=int(params.get("max_workers") or 10),
                                                    sleep=sleep)
        if errors:
            return report.read_failure(errors, scanned, report.error_text)
        blind = ["%s %s (%s): %s" % (ref.kind, ref.name, ref.uuid, ", ".join(ref.hidden_shared))
                 for ref in references if ref.hidden_shared]
        if blind and params.get("restart") == "changed" and plan.changed:
            # Coolify says these rows are references, but not to what: restarting "exactly the users" is impossible.
            return report.failure(
                "Cannot tell which resources use the changed keys, so nothing was written: %d resource(s) have env rows "
                "that Coolify flags as shared-variable references but whose values the token cannot read (it lacks "
                "read:sensitive, or the rows are is_shown_once); first: %s. Use a token with read:sensitive, or "
                "restart=none." % (len(blind), blind[0]), warnings=report.warnings)
        affected_keys, cycles = refs.dependents(rows, level, changed_keys)
        report.nested(refs.nested(rows), level)
        report.references(references, affected_keys, final_keys, cycles, level, scanned)
    # The restart options were validated before any read (validate_options does not depend on the kind).
    to_restart = report.restart_candidates() if params.get("restart") == "changed" else []

    if check_mode or not plan.changed:
        return report.finish(plan, restarts=to_restart, planned=True)

    # 3. write (creates and updates, then deletes), settled by reading back when an answer is an error.
    written = write_plan(store, plan)
    if written.get("settled") == "written" and not written["failed"]:
        report.warnings.append("An answer to writing the %s shared variables was an error, but re-reading them showed the "
                               "write had been applied." % target["label"])
    if written["failed"]:
        settled = written.get("settled") or "unknown"
        try:
            landed = remaining_changes(plan, store.read(plan))
        except Exception:  # noqa: BLE001 - then every touched key stays unknown
            landed = None
        report.write_failed(settled, written.get("error"), landed)
        if params.get("rollback"):
            report.rolled_back(restore_plans(store, [plan], max_workers=1, sleep=sleep)[plan.uuid])
        elif settled != "not_written" and to_restart:
            # Some keys may hold the new value: restart their users now, as coolify_env does, because a later run sees
            # those keys unchanged and would never restart them.
            report.restart(client, to_restart, params, clock, sleep)
        return report.finish(plan, failed_phase="writing")

    # 4. restart the referencing resources kind by kind; a failure halts and (with rollback) undoes.
    if to_restart:
        failed = report.restart(client, to_restart, params, clock, sleep)
        if failed and params.get("rollback"):
            report.rolled_back(restore_plans(store, [plan], max_workers=1, sleep=sleep)[plan.uuid])
            # Key by key: the users of every restored key (also through a nested reference) start again on the
            # previous value, even when other keys could not be restored.
            again = report.restarted_resources(refs.dependents(rows, level, report.restored_keys)[0])
            if again:
                report.restart(client, again, params, clock, sleep, again=True)
        if failed:
            return report.finish(plan, failed_phase="restarting")
    return report.finish(plan)
