# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Team tags (TagsController) and per-resource tags of applications, services and databases (HandlesTagsApi, §17).

Resources keep their tags as a list of names in attach order; list items of /applications, /services and /databases
never carry tags, as in Coolify: `GET …/{uuid}/tags` is the only per-resource view.
"""

from __future__ import annotations

import hashlib
import re

from . import envs
from .http_types import json_response, message
from .views import ts

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
RESOURCES = {"application": ("applications", "Application not found."), "service": ("services", "Service not found."),
             "database": ("databases", "Database not found.")}


def prepare(store):
    """Give seeded tags a uuid that is the same after every reset (tags made at run time use new_uuid)."""
    for row in store.tags.values():
        if not row.get("uuid"):
            number = int(hashlib.sha1(("tag|%s|%s" % (row["team_id"], row["name"])).encode()).hexdigest(), 16)
            chars = []
            for _index in range(24):
                number, rest = divmod(number, 36)
                chars.append(ALPHABET[rest])
            row["uuid"] = "".join(chars)
            store.issued_uuids.add(row["uuid"])
        row.setdefault("updated", row["created"])


def normalize(name):
    """strtolower(trim(strip_tags(name)))."""
    return re.sub(r"<[^>]*>", "", str(name)).strip().lower()


def tag_view(row):
    return {"uuid": row["uuid"], "name": row["name"], "created_at": ts(row["created"]), "updated_at": ts(row["updated"])}


def _team_tags(store, team_id):
    return [row for row in store.tags.values() if row["team_id"] == team_id]


def _tag_named(store, team_id, name):
    return next((row for row in _team_tags(store, team_id) if row["name"] == name), None)


def _tagged_rows(store, team_id):
    return store.team_apps(team_id) + store.team_services(team_id) + [
        row for row in store.databases.values() if store.team_of(row) == team_id]


def _create_tag(store, team_id, name, now):
    row = {"id": max(store.tags, default=0) + 1, "uuid": store.new_uuid(), "name": name, "team_id": team_id,
           "created": now, "updated": now}
    store.tags[row["id"]] = row
    return row


def _resource_tags(store, row, team_id):
    return [tag_view(tag) for tag in (_tag_named(store, team_id, name) for name in row["tags"]) if tag]


# ------------------------------------------------------------------------------------------------ per resource

def _lookup(api, ctx, kind, uuid):
    find = {"application": api.store.app_by_uuid, "service": api.store.service_by_uuid,
            "database": api.store.database_by_uuid}[kind]
    row = find(uuid, ctx.team_id)
    return row, (message(404, RESOURCES[kind][1]) if row is None else None)


def resource_list(api, req, ctx, kind, uuid):
    row, error = _lookup(api, ctx, kind, uuid)
    return error or json_response(200, _resource_tags(api.store, row, ctx.team_id))


def _tag_input_errors(data):
    errors = {}
    if "tag_name" not in data and "tag_names" not in data or data.get("tag_name") is None and data.get("tag_names") is None:
        errors["tag_name"] = ["The tag name field is required when tag names is not present."]
        errors["tag_names"] = ["The tag names field is required when tag name is not present."]
    elif "tag_name" in data:
        if not isinstance(data["tag_name"], str):
            errors["tag_name"] = ["The tag name field must be a string."]
    elif not isinstance(data["tag_names"], list):
        errors["tag_names"] = ["The tag names field must be an array."]
    elif not data["tag_names"]:
        errors["tag_names"] = ["The tag names field must have at least 1 items."]
    else:
        for index, item in enumerate(data["tag_names"]):
            if not isinstance(item, str):
                errors["tag_names.%d" % index] = ["The tag_names.%d field must be a string." % index]
    for name in data:
        if name not in ("tag_name", "tag_names"):
            errors.setdefault(name, []).append("This field is not allowed.")
    return errors


def resource_create(api, req, ctx, kind, uuid):
    guard = envs.body_guard(req)
    if guard:
        return guard
    row, error = _lookup(api, ctx, kind, uuid)
    error = error or api.policy_manage(ctx)
    if error:
        return error
    data = req.data
    if "tag_name" in data and "tag_names" in data:
        return envs.validation_failed({"tag_name": ["Provide either tag_name or tag_names, not both."]})
    errors = _tag_input_errors(data)
    if errors:
        return envs.validation_failed(errors)
    names = []
    for name in data["tag_names"] if "tag_names" in data else [data["tag_name"]]:
        name = normalize(name)
        if name not in names:
            names.append(name)
    if any(len(name) < 2 for name in names):
        return envs.validation_failed({"tag_name": ["Each tag name must be at least 2 characters after sanitization."]})
    for name in names:
        if _tag_named(api.store, ctx.team_id, name) is None:
            _create_tag(api.store, ctx.team_id, name, ctx.now)
        if name not in row["tags"]:
            row["tags"].append(name)
    return json_response(201, _resource_tags(api.store, row, ctx.team_id))


def resource_delete(api, req, ctx, kind, uuid, tag_uuid):
    row, error = _lookup(api, ctx, kind, uuid)
    error = error or api.policy_manage(ctx)
    if error:
        return error
    tag = next((item for item in _team_tags(api.store, ctx.team_id) if item["uuid"] == tag_uuid), None)
    if tag is None:
        return message(404, "Tag not found.")
    if tag["name"] not in row["tags"]:
        return message(404, "Tag not found on resource.")
    row["tags"].remove(tag["name"])
    if not any(tag["name"] in other["tags"] for other in _tagged_rows(api.store, ctx.team_id)):
        api.store.tags.pop(tag["id"], None)  # Tag::deleteIfOrphaned
    return message(200, "Tag removed.")


# ------------------------------------------------------------------------------------------------ team tags

def _validate_name(req):
    guard = envs.body_guard(req)
    if guard:
        return None, guard
    data = req.data
    errors = {}
    name = data.get("name")
    if name is None:
        errors["name"] = ["The name field is required."]
    elif not isinstance(name, str):
        errors["name"] = ["The name field must be a string."]
    elif len(name) < 2:
        errors["name"] = ["The name field must be at least 2 characters."]
    elif len(name) > 255:
        errors["name"] = ["The name field must not be greater than 255 characters."]
    for field in data:
        if field != "name":
            errors.setdefault(field, []).append("This field is not allowed.")
    if errors:
        return None, envs.validation_failed(errors)
    name = normalize(name)
    if len(name) < 2:
        return None, envs.validation_failed({"name": ["The tag name must be at least 2 characters after sanitization."]})
    return name, None


def team_list(api, req, ctx):
    rows = sorted(_team_tags(api.store, ctx.team_id), key=lambda row: row["name"])
    return json_response(200, [tag_view(row) for row in rows])


def team_create(api, req, ctx):
    error = api.policy_manage(ctx)
    if error:
        return error
    name, error = _validate_name(req)
    if error:
        return error
    if _tag_named(api.store, ctx.team_id, name):
        return message(409, "Tag with this name already exists.")
    return json_response(201, tag_view(_create_tag(api.store, ctx.team_id, name, ctx.now)))


def _team_tag(api, ctx, uuid):
    tag = next((row for row in _team_tags(api.store, ctx.team_id) if row["uuid"] == uuid), None)
    if tag is None:
        return None, message(404, "Tag not found.")
    return tag, api.policy_manage(ctx)


def team_update(api, req, ctx, uuid):
    tag, error = _team_tag(api, ctx, uuid)
    if error:
        return error
    name, error = _validate_name(req)
    if error:
        return error
    other = _tag_named(api.store, ctx.team_id, name)
    if other is not None and other is not tag:
        return message(409, "Tag with this name already exists.")
    for row in _tagged_rows(api.store, ctx.team_id):
        row["tags"] = [name if item == tag["name"] else item for item in row["tags"]]
    tag["name"], tag["updated"] = name, ctx.now
    return json_response(200, tag_view(tag))


def team_delete(api, req, ctx, uuid):
    tag, error = _team_tag(api, ctx, uuid)
    if error:
        return error
    for row in _tagged_rows(api.store, ctx.team_id):
        if tag["name"] in row["tags"]:
            row["tags"].remove(tag["name"])
    api.store.tags.pop(tag["id"], None)
    return message(200, "Tag deleted.")


def _bind(handler, kind):
    def bound(api, req, ctx, *params):
        return handler(api, req, ctx, kind, *params)
    bound.__name__ = "%s_%s" % (handler.__name__, kind)
    return bound


ROUTES = (
    ("GET", "tags", "read", team_list, False),
    ("POST", "tags", "write", team_create, False),
    ("PATCH", "tags/{uuid}", "write", team_update, False),
    ("DELETE", "tags/{uuid}", "write", team_delete, False),
) + tuple(route for kind, (plural, _missing) in RESOURCES.items() for route in (
    ("GET", plural + "/{uuid}/tags", "read", _bind(resource_list, kind), False),
    ("POST", plural + "/{uuid}/tags", "write", _bind(resource_create, kind), False),
    ("DELETE", plural + "/{uuid}/tags/{tag_uuid}", "write", _bind(resource_delete, kind), False),
))
