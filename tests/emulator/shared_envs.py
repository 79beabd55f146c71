# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared variables at team, project, environment and server level (SharedEnvironmentVariablesController, §16)."""

from __future__ import annotations

import re

from . import envs
from .http_types import json_response, message, request_boolean
from .views import order_keys, ts

ALLOWED = ("key", "value", "is_literal", "is_multiline", "is_shown_once", "comment")


def shared_view(row, sensitive):
    """team_id, project_id, environment_id, server_id and version hidden; `value` only for sensitive tokens, and
    never for is_shown_once rows (not even root)."""
    data = {"id": row["id"], "comment": row["comment"], "is_literal": row["is_literal"],
            "is_multiline": row["is_multiline"], "is_shown_once": row["is_shown_once"], "key": row["key"],
            "type": row["type"], "created_at": ts(row["created"]), "updated_at": ts(row["updated"])}
    if sensitive and not row["is_shown_once"]:
        data["value"] = row["value"]
    return order_keys(data)


def _scope(api, ctx, type_, params):
    """Resolve the parent: ((scope_id, None) or (None, 404)); the team scope has no parent."""
    store = api.store
    if type_ == "team":
        return None, None
    if type_ == "server":
        server = store.server_by_uuid(params[0], ctx.team_id)
        return (server["id"], None) if server else (None, message(404, "Server not found."))
    project = store.project_by_uuid(params[0], ctx.team_id)
    if project is None:
        return None, message(404, "Project not found.")
    if type_ == "project":
        return project["id"], None
    environments = [row for row in store.environments.values() if row["project_id"] == project["id"]]
    environment = next((row for row in environments if row["name"] == params[1]), None)
    environment = environment or next((row for row in environments if row["uuid"] == params[1]), None)
    if environment is None:
        return None, message(404, "Environment not found.")
    return environment["id"], None


def _validate(req, ctx, require_key):
    """validateEnvPayload: the body guard, then the rules plus the allow-list in one 422."""
    guard = envs.body_guard(req)
    if guard:
        return guard
    data = dict(req.data)
    if isinstance(data.get("key"), str):
        data["key"] = data["key"].strip()
    checked = data if require_key or data.get("key") is not None else dict(data, key="KEY")
    errors = envs.validate(checked, ALLOWED, ctx.version)
    for name in data:
        if name not in ALLOWED:
            errors.setdefault(name, []).append("This field is not allowed.")
    return envs.validation_failed(errors) if errors else None


def _find(api, ctx, type_, scope_id, env_id):
    """findEnvInScope; a non-numeric id reaches the SQL `where id = ...` and fails (500) on PostgreSQL."""
    if not re.match(r"^\d+$", str(env_id)):
        raise ValueError(env_id)
    for row in api.store.shared_in_scope(ctx.team_id, type_, scope_id):
        if row["id"] == int(env_id):
            return row
    return None


def _list(api, req, ctx, type_, *params):
    scope_id, error = _scope(api, ctx, type_, params)
    if error:
        return error
    return json_response(200, [shared_view(row, ctx.sensitive) for row in api.store.shared_in_scope(ctx.team_id, type_, scope_id)])


def _create(api, req, ctx, type_, *params):
    scope_id, error = _scope(api, ctx, type_, params)
    if error:
        return error
    error = _validate(req, ctx, require_key=True) or api.policy_manage(ctx)
    if error:
        return error
    data = req.data
    key = data["key"].strip()
    if any(row["key"] == key for row in api.store.shared_in_scope(ctx.team_id, type_, scope_id)):
        return message(409, "Environment variable already exists. Use PATCH request to update it.")
    fields = {"key": key, "value": data.get("value"), "comment": data.get("comment")}
    for name in ("is_literal", "is_multiline", "is_shown_once"):
        fields[name] = request_boolean(data.get(name))
    scope = {} if type_ == "team" else {type_ + "_id": scope_id}
    row = api.store.add_shared_env(fields, type_, ctx.team_id, ctx.now, **scope)
    return json_response(201, {"id": row["id"]})


def _update(api, req, ctx, type_, *params):
    *params, env_id = params
    scope_id, error = _scope(api, ctx, type_, params)
    if error:
        return error
    try:
        row = _find(api, ctx, type_, scope_id, env_id)
    except ValueError:
        return api.server_error(req)
    if row is None:
        return message(404, "Environment variable not found.")
    error = api.policy_manage(ctx) or _validate(req, ctx, require_key=False)
    if error:
        return error
    data = req.data
    if "key" in data:
        if data["key"] is None:
            return api.server_error(req)  # `{"key": null}` passes `nullable`, then hits a string type hint
        key = data["key"].strip()
        if key != row["key"]:
            if any(other["key"] == key and other is not row
                   for other in api.store.shared_in_scope(ctx.team_id, type_, scope_id)):
                return message(409, "Environment variable already exists with this key.")
            row["key"] = key
    for name in ("value", "comment"):
        if name in data:
            row[name] = data[name]
    for name in ("is_literal", "is_multiline", "is_shown_once"):
        if name in data:
            row[name] = request_boolean(data[name])
    row["updated"] = ctx.now
    return json_response(200, shared_view(row, ctx.sensitive))


def _delete(api, req, ctx, type_, *params):
    *params, env_id = params
    scope_id, error = _scope(api, ctx, type_, params)
    if error:
        return error
    try:
        row = _find(api, ctx, type_, scope_id, env_id)
    except ValueError:
        return api.server_error(req)
    if row is None:
        return message(404, "Environment variable not found.")
    error = api.policy_manage(ctx)
    if error:
        return error
    api.store.shared_envs.pop(row["id"], None)  # resource envs that reference it simply stop resolving
    return message(200, "Environment variable deleted.")


def _bind(handler, type_):
    def bound(api, req, ctx, *params):
        return handler(api, req, ctx, type_, *params)
    bound.__name__ = "%s_%s" % (handler.__name__.strip("_"), type_)
    return bound


BASES = (("team", "team/envs"), ("project", "projects/{uuid}/envs"),
         ("environment", "projects/{uuid}/environments/{environment}/envs"), ("server", "servers/{uuid}/envs"))
ROUTES = tuple(route for type_, base in BASES for route in (
    ("GET", base, "read", _bind(_list, type_), False),
    ("POST", base, "write", _bind(_create, type_), False),
    ("PATCH", base + "/{env_id}", "write", _bind(_update, type_), False),
    ("DELETE", base + "/{env_id}", "write", _bind(_delete, type_), False),
))
