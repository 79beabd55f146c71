# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the seed world: from a fixture file, or a generated fleet that looks like a real Coolify instance."""

from __future__ import annotations

import json
import random
import string

from . import seed_dbs

ROOT_ABILITIES = ["root"]
ALL_ABILITIES = ("root", "write", "write:sensitive", "deploy", "read", "read:sensitive", "*")
ROLES = ("owner", "admin", "member")
# 2026-01-05T09:00:00Z: seeded rows are created at fixed times so the seed is reproducible.
SEED_EPOCH = 1767603600.0
_ALPHABET = string.ascii_lowercase + string.digits


class FixtureError(ValueError):
    """A fixture file that cannot be loaded; the message names the problem."""


def make_uuid(rng):
    """24 characters from [a-z0-9], like new Coolify records."""
    return "".join(rng.choice(_ALPHABET) for _char in range(24))


def parse_token_spec(spec, default_user):
    """`TOKEN=ability[,ability...][@TEAM_ID]` -> token dict."""
    token, sep, rest = spec.rpartition("=")
    if not sep or not token:
        raise FixtureError("--add-token wants TOKEN=ability[,ability...][@TEAM_ID], got %r" % spec)
    abilities, _at, team = rest.partition("@")
    team_id = 0
    if team:
        try:
            team_id = int(team)
        except ValueError as exc:
            raise FixtureError("--add-token team must be a number, got %r" % team) from exc
    abilities = [item.strip() for item in abilities.split(",") if item.strip()]
    return {"token": token, "abilities": abilities, "team": team_id, "user": default_user}


class World:
    """Collects rows with sequential ids; the State is built from the finished dict."""

    def __init__(self, rng):
        self.rng = rng
        self.data = {name: [] for name in ("teams", "tokens", "servers", "projects", "environments", "tags",
                                           "applications", "services", "envs", "deployments", "databases", "backups",
                                           "backup_executions", "shared_envs")}
        self.ids = {}
        self.clock = SEED_EPOCH

    def next_id(self, table):
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def stamp(self):
        self.clock += 37.0
        return self.clock

    def uuid(self, given=None):
        return str(given) if given else make_uuid(self.rng)

    def add_team(self, team_id, name, description=None, personal_team=False):
        self.data["teams"].append({"id": team_id, "name": name, "description": description,
                                   "personal_team": personal_team, "created": self.stamp()})

    def add_token(self, token, abilities, team_id=0, user_id=1, role="owner", name=None):
        for ability in abilities:
            if ability not in ALL_ABILITIES:
                raise FixtureError("unknown ability %r (use %s)" % (ability, ", ".join(ALL_ABILITIES)))
        if role not in ROLES:
            raise FixtureError("unknown role %r (use %s)" % (role, ", ".join(ROLES)))
        token = str(token)
        for row in self.data["tokens"]:
            if row["token"] == token:
                self.data["tokens"].remove(row)
                break
        prefix, sep, secret = token.partition("|")
        if sep and prefix.isdigit():
            token_id = int(prefix)
        else:
            token_id = None
            secret = token
        self.data["tokens"].append({"id": token_id, "token": token, "secret": secret, "abilities": list(abilities),
                                    "team_id": int(team_id), "user_id": int(user_id), "role": role,
                                    "name": name or "token-%d" % (len(self.data["tokens"]) + 1)})

    def add_server(self, name, ip, team_id=0, uuid=None, description=None, **extra):
        server_id = self.next_id("servers")
        row = {"id": server_id, "uuid": self.uuid(uuid), "name": name, "description": description, "ip": ip,
               "user": extra.pop("user", "root"), "port": int(extra.pop("port", 22)), "team_id": int(team_id),
               "concurrent_builds": extra.pop("concurrent_builds", None), "queue_limit": extra.pop("queue_limit", None),
               "is_reachable": bool(extra.pop("is_reachable", True)), "is_usable": bool(extra.pop("is_usable", True)),
               "is_coolify_host": bool(extra.pop("is_coolify_host", ip == "host.docker.internal")),
               "destination_uuid": self.uuid(), "created": self.stamp()}
        _reject_extra("server " + name, extra)
        self.data["servers"].append(row)
        return row

    def add_project(self, name, team_id=0, uuid=None, description=None):
        row = {"id": self.next_id("projects"), "uuid": self.uuid(uuid), "name": name, "description": description,
               "team_id": int(team_id), "created": self.stamp()}
        self.data["projects"].append(row)
        return row

    def add_environment(self, project, name, uuid=None, description=None):
        row = {"id": self.next_id("environments"), "uuid": self.uuid(uuid), "name": name, "description": description,
               "project_id": project["id"], "created": self.stamp()}
        self.data["environments"].append(row)
        return row

    def ensure_tag(self, name, team_id):
        for row in self.data["tags"]:
            if row["name"] == name and row["team_id"] == team_id:
                return row
        row = {"id": self.next_id("tags"), "name": str(name), "team_id": int(team_id), "created": self.stamp()}
        self.data["tags"].append(row)
        return row

    def add_application(self, name, environment, server, team_id, uuid=None, **extra):
        tags = [str(tag) for tag in extra.pop("tags", [])]
        for tag in tags:
            self.ensure_tag(tag, team_id)
        row = {"id": self.next_id("applications"), "uuid": self.uuid(uuid), "name": name,
               "description": extra.pop("description", None), "environment_id": environment["id"],
               "server_id": server["id"], "fqdn": extra.pop("fqdn", None),
               "git_repository": extra.pop("git_repository", "coollabsio/coolify-examples"),
               "git_branch": extra.pop("git_branch", "main"), "git_commit_sha": extra.pop("git_commit_sha", "HEAD"),
               "build_pack": extra.pop("build_pack", "nixpacks"), "ports_exposes": str(extra.pop("ports_exposes", "3000")),
               "status": normalize_app_status(extra.pop("status", "exited")), "tags": tags,
               "created": self.stamp()}
        _reject_extra("application " + name, extra)
        self.data["applications"].append(row)
        return row

    def add_service(self, name, environment, server, team_id, uuid=None, **extra):
        tags = [str(tag) for tag in extra.pop("tags", [])]
        for tag in tags:
            self.ensure_tag(tag, team_id)
        status = str(extra.pop("status", "exited"))
        row = {"id": self.next_id("services"), "uuid": self.uuid(uuid), "name": name,
               "description": extra.pop("description", None), "environment_id": environment["id"],
               "server_id": server["id"], "service_type": extra.pop("service_type", None), "tags": tags,
               "applications": [], "databases": [], "created": self.stamp()}
        for kind in ("applications", "databases"):
            for item in extra.pop(kind, []) or []:
                if isinstance(item, str):
                    item = {"name": item}
                item = dict(item)
                sub = {"id": self.next_id("service_" + kind), "uuid": self.uuid(item.pop("uuid", None)),
                       "name": str(item.pop("name")), "image": item.pop("image", None),
                       "status": str(item.pop("status", status)),
                       "exclude_from_status": bool(item.pop("exclude_from_status", False))}
                if kind == "applications":
                    sub["fqdn"] = item.pop("fqdn", None)
                    sub["human_name"] = item.pop("human_name", None)
                _reject_extra("service %s %s %s" % (name, kind, sub["name"]), item)
                row[kind].append(sub)
        _reject_extra("service " + name, extra)
        self.data["services"].append(row)
        return row

    def add_env(self, resource_type, resource, key, value=None, **flags):
        row = {"id": self.next_id("envs"), "uuid": self.uuid(flags.pop("uuid", None)), "resource_type": resource_type,
               "resource_id": resource["id"], "key": str(key), "value": None if value is None else str(value),
               "is_preview": bool(flags.pop("is_preview", False)), "is_literal": bool(flags.pop("is_literal", False)),
               "is_multiline": bool(flags.pop("is_multiline", False)),
               "is_shown_once": bool(flags.pop("is_shown_once", False)),
               "is_runtime": bool(flags.pop("is_runtime", True)), "is_buildtime": bool(flags.pop("is_buildtime", True)),
               "is_required": bool(flags.pop("is_required", False)), "comment": flags.pop("comment", None),
               "version": str(flags.pop("version", "4.3.11")), "created": self.stamp()}
        row["updated"] = row["created"]
        _reject_extra("env " + str(key), flags)
        self.data["envs"].append(row)
        return row


def normalize_app_status(status):
    """Applications always read as `state:health`; a bare state gets `:unhealthy` as in Coolify's model."""
    status = str(status or "exited")
    if "(" in status:
        status = status.replace(" (", ":").replace(")", "")
    if ":" not in status:
        status += ":unhealthy"
    return status


def _reject_extra(what, extra):
    if extra:
        raise FixtureError("%s: unknown field(s) %s" % (what, ", ".join(sorted(extra))))


# --------------------------------------------------------------------------------------------------- fixture files

def load_fixture_file(path):
    """Read a YAML or JSON fixture; JSON never needs PyYAML."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        import yaml  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise FixtureError("%s is not JSON and PyYAML is not installed to read it as YAML" % path) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FixtureError("%s: %s" % (path, exc)) from exc


def _find(rows, ref, what, extra=None):
    """Look a row up by uuid first, then by name (optionally narrowed by `extra`)."""
    candidates = [row for row in rows if extra is None or extra(row)]
    for row in candidates:
        if row["uuid"] == str(ref):
            return row
    named = [row for row in candidates if row["name"] == str(ref)]
    if len(named) == 1:
        return named[0]
    if named:
        raise FixtureError("%s %r is ambiguous; use its uuid" % (what, ref))
    raise FixtureError("unknown %s %r" % (what, ref))


def world_from_fixture(data, rng):
    if not isinstance(data, dict):
        raise FixtureError("a fixture must be a mapping")
    world = World(rng)
    known = {"teams", "tokens", "servers", "projects", "applications", "services", "tags", "databases", "shared_envs"}
    _reject_extra("fixture", {key: None for key in data if key not in known})
    teams = data.get("teams") or [{"id": 0, "name": "Root Team"}]
    for team in teams:
        team = dict(team)
        world.add_team(int(team.pop("id")), str(team.pop("name", "Team")), team.pop("description", None),
                       bool(team.pop("personal_team", False)))
        _reject_extra("team", team)
    if not any(team["id"] == 0 for team in world.data["teams"]):
        world.add_team(0, "Root Team")
    for token in data.get("tokens") or []:
        token = dict(token)
        world.add_token(token.pop("token"), token.pop("abilities", ["root"]), int(token.pop("team", 0)),
                        int(token.pop("user", 1)), str(token.pop("role", "owner")), token.pop("name", None))
        _reject_extra("token", token)
    for server in data.get("servers") or []:
        server = dict(server)
        world.add_server(str(server.pop("name")), str(server.pop("ip", "10.0.0.%d" % (len(world.data["servers"]) + 10))),
                         int(server.pop("team", 0)), server.pop("uuid", None), server.pop("description", None), **server)
    for project in data.get("projects") or []:
        project = dict(project)
        row = world.add_project(str(project.pop("name")), int(project.pop("team", 0)), project.pop("uuid", None),
                                project.pop("description", None))
        for env in project.pop("environments", None) or ["production"]:
            if isinstance(env, str):
                env = {"name": env}
            env = dict(env)
            world.add_environment(row, str(env.pop("name")), env.pop("uuid", None), env.pop("description", None))
            _reject_extra("environment", env)
        _reject_extra("project " + row["name"], project)
    for tag in data.get("tags") or []:
        if isinstance(tag, str):
            tag = {"name": tag}
        world.ensure_tag(str(tag["name"]), int(tag.get("team", 0)))
    for kind in ("applications", "services"):
        for item in data.get(kind) or []:
            _fixture_resource(world, kind, dict(item))
    seed_dbs.fixture_databases(world, data.get("databases"), lambda what, item: _placement(world, what, item))
    seed_dbs.fixture_shared_envs(world, data.get("shared_envs"))
    return world.data


def _placement(world, what, item):
    """Pop project/environment/server references from a fixture item: (environment, server, team_id)."""
    project_ref = item.pop("project", None)
    if not world.data["projects"]:
        raise FixtureError("%s: the fixture has no projects" % what)
    if project_ref is None:
        project = world.data["projects"][0]
    else:
        project = _find(world.data["projects"], project_ref, "project")
    env_ref = item.pop("environment", None)
    envs = [env for env in world.data["environments"] if env["project_id"] == project["id"]]
    environment = _find(envs, env_ref, "environment") if env_ref is not None else envs[0]
    team_id = project["team_id"]
    servers = [server for server in world.data["servers"] if server["team_id"] == team_id]
    server_ref = item.pop("server", None)
    if server_ref is not None:
        server = _find(world.data["servers"], server_ref, "server")
    elif servers:
        server = servers[0]
    else:
        raise FixtureError("%s: team %s has no server" % (what, team_id))
    return environment, server, team_id


def _fixture_resource(world, kind, item):
    name = str(item.pop("name"))
    environment, server, team_id = _placement(world, "%s %s" % (kind[:-1], name), item)
    envs_spec = item.pop("envs", []) or []
    if kind == "applications":
        row = world.add_application(name, environment, server, team_id, item.pop("uuid", None), **item)
        resource_type = "application"
    else:
        row = world.add_service(name, environment, server, team_id, item.pop("uuid", None), **item)
        resource_type = "service"
    for env in envs_spec:
        env = dict(env)
        world.add_env(resource_type, row, env.pop("key"), env.pop("value", None), **env)


# --------------------------------------------------------------------------------------------------- generated fleet

PROJECT_NAMES = ("shop", "billing", "analytics", "internal-tools", "marketing", "platform", "data", "support")
COMPONENTS = (
    ("web", "frontend", "nixpacks"), ("api", "backend", "dockerfile"), ("worker", "worker", "nixpacks"),
    ("admin", "frontend", "static"), ("docs", "frontend", "static"), ("scheduler", "worker", "dockerimage"),
    ("gateway", "backend", "dockerfile"), ("auth", "backend", "nixpacks"), ("search", "backend", "dockerimage"),
    ("notifications", "worker", "nixpacks"), ("reports", "worker", "dockercompose"), ("cdn", "frontend", "static"),
)
APP_STATUSES = (
    ("running:healthy", 60), ("running:unknown", 7), ("running:unhealthy", 8), ("exited:unhealthy", 15),
    ("degraded:unhealthy", 5), ("restarting:unknown", 5),
)
SERVICE_TYPES = (
    ("postgresql", [], [("postgresql", "postgres:16-alpine")]),
    ("redis", [], [("redis", "redis:7.2")]),
    ("plausible", [("plausible", "ghcr.io/plausible/community-edition:v2.1")],
     [("plausible-db", "postgres:16-alpine"), ("plausible-events-db", "clickhouse/clickhouse-server:24.3")]),
    ("uptime-kuma", [("uptime-kuma", "louislam/uptime-kuma:1")], []),
    ("minio", [("minio", "quay.io/minio/minio:latest")], []),
    ("n8n", [("n8n", "docker.n8n.io/n8nio/n8n")], []),
    ("ghost", [("ghost", "ghost:5")], [("mysql", "mysql:8.0")]),
    ("umami", [("umami", "ghcr.io/umami-software/umami:postgresql-latest")], [("postgresql", "postgres:16-alpine")]),
)
REGIONS = ("fsn1", "nbg1", "hel1", "ams3", "fra1", "lon1")


def _weighted(rng, table):
    total = sum(weight for _value, weight in table)
    pick = rng.uniform(0, total)
    for value, weight in table:
        pick -= weight
        if pick <= 0:
            return value
    return table[-1][0]


def _secret(rng, length=32):
    return "".join(rng.choice(string.ascii_letters + string.digits) for _char in range(length))


def world_from_fleet(rng, apps=8, services=4, servers=2, projects=2, db_count=4):
    world = World(rng)
    world.add_team(0, "Root Team", "The instance root team")
    world.add_team(1, "Acme Corp", "Another team on the same instance (its resources are invisible to team 0 tokens)")
    server_rows = []
    for index in range(max(servers, 1)):
        if index == 0:
            server_rows.append(world.add_server("localhost", "host.docker.internal", 0,
                                                description="This is the server where Coolify is running on. Don't delete this!"))
        else:
            region = REGIONS[(index - 1) % len(REGIONS)]
            server_rows.append(world.add_server("%s-%02d" % (region, index), "10.0.%d.%d" % (index // 200, 10 + index % 200), 0,
                                                description="Build and runtime server in %s" % region))
    envs_by_project = []
    for index in range(max(projects, 1)):
        name = PROJECT_NAMES[index] if index < len(PROJECT_NAMES) else "project-%d" % (index + 1)
        project = world.add_project(name, 0, description=None if index % 2 else "The %s product" % name)
        env_names = ["production", "staging"] + (["development"] if index % 3 == 2 else [])
        envs_by_project.append((project, [world.add_environment(project, env) for env in env_names]))

    used = set()
    for index in range(apps):
        project, environments = envs_by_project[index % len(envs_by_project)]
        slot = index // len(envs_by_project)
        environment = environments[slot % len(environments)]
        component, tier, build_pack = COMPONENTS[(slot // len(environments)) % len(COMPONENTS)]
        name = "%s-%s" % (project["name"], component)
        if environment["name"] != "production":
            name += "-" + environment["name"]
        base, suffix = name, 2
        while name in used:
            name, suffix = "%s-%d" % (base, suffix), suffix + 1
        used.add(name)
        tags = [environment["name"], tier, project["name"]]
        if rng.random() < 0.2:
            tags.append("canary")
        fqdn = None if tier == "worker" else "https://%s.example.com" % name
        app = world.add_application(
            name, environment, server_rows[index % len(server_rows)], 0,
            description=None if index % 3 else "%s %s" % (project["name"], component), fqdn=fqdn,
            git_repository="coolops-demo/%s-%s" % (project["name"], component),
            git_branch="main" if environment["name"] == "production" else environment["name"], build_pack=build_pack,
            ports_exposes="80" if build_pack == "static" else "3000", status=_weighted(rng, APP_STATUSES), tags=tags)
        app_envs = [("APP_ENV", environment["name"], {}), ("LOG_LEVEL", rng.choice(["info", "debug", "warning"]), {}),
                    ("DATABASE_URL", "postgres://%s:%s@db.internal:5432/%s" % (component, _secret(rng, 16), project["name"]), {}),
                    ("SECRET_KEY_BASE", _secret(rng, 48), {"is_shown_once": index % 4 == 0, "is_buildtime": False})]
        if tier != "worker":
            app_envs.insert(2, ("PORT", app["ports_exposes"], {}))
        for key, value, flags in app_envs:
            world.add_env("application", app, key, value, **flags)
        for key, value, flags in app_envs:
            copy_flags = dict(flags, is_preview=True, is_shown_once=False)
            world.add_env("application", app, key, value, **copy_flags)

    used = set()
    for index in range(services):
        project, environments = envs_by_project[index % len(envs_by_project)]
        service_type, sub_apps, sub_dbs = SERVICE_TYPES[index % len(SERVICE_TYPES)]
        environment = environments[(index // len(envs_by_project)) % len(environments)]
        name = "%s-%s" % (project["name"], service_type)
        base, suffix = name, 2
        while name in used:
            name, suffix = "%s-%d" % (base, suffix), suffix + 1
        used.add(name)
        roll = rng.random()
        status = "running:healthy" if roll < 0.7 else "exited" if roll < 0.9 else None
        applications = [{"name": sub, "image": image, "fqdn": "https://%s.example.com" % name if n == 0 else None,
                         "status": status or "running:healthy"} for n, (sub, image) in enumerate(sub_apps)]
        databases = [{"name": sub, "image": image, "status": status or "exited"} for sub, image in sub_dbs]
        if status is None and len(applications) + len(databases) < 2:
            status = "running:unhealthy"
            for sub in applications + databases:
                sub["status"] = status
        service = world.add_service(name, environment, server_rows[index % len(server_rows)], 0,
                                    service_type=service_type, tags=[environment["name"], "service"],
                                    applications=applications, databases=databases)
        for sub, _image in sub_apps:
            upper = sub.upper().replace("-", "")
            world.add_env("service", service, "SERVICE_FQDN_" + upper, "https://%s.example.com" % name)
            world.add_env("service", service, "SERVICE_URL_" + upper, "https://%s.example.com" % name)
        for sub, _image in sub_dbs:
            upper = sub.upper().replace("-", "_")
            world.add_env("service", service, "SERVICE_USER_" + upper, _secret(rng, 16))
            world.add_env("service", service, "SERVICE_PASSWORD_" + upper, _secret(rng, 32))
        world.add_env("service", service, "TZ", "UTC")
        world.add_env("service", service, "LOG_LEVEL", rng.choice(["info", "warn"]))

    # A second team with a small fleet of its own: team scoping makes it invisible to team-0 tokens.
    server = world.add_server("acme-01", "10.20.0.10", 1, description="Acme's only server")
    project = world.add_project("acme-site", 1, description="Acme's website")
    environment = world.add_environment(project, "production")
    for component in ("web", "api"):
        app = world.add_application("acme-%s" % component, environment, server, 1, fqdn="https://%s.acme.test" % component,
                                    status="running:healthy", tags=["production"], git_repository="acme/%s" % component)
        world.add_env("application", app, "APP_ENV", "production")
    service = world.add_service("acme-redis", environment, server, 1, service_type="redis", status="running:healthy",
                                databases=[{"name": "redis", "image": "redis:7.2"}])
    world.add_env("service", service, "SERVICE_PASSWORD_REDIS", _secret(rng, 32))
    # Databases come last, so the rest of the fleet is the same whatever --seed-databases is.
    seed_dbs.fleet_databases(world, rng, db_count, server_rows, envs_by_project)
    seed_dbs.acme_database(world, environment, server)
    return world.data


def build_world(fixture=None, seed_apps=8, seed_services=4, seed_servers=2, seed_projects=2, random_seed=None,
                root_token=None, extra_tokens=(), seed_databases=4):
    """Return the seed world dict. `fixture` is a path or an already loaded mapping."""
    rng = random.Random(0 if random_seed is None else random_seed)
    if fixture is not None:
        data = load_fixture_file(fixture) if isinstance(fixture, str) else fixture
        world = world_from_fixture(data, rng)
    else:
        world = world_from_fleet(rng, seed_apps, seed_services, seed_servers, seed_projects, seed_databases)
    helper = World(rng)
    helper.data = world
    if root_token and not any(row["token"] == root_token for row in world["tokens"]):
        helper.add_token(root_token, ROOT_ABILITIES, 0, 1, "owner", "root")
    next_user = max([row["user_id"] for row in world["tokens"]] + [1]) + 1
    for spec in extra_tokens:
        parsed = parse_token_spec(spec, next_user)
        helper.add_token(parsed["token"], parsed["abilities"], parsed["team"], parsed["user"], "owner")
        next_user += 1
    return world
