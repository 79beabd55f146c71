# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Response shapes of standalone databases, their backup configurations and executions (API-NOTES §14.2, §15)."""

from __future__ import annotations

import time

from .seed_dbs import DB_TYPES
from .views import (STANDALONE_DOCKER, _destination, _hash, env_view, environment_view, order_keys, project_view,
                    server_reachable, team_view, ts)

URL_SCHEMES = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "mongodb": "mongodb", "redis": "redis",
               "keydb": "redis", "dragonfly": "redis", "clickhouse": "clickhouse"}


def _password(store, database):
    """Redis keeps its password in the REDIS_PASSWORD env row; the others in their own column."""
    if database["db_type"] == "redis":
        row = store.find_env("database", database, "REDIS_PASSWORD")
        if row is not None:
            return row["value"]
    return database["columns"][DB_TYPES[database["db_type"]]["passwords"][0]]


def db_urls(store, database):
    """(internal_db_url, external_db_url); both embed the password."""
    spec = DB_TYPES[database["db_type"]]
    columns = database["columns"]
    password = _password(store, database) or ""
    if database["db_type"] == "redis":
        user_row = store.find_env("database", database, "REDIS_USERNAME")
        user = user_row["value"] if user_row else "default"
    else:
        user = columns[spec["user"][0]] if spec["user"] else ""
    scheme = URL_SCHEMES[database["db_type"]]
    if database["db_type"] == "mongodb":
        path = "/?directConnection=true"
    elif spec["db"]:
        path = "/" + str(columns[spec["db"][0]])
    else:
        path = "/0"
    if database["enable_ssl"] and database["db_type"] == "postgresql":
        path += "?sslmode=" + spec["ssl_mode"]

    def url(host, port):
        return "%s://%s:%s@%s:%s%s" % (scheme, user, password, host, port, path)

    internal = url(database["uuid"], spec["port"])
    external = None
    if database["is_public"] and database["public_port"]:
        external = url(store.servers[database["server_id"]]["ip"], database["public_port"])
    return internal, external


def database_view(store, database, sensitive, detail=False, backup_configs=None):
    spec = DB_TYPES[database["db_type"]]
    server = store.servers[database["server_id"]]
    data = {
        "uuid": database["uuid"], "name": database["name"], "description": database["description"],
        "image": database["image"], "status": database["status"], "is_public": database["is_public"],
        "public_port": database["public_port"], "public_port_timeout": 3600, "ports_mappings": None,
        "limits_memory": "0", "limits_memory_swap": "0", "limits_memory_swappiness": 60,
        "limits_memory_reservation": "0", "limits_cpus": "0", "limits_cpuset": None, "limits_cpu_shares": 1024,
        "enable_ssl": database["enable_ssl"], "is_log_drain_enabled": False, "is_include_timestamps": False,
        "custom_docker_run_options": None, "health_check_enabled": database["health_check_enabled"],
        "health_check_interval": 15, "health_check_timeout": 10, "health_check_retries": 10,
        "health_check_start_period": 15, "config_hash": _hash(database["uuid"], database["image"]),
        "started_at": ts(database["started_at"]), "last_online_at": ts(database.get("last_online_at")),
        "restart_count": database.get("restart_count", 0), "last_restart_at": None, "last_restart_type": None,
        "environment_id": database["environment_id"], "destination_id": server["id"],
        "destination_type": STANDALONE_DOCKER, "server_status": server_reachable(server),
        "created_at": ts(database["created"]), "updated_at": ts(database["updated"]), "deleted_at": None,
    }
    if "ssl_mode" in spec:
        data["ssl_mode"] = spec["ssl_mode"]
    if database["db_type"] != "keydb":  # StandaloneKeydb does not append database_type
        data["database_type"] = "standalone-" + database["db_type"]
    secret = set(spec["passwords"]) | set(spec.get("hidden_other", ()))
    for column, value in database["columns"].items():
        if column not in secret:
            data[column] = value
    if sensitive:
        for column in secret:
            data[column] = database["columns"][column]
        if database["db_type"] == "redis":
            data["redis_password"] = _password(store, database)
        data["internal_db_url"], data["external_db_url"] = db_urls(store, database)
    if backup_configs is not None:
        data["backup_configs"] = backup_configs
    data["destination"] = _destination(store, server, sensitive)
    if detail:
        environment = store.environments[database["environment_id"]]
        project = store.projects[environment["project_id"]]
        nested = dict(environment_view(environment))
        nested["project"] = dict(project_view(project))
        nested["project"]["team"] = team_view(store.teams[project["team_id"]])
        data["environment"] = nested
    return order_keys(data)


def execution_view(row):
    return {"id": row["id"], "uuid": row["uuid"], "scheduled_database_backup_id": row["scheduled_database_backup_id"],
            "status": row["status"], "message": row["message"], "size": row["size"], "filename": row["filename"],
            "database_name": row["database_name"], "s3_uploaded": row["s3_uploaded"],
            "local_storage_deleted": row["local_storage_deleted"], "s3_storage_deleted": row["s3_storage_deleted"],
            "finished_at": ts(row["finished_at"]), "created_at": ts(row["created"]), "updated_at": ts(row["updated"])}


def execution_list_item(row):
    """GET …/executions items: a few fields, and `created_at` via toIso8601String() (seconds and an offset)."""
    created = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(row["created"]))
    return {"uuid": row["uuid"], "filename": row["filename"], "size": row["size"], "created_at": created,
            "message": row["message"], "status": row["status"]}


def backup_view(store, config, executions="all"):
    """A ScheduledDatabaseBackup row (not key-ordered) with `executions` (all) or `latest_log` (the newest or null)."""
    data = {"id": config["id"], "uuid": config["uuid"]}
    for key in ("description", "enabled", "save_s3", "disable_local_backup", "frequency", "databases_to_backup",
                "dump_all", "database_backup_retention_amount_locally", "database_backup_retention_days_locally",
                "database_backup_retention_max_storage_locally", "database_backup_retention_amount_s3",
                "database_backup_retention_days_s3", "database_backup_retention_max_storage_s3", "timeout",
                "database_type", "database_id", "s3_storage_id", "team_id"):
        data[key] = config[key]
    data["created_at"] = ts(config["created"])
    data["updated_at"] = ts(config["updated"])
    rows = store.executions_of(config)
    if executions == "all":
        data["executions"] = [execution_view(row) for row in rows]
    else:
        data["latest_log"] = execution_view(rows[0]) if rows else None
    return data


def database_env_view(env, sensitive, version, resolved=None):
    """removeSensitiveEnvData: `id` and `resourceable*` hidden; no is_shown_once rule (values shown when sensitive)."""
    data = env_view(env, sensitive, version, shown_once_rule=False, resolved=resolved)
    data.pop("resourceable_type", None)
    data.pop("resourceable_id", None)
    return data
