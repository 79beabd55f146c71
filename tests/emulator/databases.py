# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Standalone database endpoints: list/get, queued start/stop/restart, envs and scheduled backups (API-NOTES §14-15)."""

from __future__ import annotations

import re

from . import envs
from .dbviews import backup_view, database_view, execution_list_item
from .http_types import json_response, message, php_truthy, request_boolean
from .seed_dbs import BACKUP_DEFAULTS, BACKUP_FIELDS, DB_TYPES

UPDATE_DENIED = "You need at least admin or owner permissions to update this database."
CRON_STRINGS = ("every_minute", "hourly", "daily", "weekly", "monthly", "yearly", "@hourly", "@daily", "@weekly",
                "@monthly", "@yearly")
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
SHELL_CHARS = (("`", "backtick (command substitution)"), ("$(", "command substitution"),
               ("${", "variable substitution with potential command injection"), ("|", "pipe operator"),
               ("&", "background/AND operator"), (";", "command separator"), ("\n", "newline (command separator)"),
               ("\r", "carriage return"), ("\t", "tab (token separator)"), (">", "output redirection"),
               ("<", "input redirection"))
INT_FIELDS = ("database_backup_retention_amount_locally", "database_backup_retention_days_locally",
              "database_backup_retention_amount_s3", "database_backup_retention_days_s3")
NUMBER_FIELDS = ("database_backup_retention_max_storage_locally", "database_backup_retention_max_storage_s3")
ALLOWED_BACKUP_INPUT = BACKUP_FIELDS + ("s3_storage_uuid", "backup_now")


def _lookup(api, ctx, uuid):
    database = api.store.database_by_uuid(uuid, ctx.team_id)
    return database, (message(404, "Database not found.") if database is None else None)


# ------------------------------------------------------------------------------------------------ list, get, actions

def db_list(api, req, ctx):
    store = api.store
    items = []
    for row in store.team_databases(ctx.team_id):
        configs = [backup_view(store, config, executions="latest") for config in store.backups_for(row)]
        items.append(database_view(store, row, ctx.sensitive, backup_configs=configs))
    return json_response(200, items)


def db_get(api, req, ctx, uuid):
    database, error = _lookup(api, ctx, uuid)
    return error or json_response(200, database_view(api.store, database, ctx.sensitive, detail=True))


def _action(api, ctx, uuid, action):
    database, error = api.managed(ctx, "database", uuid, "Database not found.")
    if error:
        return error
    status = database["status"]
    if action == "start" and "running" in status:
        return message(400, "Database is already running.")
    if action == "stop" and ("stopped" in status or "exited" in status):
        return message(400, "Database is already stopped.")
    api.store.queue_job("database", database, action, ctx.now)
    return message(200, "Database %s request queued." % {"start": "starting", "stop": "stopping",
                                                         "restart": "restarting"}[action])


def db_start(api, req, ctx, uuid):
    return _action(api, ctx, uuid, "start")


def db_stop(api, req, ctx, uuid):
    return _action(api, ctx, uuid, "stop")


def db_restart(api, req, ctx, uuid):
    return _action(api, ctx, uuid, "restart")


class NoPreviews(Exception):
    """`pr` with a database uuid: Coolify calls `$resource->previews()`, which databases lack (a 500)."""


def deploy_item(api, ctx, uuid, pr=0):
    """The /deploy branch for a database uuid: (item or None). No running guard; StartDatabase is queued."""
    store = api.store
    database = store.database_by_uuid(uuid, ctx.team_id)
    if database is not None and pr:
        raise NoPreviews(uuid)
    if database is None:
        for service in store.team_services(ctx.team_id):
            if any(sub["uuid"] == uuid for sub in service["databases"]):
                # ServiceDatabasePolicy has no `manage`: Laravel denies.
                return {"message": "Unauthorized to start this database.", "resource_uuid": uuid}
        return None
    if api.policy_manage(ctx) is not None:
        return {"message": "Unauthorized to start this database.", "resource_uuid": uuid}
    store.queue_job("database", database, "start", ctx.now)
    if database["started_at"] is None:
        database["started_at"] = ctx.now
    return {"message": "Database %s started." % database["name"], "resource_uuid": database["uuid"]}


# ------------------------------------------------------------------------------------------------ backups

def _validate_backup(data, create):
    errors = {}

    def add(field, text):
        errors.setdefault(field, []).append(text)

    def label(field):
        return field.replace("_", " ")

    if create and data.get("frequency") is None:
        add("frequency", "This field is required.")
    elif "frequency" in data and data["frequency"] is not None and not isinstance(data["frequency"], str):
        add("frequency", "The frequency field must be a string.")
    for field in ("enabled", "save_s3", "dump_all", "backup_now"):
        value = data.get(field)
        if field in data and not (value is None and field == "backup_now") and not envs.is_strict_bool(value):
            add(field, "The %s field must be true or false." % label(field))
    for field in ("s3_storage_uuid", "databases_to_backup"):
        if data.get(field) is not None and not isinstance(data[field], str):
            add(field, "The %s field must be a string." % label(field))
    if isinstance(data.get("s3_storage_uuid"), str):
        add("s3_storage_uuid", "The selected s3 storage uuid is invalid.")  # the emulator has no S3 storages
    for field in INT_FIELDS + NUMBER_FIELDS + ("timeout",):
        if field not in data:
            continue
        value = data[field]
        number = _number(value, integer=field not in NUMBER_FIELDS)
        if number is None:
            add(field, "The %s field must be %s." % (label(field), "a number" if field in NUMBER_FIELDS else "an integer"))
            continue
        low, high = (60, 36000) if field == "timeout" else (0, None)
        if number < low:
            add(field, "The %s field must be at least %d." % (label(field), low))
        elif high is not None and number > high:
            add(field, "The %s field must not be greater than %d." % (label(field), high))
    return errors


def _number(value, integer):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return None if integer and isinstance(value, float) and not value.is_integer() else value
    text = str(value).strip()
    pattern = r"^[+-]?\d+$" if integer else r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
    return float(text) if re.match(pattern, text) else None


def valid_cron(expression):
    expression = str(expression).strip()
    if expression in CRON_STRINGS:
        return True
    parts = expression.split()
    if len(parts) != 5:
        return False
    for part, (low, high) in zip(parts, CRON_RANGES):
        if not CRON_FIELD.match(part):
            return False
        for number in re.findall(r"\d+", re.sub(r"/\d+", "", part)):
            if not low <= int(number) <= high:
                return False
    return True


def _shell_error(text):
    for entry in text.split("|"):
        entry = entry.strip()
        if entry in ("", "all", "*"):
            continue
        if ":" in entry:
            name, _colon, rest = entry.partition(":")
            names = [(name, "database name")] + [(item.strip(), "collection name") for item in rest.split(",") if item.strip()]
        else:
            names = [(item.strip(), "database name") for item in entry.split(",") if item.strip() not in ("", "all", "*")]
        for name, context in names:
            for char, description in SHELL_CHARS:
                if char in name:
                    return ("Invalid %s: contains forbidden character '%s' (%s). Shell metacharacters are not allowed "
                            "for security reasons." % (context, char, description))
    return None


def _backup_checks(data, errors_first):
    """The checks after the policy, shared by create and update (cron, S3)."""
    if data.get("frequency") is not None and not valid_cron(data["frequency"]):
        return envs.validation_failed({"frequency": ["Invalid cron expression or frequency format."]})
    if request_boolean(data.get("save_s3")) and data.get("s3_storage_uuid") is None:
        return envs.validation_failed({"s3_storage_uuid": ["The s3_storage_uuid field is required when save_s3 is true."]})
    return errors_first


def _extra_fields(data):
    extra = {name: ["This field is not allowed."] for name in data if name not in ALLOWED_BACKUP_INPUT}
    return envs.validation_failed(extra) if extra else None


def _backup_values(data):
    values = {}
    for name in BACKUP_FIELDS:
        if name in data:
            value = data[name]
            if name in ("enabled", "save_s3", "dump_all"):
                value = envs.to_bool(value)
            elif name in INT_FIELDS or name == "timeout":
                value = int(float(value))
            elif name in NUMBER_FIELDS:
                value = float(value)
            values[name] = value
    return values


def backup_list(api, req, ctx, uuid):
    database, error = _lookup(api, ctx, uuid)
    if error:
        return error
    return json_response(200, [backup_view(api.store, row) for row in api.store.backups_for(database)])


def backup_create(api, req, ctx, uuid):
    guard = envs.body_guard(req)
    if guard:
        return guard
    data = req.data
    errors = _validate_backup(data, create=True)
    if errors:
        return envs.validation_failed(errors)
    database, error = api.managed(ctx, "database", uuid, "Database not found.")
    if error:
        return error
    if not DB_TYPES[database["db_type"]]["backup"]:
        return message(422, "Scheduled backups are not supported for this database type.")
    error = _backup_checks(data, None) or _extra_fields(data)
    if error:
        return error
    values = dict(BACKUP_DEFAULTS)
    values.update(_backup_values(data))
    if not values.get("databases_to_backup"):
        spec = DB_TYPES[database["db_type"]]
        values["databases_to_backup"] = database["columns"][spec["db"][0]] if database["db_type"] != "mongodb" else None
    shell = _shell_error(values["databases_to_backup"]) if values.get("databases_to_backup") else None
    if shell:
        return envs.validation_failed({"databases_to_backup": [shell]})
    config = api.store.add_backup(database, values, ctx.now)
    if php_truthy(data.get("backup_now")):
        api.store.queue_backup(config, ctx.now)
    return json_response(201, {"uuid": config["uuid"], "message": "Backup configuration created successfully."})


def _config(api, database, config_uuid):
    for row in api.store.backups_for(database):
        if row["uuid"] == config_uuid:
            return row
    return None


def backup_update(api, req, ctx, uuid, config_uuid):
    guard = envs.body_guard(req)
    if guard:
        return guard
    data = req.data
    errors = _validate_backup(data, create=False)
    if errors:
        return envs.validation_failed(errors)
    database, error = _lookup(api, ctx, uuid)
    if error:
        return error
    if api.policy_manage(ctx) is not None:
        return json_response(403, {"message": UPDATE_DENIED, "error": "Unauthorized"})
    error = _backup_checks(data, None)
    if error:
        return error
    config = _config(api, database, config_uuid)
    if config is None:
        return message(404, "Backup config not found.")
    error = _extra_fields(data)
    if error:
        return error
    values = _backup_values(data)
    shell = _shell_error(values["databases_to_backup"]) if values.get("databases_to_backup") else None
    if shell:
        return envs.validation_failed({"databases_to_backup": [shell]})
    if values:
        config.update(values)
        config["updated"] = ctx.now
    if php_truthy(data.get("backup_now")):
        api.store.queue_backup(config, ctx.now)
    return message(200, "Database backup configuration updated")


def _owned_config(api, ctx, uuid, config_uuid, policy):
    database, error = _lookup(api, ctx, uuid)
    if error:
        return None, error
    if policy and api.policy_manage(ctx) is not None:
        return None, json_response(403, {"message": UPDATE_DENIED, "error": "Unauthorized"})
    config = _config(api, database, config_uuid)
    if config is None:
        return None, message(404, "Backup configuration not found.")
    return config, None


def backup_delete(api, req, ctx, uuid, config_uuid):
    config, error = _owned_config(api, ctx, uuid, config_uuid, policy=True)
    if error:
        return error
    api.store.delete_backup(config)
    return message(200, "Backup configuration and all executions deleted.")


def execution_list(api, req, ctx, uuid, config_uuid):
    config, error = _owned_config(api, ctx, uuid, config_uuid, policy=False)
    if error:
        return error
    return json_response(200, {"executions": [execution_list_item(row) for row in api.store.executions_of(config)]})


def execution_delete(api, req, ctx, uuid, config_uuid, execution_uuid):
    config, error = _owned_config(api, ctx, uuid, config_uuid, policy=True)
    if error:
        return error
    for row in api.store.executions_of(config):
        if row["uuid"] == execution_uuid:
            api.store.executions.pop(row["id"], None)
            return message(200, "Backup execution deleted.")
    return message(404, "Backup execution not found.")


# (method, pattern, ability, handler, action): actions also answer GET with the 405 stub.
ROUTES = (
    ("GET", "databases", "read", db_list, False),
    ("GET", "databases/{uuid}", "read", db_get, False),
    ("POST", "databases/{uuid}/start", "deploy", db_start, True),
    ("POST", "databases/{uuid}/stop", "deploy", db_stop, True),
    ("POST", "databases/{uuid}/restart", "deploy", db_restart, True),
    ("GET", "databases/{uuid}/envs", "read", envs.database_list, False),
    ("POST", "databases/{uuid}/envs", "write", envs.database_create, False),
    ("PATCH", "databases/{uuid}/envs/bulk", "write", envs.database_bulk, False),
    ("PATCH", "databases/{uuid}/envs", "write", envs.database_update, False),
    ("DELETE", "databases/{uuid}/envs/{env_uuid}", "write", envs.database_delete, False),
    ("GET", "databases/{uuid}/backups", "read", backup_list, False),
    ("POST", "databases/{uuid}/backups", "write", backup_create, False),
    ("PATCH", "databases/{uuid}/backups/{backup_uuid}", "write", backup_update, False),
    ("DELETE", "databases/{uuid}/backups/{backup_uuid}", "write", backup_delete, False),
    ("GET", "databases/{uuid}/backups/{backup_uuid}/executions", "read", execution_list, False),
    ("DELETE", "databases/{uuid}/backups/{backup_uuid}/executions/{execution_uuid}", "write", execution_delete, False),
)
