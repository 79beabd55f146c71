# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Environment-variable endpoints of applications and services, with their different (and quirky) rules."""

from __future__ import annotations

import json
import re

from .http_types import json_response, message, php_truthy
from .dbviews import database_env_view
from .views import env_view

KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
BOOL_FIELDS = ("is_preview", "is_literal", "is_multiline", "is_shown_once", "is_runtime", "is_buildtime")
APP_FIELDS = ("key", "value", "comment") + BOOL_FIELDS
SERVICE_FIELDS = ("key", "value", "is_literal", "is_multiline", "is_shown_once", "comment")
EXISTS = "Environment variable already exists. Use PATCH request to update it."
NOT_FOUND = "Environment variable not found."


class ServerError(Exception):
    """A request the real server would answer with a 500 (a NOT NULL column written with NULL)."""


def is_strict_bool(value):
    """Laravel's `boolean` rule: only true, false, 0, 1, "0" and "1"."""
    if isinstance(value, bool):
        return True
    if type(value) is int:  # pylint: disable=unidiomatic-typecheck
        return value in (0, 1)
    return isinstance(value, str) and value in ("0", "1")


def to_bool(value):
    return value in (True, 1, "1")


def validate(data, fields, version):
    """Return Laravel-style errors {field: [messages]} for the env rules that apply to `fields`."""
    errors = {}

    def add(field, text):
        errors.setdefault(field, []).append(text)

    new_rules = version >= (4, 2, 0)
    key = data.get("key")
    if key is None:
        add("key", "This field is required.")
    elif not isinstance(key, str):
        add("key", "The key field must be a string.")
        if new_rules:
            add("key", "The key field format is invalid.")
    elif new_rules:
        if len(key) > 255:
            add("key", "The key field must not be greater than 255 characters.")
        if not KEY_PATTERN.match(key):
            add("key", "The key field format is invalid.")
    if "value" in data and data["value"] is not None and not isinstance(data["value"], str):
        add("value", "The value field must be a string.")
    for field in BOOL_FIELDS:
        if field in fields and field in data and not is_strict_bool(data[field]):
            add(field, "The %s field must be true or false." % field.replace("_", " "))
    if "comment" in data and data["comment"] is not None:
        if not isinstance(data["comment"], str):
            add("comment", "The comment field must be a string.")
        elif len(data["comment"]) > 256:
            add("comment", "The comment field must not be greater than 256 characters.")
    return errors


def _normalize_key(key, version):
    key = key.strip()
    if version < (4, 2, 0):
        key = key.replace(" ", "_")
    return key


def validation_failed(errors):
    return json_response(422, {"message": "Validation failed.", "errors": errors})


def body_guard(req):
    """validateIncomingRequest(): the 400 guard of the application env PATCH and bulk endpoints."""
    reason = None
    if not req.is_json:
        reason = "Content-Type must be application/json."
    else:
        try:
            decoded = json.loads(req.body.decode("utf-8")) if req.body else None
        except (ValueError, UnicodeDecodeError):
            decoded = None
        if isinstance(decoded, dict):
            if not decoded:
                reason = "Empty JSON."
        elif not php_truthy(decoded):
            reason = "Invalid JSON."
    if reason is None:
        return None
    return json_response(400, {"message": "Invalid request.", "error": reason})


def _fields(data, names):
    return {name: data[name] for name in names if name in data}


def _create_app_env(store, app, data, now, version):
    fields = _fields(data, APP_FIELDS)
    fields["key"] = _normalize_key(fields["key"], version)
    for name in BOOL_FIELDS:
        if name in fields:
            fields[name] = to_bool(fields[name])
    row = store.add_env("application", app, fields, now)
    if not row["is_preview"] and store.find_env("application", app, row["key"], True) is None:
        copy = {name: fields[name] for name in ("key", "value", "is_multiline", "is_literal", "is_runtime", "is_buildtime", "comment")
                if name in fields}
        copy["is_preview"] = True
        store.add_env("application", app, copy, now)
    return row


def _update_app_env(row, data, now):
    """The application PATCH semantics: value and is_literal always written, multiline/shown-once compared loosely."""
    for name in ("is_multiline", "is_shown_once"):
        if name not in data and row[name]:
            raise ServerError(name)
    row["value"] = data.get("value")
    row["is_literal"] = to_bool(data.get("is_literal", False))
    for name in ("is_multiline", "is_shown_once", "is_runtime", "is_buildtime"):
        if name in data:
            row[name] = to_bool(data[name])
    if "comment" in data:
        row["comment"] = data["comment"]
    row["updated"] = now


# ------------------------------------------------------------------------------------------------ shared

def _validate_app(data, version):
    """The application create/update rules: the env rules plus a strict whitelist of fields."""
    errors = validate(data, APP_FIELDS, version)
    for name in data:
        if name not in APP_FIELDS:
            errors.setdefault(name, []).append("This field is not allowed.")
    return errors


def _bulk_items(req):
    data = req.data.get("data")
    if isinstance(data, dict):
        data = list(data.values())
    return data


def _view(api, ctx, row, view=env_view):
    """An env row as the API shows it, `real_value` resolved against the owner's shared variables."""
    return view(row, ctx.sensitive, ctx.version, resolved=api.store.resolve_env(row))


def _bulk(api, req, ctx, upsert, view=env_view):
    """The bulk loop both resources share: items validated with the application rules, then `upsert` per item."""
    items = _bulk_items(req)
    if not items or not isinstance(items, list):
        return message(400, "Bulk data is required.")
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        errors = validate(item, APP_FIELDS, ctx.version)
        if errors:
            return validation_failed(errors)
        try:
            results.append(upsert(item))
        except ServerError:
            return api.server_error(req)
    return json_response(201, [_view(api, ctx, row, view) for row in results])


def _delete(api, ctx, kind, uuid, env_uuid, missing):
    owner, error = api.managed(ctx, kind, uuid, missing)
    if error:
        return error
    for row in api.store.envs_of(kind, owner):
        if row["uuid"] == env_uuid:
            api.store.delete_env(row)
            return message(200, "Environment variable deleted.")
    return message(404, NOT_FOUND)


# ------------------------------------------------------------------------------------------------ applications

def app_list(api, req, ctx, uuid):
    app = api.store.app_by_uuid(uuid, ctx.team_id)
    if app is None:
        return message(404, "Application not found")
    rows = api.store.envs_of("application", app)
    ordered = [row for row in rows if not row["is_preview"]] + [row for row in rows if row["is_preview"]]
    return json_response(200, [_view(api, ctx, row) for row in ordered])


def _app_target(api, req, ctx, uuid):
    """Lookup, policy and validation of the application create and update: ((app, key, is_preview), None) or (None, error)."""
    app, error = api.managed(ctx, "application", uuid, "Application not found")
    if error:
        return None, error
    data = req.data
    errors = _validate_app(data, ctx.version)
    if errors:
        return None, validation_failed(errors)
    return (app, _normalize_key(data["key"], ctx.version), to_bool(data.get("is_preview", False))), None


def app_create(api, req, ctx, uuid):
    target, error = _app_target(api, req, ctx, uuid)
    if error:
        return error
    app, key, is_preview = target
    if api.store.find_env("application", app, key, is_preview) is not None:
        return message(409, EXISTS)
    row = _create_app_env(api.store, app, req.data, ctx.now, ctx.version)
    return json_response(201, {"uuid": row["uuid"]})


def app_update(api, req, ctx, uuid):
    guard = body_guard(req)
    if guard:
        return guard
    target, error = _app_target(api, req, ctx, uuid)
    if error:
        return error
    app, key, is_preview = target
    row = api.store.find_env("application", app, key, is_preview)
    if row is None:
        return message(404, NOT_FOUND)
    try:
        _update_app_env(row, req.data, ctx.now)
    except ServerError:
        return api.server_error(req)
    return json_response(201, _view(api, ctx, row))


def app_bulk(api, req, ctx, uuid):
    guard = body_guard(req)
    if guard:
        return guard
    app, error = api.managed(ctx, "application", uuid, "Application not found")
    if error:
        return error

    def upsert(item):
        key = _normalize_key(item["key"], ctx.version)
        is_preview = to_bool(item.get("is_preview", False))
        row = api.store.find_env("application", app, key, is_preview)
        if row is None:
            return _create_app_env(api.store, app, item, ctx.now, ctx.version)
        _update_app_env(row, item, ctx.now)
        return row

    return _bulk(api, req, ctx, upsert)


def app_delete(api, req, ctx, uuid, env_uuid):
    return _delete(api, ctx, "application", uuid, env_uuid, "Application not found.")


# ------------------------------------------------------------------------------------------------ services

def service_list(api, req, ctx, uuid):
    service, error = api.managed(ctx, "service", uuid, "Service not found.")
    if error:
        return error
    rows = api.store.envs_of("service", service)
    return json_response(200, [_view(api, ctx, row) for row in rows])


def _service_fields(data):
    fields = _fields(data, SERVICE_FIELDS)
    for name in ("is_literal", "is_multiline", "is_shown_once"):
        if name in fields:
            fields[name] = to_bool(fields[name])
    return fields


# Services and databases share their create, update and bulk; what differs is the 404 text, how a row is shown, and
# which fields a bulk item may fill (databases: a true partial update of every fillable field present).
BULK_DB_FIELDS = APP_FIELDS + ("is_required",)
_OWNER = {
    "service": {"missing": "Service not found.", "view": env_view, "bulk": APP_FIELDS, "bools": BOOL_FIELDS},
    "database": {"missing": "Database not found.", "view": database_env_view, "bulk": BULK_DB_FIELDS,
                 "bools": BOOL_FIELDS + ("is_required",)},
}


def _owned_target(api, req, ctx, kind, uuid):
    """Lookup, policy and validation of a service or database create and update: ((owner, fields with the key
    normalized), None) or (None, error)."""
    owner, error = api.managed(ctx, kind, uuid, _OWNER[kind]["missing"])
    if error:
        return None, error
    errors = validate(req.data, SERVICE_FIELDS, ctx.version)
    if errors:
        return None, validation_failed(errors)
    fields = _service_fields(req.data)
    fields["key"] = _normalize_key(fields["key"], ctx.version)
    return (owner, fields), None


def owned_create(api, req, ctx, kind, uuid):
    """POST /services/{uuid}/envs and /databases/{uuid}/envs (`kind` is service or database)."""
    target, error = _owned_target(api, req, ctx, kind, uuid)
    if error:
        return error
    owner, fields = target
    if api.store.find_env(kind, owner, fields["key"]) is not None:
        return message(409, EXISTS)
    row = api.store.add_env(kind, owner, fields, ctx.now)
    return json_response(201, _view(api, ctx, row, _OWNER[kind]["view"]))


def owned_update(api, req, ctx, kind, uuid):
    """PATCH /services/{uuid}/envs and /databases/{uuid}/envs: the row of that key, or a 404."""
    target, error = _owned_target(api, req, ctx, kind, uuid)
    if error:
        return error
    owner, fields = target
    row = api.store.find_env(kind, owner, fields["key"])
    if row is None:
        return message(404, NOT_FOUND)
    row["value"] = fields.get("value")
    for name in ("is_literal", "is_multiline", "is_shown_once", "comment"):
        if name in fields:
            row[name] = fields[name]
    row["updated"] = ctx.now
    return json_response(201, _view(api, ctx, row, _OWNER[kind]["view"]))


def service_create(api, req, ctx, uuid):
    return owned_create(api, req, ctx, "service", uuid)


def service_update(api, req, ctx, uuid):
    return owned_update(api, req, ctx, "service", uuid)


def owned_bulk(api, req, ctx, kind, uuid):
    """PATCH /services/{uuid}/envs/bulk and /databases/{uuid}/envs/bulk: each item upserted by key."""
    owner, error = api.managed(ctx, kind, uuid, _OWNER[kind]["missing"])
    if error:
        return error

    def upsert(item):
        fields = _fields(item, _OWNER[kind]["bulk"])
        for name in _OWNER[kind]["bools"]:
            if name in fields:
                fields[name] = to_bool(fields[name])
        fields["key"] = _normalize_key(fields["key"], ctx.version)
        row = api.store.find_env(kind, owner, fields["key"])
        if row is None:
            return api.store.add_env(kind, owner, fields, ctx.now)
        row.update(fields)
        row["updated"] = ctx.now
        return row

    return _bulk(api, req, ctx, upsert, _OWNER[kind]["view"])


def service_bulk(api, req, ctx, uuid):
    return owned_bulk(api, req, ctx, "service", uuid)


def service_delete(api, req, ctx, uuid, env_uuid):
    return _delete(api, ctx, "service", uuid, env_uuid, "Service not found.")


# ------------------------------------------------------------------------------------------------ databases
# Like services, except: members may list, values of is_shown_once rows are shown to sensitive tokens, `id` and
# `resourceable*` are hidden, and bulk is a true partial update of every fillable field present.


def database_list(api, req, ctx, uuid):
    database = api.store.database_by_uuid(uuid, ctx.team_id)
    if database is None:
        return message(404, "Database not found.")
    rows = api.store.envs_of("database", database)
    return json_response(200, [_view(api, ctx, row, database_env_view) for row in rows])


def database_create(api, req, ctx, uuid):
    return owned_create(api, req, ctx, "database", uuid)


def database_update(api, req, ctx, uuid):
    return owned_update(api, req, ctx, "database", uuid)


def database_bulk(api, req, ctx, uuid):
    return owned_bulk(api, req, ctx, "database", uuid)


def database_delete(api, req, ctx, uuid, env_uuid):
    return _delete(api, ctx, "database", uuid, env_uuid, "Database not found.")
