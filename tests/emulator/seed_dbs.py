# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed rows for standalone databases, their scheduled backups (fixture entries and the generated fleet) and shared
variables (fixture entries)."""

from __future__ import annotations

import re
import string

# Every generated password, and so every connection URL, carries this marker: tests grep output for it.
SECRET_MARKER = "coolops-dbsecret"

# Coolify's STANDALONE_DATABASE_MODELS order (the lookup and list order).
MODEL_ORDER = ("postgresql", "redis", "mongodb", "mysql", "mariadb", "keydb", "dragonfly", "clickhouse")
# The order the generated fleet hands types out in (the commonest first).
FLEET_ORDER = ("postgresql", "mysql", "mariadb", "mongodb", "redis", "keydb", "dragonfly", "clickhouse")

# type -> image, port, user column (default), database column (default), password columns, other columns, backups
DB_TYPES = {
    "postgresql": {"image": "postgres:17-alpine", "port": 5432, "user": ("postgres_user", "postgres"),
                   "db": ("postgres_db", "postgres"), "passwords": ("postgres_password",),
                   "other": {"postgres_initdb_args": None, "postgres_host_auth_method": None, "postgres_conf": None},
                   "hidden_other": ("init_scripts",), "backup": True, "ssl_mode": "require"},
    "redis": {"image": "redis:7.2", "port": 6379, "user": None, "db": None, "passwords": ("redis_password",),
              "other": {"redis_conf": None}, "backup": False},
    "mongodb": {"image": "mongo:7", "port": 27017, "user": ("mongo_initdb_root_username", "root"),
                "db": ("mongo_initdb_database", "default"), "passwords": ("mongo_initdb_root_password",),
                "other": {"mongo_conf": None}, "backup": True, "ssl_mode": "require"},
    "mysql": {"image": "mysql:8", "port": 3306, "user": ("mysql_user", "mysql"), "db": ("mysql_database", "default"),
              "passwords": ("mysql_password", "mysql_root_password"), "other": {"mysql_conf": None}, "backup": True,
              "ssl_mode": "REQUIRED"},
    "mariadb": {"image": "mariadb:11", "port": 3306, "user": ("mariadb_user", "mariadb"),
                "db": ("mariadb_database", "default"), "passwords": ("mariadb_password", "mariadb_root_password"),
                "other": {"mariadb_conf": None}, "backup": True},
    "keydb": {"image": "eqalpha/keydb:latest", "port": 6379, "user": None, "db": None, "passwords": ("keydb_password",),
              "other": {"keydb_conf": None}, "backup": False},
    "dragonfly": {"image": "docker.dragonflydb.io/dragonflydb/dragonfly", "port": 6379, "user": None, "db": None,
                  "passwords": ("dragonfly_password",), "other": {}, "backup": False},
    "clickhouse": {"image": "clickhouse/clickhouse-server:25.11", "port": 9000,
                   "user": ("clickhouse_admin_user", "default"), "db": ("clickhouse_db", "default"),
                   "passwords": ("clickhouse_admin_password",), "other": {}, "backup": True},
}
CLASS_NAMES = {"postgresql": "Postgresql", "mongodb": "Mongodb", "mysql": "Mysql", "mariadb": "Mariadb",
               "redis": "Redis", "keydb": "Keydb", "dragonfly": "Dragonfly", "clickhouse": "Clickhouse"}
MODEL_CLASS = {name: "App\\Models\\Standalone" + CLASS_NAMES[name] for name in DB_TYPES}
DB_STATUSES = (("running:healthy", 70), ("exited:unhealthy", 20), ("running:unhealthy", 10))
BACKUP_DEFAULTS = {
    "description": None, "enabled": True, "save_s3": True, "disable_local_backup": False, "frequency": "0 0 * * *",
    "databases_to_backup": None, "dump_all": False, "database_backup_retention_amount_locally": 0,
    "database_backup_retention_days_locally": 0, "database_backup_retention_max_storage_locally": 0,
    "database_backup_retention_amount_s3": 0, "database_backup_retention_days_s3": 0,
    "database_backup_retention_max_storage_s3": 0, "timeout": 3600,
}
BACKUP_FIELDS = tuple(BACKUP_DEFAULTS)


DUMP_PREFIX = {"postgresql": ("pg-dump", ".dmp"), "mysql": ("mysql-dump", ".dmp"), "mariadb": ("mariadb-dump", ".dmp"),
               "mongodb": ("mongo-dump", ".tar.gz"), "clickhouse": ("clickhouse-backup", ".zip")}


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def backup_filename(team_name, team_id, database, name, when):
    """Where DatabaseBackupJob writes a dump on the server."""
    prefix, suffix = DUMP_PREFIX[database["db_type"]]
    return "/data/coolify/backups/databases/%s-%s/%s-%s/%s-%s-%d%s" % (
        slug(team_name), team_id, slug(database["name"]), database["uuid"], prefix, name, int(when), suffix)


def db_password(rng, length=20):
    return "%s-%s" % (SECRET_MARKER, "".join(rng.choice(string.ascii_letters + string.digits) for _char in range(length)))


def add_database(world, name, db_type, environment, server, team_id, uuid=None, **extra):
    """One standalone database row; credentials default to generated values carrying SECRET_MARKER."""
    from .seed import FixtureError, normalize_app_status, _reject_extra  # pylint: disable=import-outside-toplevel
    if db_type not in DB_TYPES:
        raise FixtureError("database %s: unknown type %r (use %s)" % (name, db_type, ", ".join(MODEL_ORDER)))
    spec = DB_TYPES[db_type]
    tags = [str(tag) for tag in extra.pop("tags", [])]
    for tag in tags:
        world.ensure_tag(tag, team_id)
    columns = dict(spec["other"])
    for column in spec.get("hidden_other", ()):
        columns[column] = None
    if spec["user"]:
        columns[spec["user"][0]] = str(extra.pop("user", spec["user"][1]))
    if spec["db"]:
        columns[spec["db"][0]] = str(extra.pop("database", spec["db"][1]))
    password = extra.pop("password", None)
    for column in spec["passwords"]:
        columns[column] = str(password) if password is not None else db_password(world.rng)
    public_port = extra.pop("public_port", None)
    row = {"id": world.next_id("databases"), "type_id": world.next_id("db_" + db_type), "uuid": world.uuid(uuid),
           "name": name, "description": extra.pop("description", None), "db_type": db_type,
           "environment_id": environment["id"], "server_id": server["id"], "image": extra.pop("image", spec["image"]),
           "status": normalize_app_status(extra.pop("status", "exited")), "is_public": bool(extra.pop("is_public", False)),
           "public_port": None if public_port is None else int(public_port),
           "enable_ssl": bool(extra.pop("enable_ssl", False)),
           "health_check_enabled": bool(extra.pop("health_check_enabled", True)), "columns": columns, "tags": tags,
           "started_at": None, "created": world.stamp()}
    row["updated"] = row["created"]
    envs = extra.pop("envs", []) or []
    backups = extra.pop("backups", []) or []
    _reject_extra("database " + name, extra)
    world.data["databases"].append(row)
    if db_type == "redis":
        # Creating a Redis database also creates these two env rows; redis_password is read from the first.
        world.add_env("database", row, "REDIS_PASSWORD", columns["redis_password"], is_buildtime=False)
        world.add_env("database", row, "REDIS_USERNAME", "default", is_buildtime=False)
    for env in envs:
        env = dict(env)
        world.add_env("database", row, env.pop("key"), env.pop("value", None), **env)
    for backup in backups:
        add_backup(world, row, team_id, **dict(backup))
    return row


def add_backup(world, database, team_id, uuid=None, **fields):
    from .seed import FixtureError, _reject_extra  # pylint: disable=import-outside-toplevel
    if not DB_TYPES[database["db_type"]]["backup"]:
        raise FixtureError("database %s: scheduled backups are not supported for %s" % (database["name"], database["db_type"]))
    row = dict(BACKUP_DEFAULTS)
    for name in BACKUP_FIELDS:
        if name in fields:
            row[name] = fields.pop(name)
    executions = fields.pop("executions", []) or []
    _reject_extra("backup of database " + database["name"], fields)
    row.update({"id": world.next_id("backups"), "uuid": world.uuid(uuid), "database_type": MODEL_CLASS[database["db_type"]],
                "database_id": database["type_id"], "s3_storage_id": None, "team_id": int(team_id),
                "created": world.stamp()})
    row["updated"] = row["created"]
    world.data["backups"].append(row)
    for item in executions:
        add_execution(world, row, database, **dict(item))
    return row


def add_execution(world, config, database, **fields):
    """A past backup execution (`status` success or failed) of `config`, finished when it was created."""
    from .seed import FixtureError, _reject_extra  # pylint: disable=import-outside-toplevel
    status = str(fields.pop("status", "success"))
    if status not in ("success", "failed"):
        raise FixtureError("backup execution of %s: status must be success or failed" % database["name"])
    spec = DB_TYPES[database["db_type"]]
    name = str(fields.pop("database_name", database["columns"][spec["db"][0]] if spec["db"] else "all"))
    created = world.stamp()
    team = next((row["name"] for row in world.data["teams"] if row["id"] == config["team_id"]), "team")
    filename = backup_filename(team, config["team_id"], database, name, created)
    row = {"id": world.next_id("backup_executions"), "uuid": world.uuid(fields.pop("uuid", None)),
           "scheduled_database_backup_id": config["id"], "status": status,
           "message": fields.pop("message", None if status == "success" else "pg_dump: error: connection refused"),
           "size": int(fields.pop("size", 52428 if status == "success" else 0)),
           "filename": filename if status == "success" else None, "database_name": name,
           "s3_uploaded": fields.pop("s3_uploaded", None), "local_storage_deleted": False,
           "s3_storage_deleted": False, "finished_at": created, "created": created, "updated": created,
           "ends": created, "last": True}
    _reject_extra("backup execution of " + database["name"], fields)
    world.data["backup_executions"].append(row)
    return row


def fixture_databases(world, items, placement):
    """`databases:` entries of a fixture; `placement(kind, item)` resolves project/environment/server."""
    for item in items or []:
        item = dict(item)
        name = str(item.pop("name"))
        environment, server, team_id = placement("database " + name, item)
        db_type = str(item.pop("type", "postgresql"))
        add_database(world, name, db_type, environment, server, team_id, item.pop("uuid", None), **item)


def fleet_databases(world, rng, count, servers, envs_by_project):
    """`count` databases spread deterministically over servers, projects and environments; backups on about half."""
    from .seed import _weighted  # pylint: disable=import-outside-toplevel
    used = set()
    for index in range(count):
        project, environments = envs_by_project[index % len(envs_by_project)]
        environment = environments[(index // len(envs_by_project)) % len(environments)]
        db_type = FLEET_ORDER[index % len(FLEET_ORDER)]
        name = "%s-%s" % (project["name"], db_type)
        if environment["name"] != "production":
            name += "-" + environment["name"]
        base, suffix = name, 2
        while name in used:
            name, suffix = "%s-%d" % (base, suffix), suffix + 1
        used.add(name)
        public = index % 5 == 3
        row = add_database(world, name, db_type, environment, servers[index % len(servers)], 0,
                           description=None if index % 2 else "The %s %s database" % (project["name"], db_type),
                           status=_weighted(rng, DB_STATUSES), is_public=public,
                           public_port=15432 + index if public else None,
                           tags=[environment["name"], "database", project["name"]])
        if index % 2 == 0 and DB_TYPES[db_type]["backup"]:
            add_backup(world, row, 0, frequency="0 3 * * *", save_s3=False,
                       database_backup_retention_amount_locally=7, description="nightly",
                       executions=[{"status": "success", "size": 1048576 * (index + 1)}])


def acme_database(world, environment, server):
    """Team 1's database: team-0 tokens get 404 for it."""
    return add_database(world, "acme-db", "postgresql", environment, server, 1, status="running:healthy",
                        tags=["production"])


def fixture_shared_envs(world, items):
    """`shared_envs:` entries: {type: team|project|environment|server, key, value, ...} plus the scope reference."""
    from .seed import FixtureError, _find, _reject_extra  # pylint: disable=import-outside-toplevel
    for item in items or []:
        item = dict(item)
        type_ = str(item.pop("type", "team"))
        row = {"key": str(item.pop("key")), "value": item.pop("value", None), "comment": item.pop("comment", None),
               "type": type_, "project_id": None, "environment_id": None, "server_id": None, "created": world.stamp()}
        for flag in ("is_literal", "is_multiline", "is_shown_once"):
            row[flag] = bool(item.pop(flag, False))
        if row["value"] is not None:
            row["value"] = str(row["value"])
        if type_ == "team":
            row["team_id"] = int(item.pop("team", 0))
        elif type_ in ("project", "environment"):
            project = _find(world.data["projects"], item.pop("project"), "project")
            row["team_id"], row["project_id"] = project["team_id"], project["id"]
            if type_ == "environment":
                envs = [env for env in world.data["environments"] if env["project_id"] == project["id"]]
                row["environment_id"] = _find(envs, item.pop("environment"), "environment")["id"]
                row["project_id"] = None
        elif type_ == "server":
            server = _find(world.data["servers"], item.pop("server"), "server")
            row["team_id"], row["server_id"] = server["team_id"], server["id"]
        else:
            raise FixtureError("shared env %s: unknown type %r (use team, project, environment, server)" % (row["key"], type_))
        _reject_extra("shared env " + row["key"], item)
        world.data["shared_envs"].append(row)
