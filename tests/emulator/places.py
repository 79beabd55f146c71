# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Teams, servers, projects, environments and /resources: the read-only "where things are" endpoints."""

from __future__ import annotations

from .dbviews import database_view
from .http_types import json_response, message, php_truthy
from .seed_dbs import MODEL_ORDER
from .views import (app_view, environment_view, fqdn_hosts, member_view, order_keys, project_view, server_view,
                    service_view, team_view, ts)


def team_current(api, req, ctx):
    row = api.store.teams.get(ctx.team_id)
    if row is None:
        return message(404, "Team not found.")
    return json_response(200, team_view(row))


def team_list(api, req, ctx):
    """Only the token's team, as a one-element list (the spec's "all teams" is wrong)."""
    team = api.store.teams.get(ctx.team_id)
    return json_response(200, [team_view(team)] if team else [])


def _own_team(api, ctx, team_id):
    if str(team_id) != str(ctx.team_id):
        return None
    return api.store.teams.get(ctx.team_id)


def team_get(api, req, ctx, team_id):
    team = _own_team(api, ctx, team_id)
    if team is None:
        return message(404, "Team not found.")
    return json_response(200, team_view(team))


def team_members(api, req, ctx):
    return team_members_by_id(api, req, ctx, ctx.team_id)


def team_members_by_id(api, req, ctx, team_id):
    team = _own_team(api, ctx, team_id)
    if team is None:
        return message(404, "Team not found.")
    users = sorted({token["user_id"] for token in api.store.tokens if token["team_id"] == team["id"]})
    return json_response(200, [member_view(user_id, team["created"]) for user_id in users])


# ------------------------------------------------------------------------------------------------ servers


def server_list(api, req, ctx):
    rows = sorted((row for row in api.store.servers.values() if row["team_id"] == ctx.team_id), key=lambda row: row["id"])
    return json_response(200, [server_view(api.store, row, ctx.sensitive) for row in rows])


def _server_resources(api, server, now):
    """definedResources(): applications, standalone databases (model order), then services."""
    items = []
    dbs = [row for row in api.store.team_databases(server["team_id"]) if row["server_id"] == server["id"]]
    dbs.sort(key=lambda row: (MODEL_ORDER.index(row["db_type"]), row["type_id"]))
    for kind, rows in (("application", sorted(api.store.apps.values(), key=lambda item: item["id"])),
                       ("database", dbs), ("service", sorted(api.store.services.values(), key=lambda item: item["id"]))):
        for row in rows:
            if row["server_id"] != server["id"]:
                continue
            kind_name = "standalone-" + row["db_type"] if kind == "database" else kind
            items.append({"id": row.get("type_id", row["id"]), "uuid": row["uuid"], "name": row["name"], "type": kind_name,
                          "created_at": ts(row["created"]), "updated_at": ts(row["updated"]),
                          "status": api.store.status_of(kind, row, now)})
    return items


def server_get(api, req, ctx, uuid):
    server = api.store.server_by_uuid(uuid, ctx.team_id)
    if server is None:
        return message(404, "Server not found.")
    data = server_view(api.store, server, ctx.sensitive, full=True)
    if php_truthy(req.query.get("resources")):
        data["resources"] = _server_resources(api, server, ctx.now)
    return json_response(200, data)


def server_resources(api, req, ctx, uuid):
    server = api.store.server_by_uuid(uuid, ctx.team_id)
    if server is None:
        return message(404, "Server not found.")
    return json_response(200, _server_resources(api, server, ctx.now))


def server_domains(api, req, ctx, uuid):
    server = api.store.server_by_uuid(uuid, ctx.team_id)
    if server is None:
        return message(404, "Server not found.")
    app_uuid = req.query.get("uuid")
    if app_uuid:
        app = api.store.app_by_uuid(app_uuid, ctx.team_id)
        if app is None:
            return message(404, "Application not found.")
        return json_response(200, [item.strip() for item in (app["fqdn"] or "").split(",") if item.strip()])
    hosts = []
    for row in sorted(api.store.apps.values(), key=lambda item: item["id"]):
        if row["server_id"] == server["id"]:
            hosts.extend(fqdn_hosts(row["fqdn"]))
    for row in sorted(api.store.services.values(), key=lambda item: item["id"]):
        if row["server_id"] == server["id"]:
            for sub in row["applications"]:
                hosts.extend(fqdn_hosts(sub.get("fqdn")))
    if not hosts:
        return json_response(200, [])
    return json_response(200, [{"ip": server["ip"], "domains": hosts}])


# ------------------------------------------------------------------------------------------------ projects


def _environments_of(api, project):
    return sorted((row for row in api.store.environments.values() if row["project_id"] == project["id"]),
                  key=lambda row: row["id"])


def project_list(api, req, ctx):
    rows = sorted((row for row in api.store.projects.values() if row["team_id"] == ctx.team_id), key=lambda row: row["id"])
    return json_response(200, [order_keys({"id": row["id"], "uuid": row["uuid"], "name": row["name"],
                                           "description": row["description"]}) for row in rows])


def project_get(api, req, ctx, uuid):
    project = api.store.project_by_uuid(uuid, ctx.team_id)
    if project is None:
        return message(404, "Project not found.")
    return json_response(200, project_view(project, _environments_of(api, project)))


def project_environments(api, req, ctx, uuid):
    project = api.store.project_by_uuid(uuid, ctx.team_id)
    if project is None:
        return message(404, "Project not found.")
    return json_response(200, [{"id": row["id"], "uuid": row["uuid"], "name": row["name"]}
                               for row in _environments_of(api, project)])


def project_environment(api, req, ctx, uuid, name):
    project = api.store.project_by_uuid(uuid, ctx.team_id)
    if project is None:
        return message(404, "Project not found.")
    environments = _environments_of(api, project)
    environment = next((row for row in environments if row["name"] == name), None)
    if environment is None:
        environment = next((row for row in environments if row["uuid"] == name), None)
    if environment is None:
        return message(404, "Environment not found.")
    data = environment_view(environment)
    apps = sorted((row for row in api.store.apps.values() if row["environment_id"] == environment["id"]),
                  key=lambda row: row["id"])
    services = sorted((row for row in api.store.services.values() if row["environment_id"] == environment["id"]),
                      key=lambda row: row["id"])
    data["applications"] = [app_view(api.store, row, ctx.sensitive, nested=False) for row in apps]
    for name_, db_type in (("postgresqls", "postgresql"), ("redis", "redis"), ("mongodbs", "mongodb"),
                           ("mysqls", "mysql"), ("mariadbs", "mariadb")):
        rows = [row for row in api.store.team_databases(ctx.team_id)
                if row["environment_id"] == environment["id"] and row["db_type"] == db_type]
        data[name_] = [database_view(api.store, row, ctx.sensitive) for row in rows]
    data["services"] = [service_view(api.store, row, ctx.sensitive, ctx.now, ordered=False) for row in services]
    return json_response(200, data)


def resource_list(api, req, ctx):
    items = []
    for row in sorted(api.store.team_apps(ctx.team_id), key=lambda item: item["id"]):
        item = app_view(api.store, row, ctx.sensitive, nested=False)
        item["type"] = "application"
        items.append(item)
    for row in sorted(api.store.team_services(ctx.team_id), key=lambda item: item["id"]):
        item = service_view(api.store, row, ctx.sensitive, ctx.now, ordered=False)
        item["type"] = "service"
        items.append(item)
    for row in api.store.team_databases(ctx.team_id):
        item = database_view(api.store, row, ctx.sensitive)
        item["type"] = "standalone-" + row["db_type"]
        items.append(item)
    return json_response(200, items)


# (method, pattern, ability, handler, action)
ROUTES = (
    ("GET", "team", "read", team_current, False),
    ("GET", "teams/current", "read", team_current, False),
    ("GET", "teams/current/members", "read", team_members, False),
    ("GET", "team/members", "read", team_members, False),
    ("GET", "teams", "read", team_list, False),
    ("GET", "teams/{id}/members", "read", team_members_by_id, False),
    ("GET", "teams/{id}", "read", team_get, False),
    ("GET", "servers", "read", server_list, False),
    ("GET", "servers/{uuid}/resources", "read", server_resources, False),
    ("GET", "servers/{uuid}/domains", "read", server_domains, False),
    ("GET", "servers/{uuid}", "read", server_get, False),
    ("GET", "projects", "read", project_list, False),
    ("GET", "projects/{uuid}/environments", "read", project_environments, False),
    ("GET", "projects/{uuid}/{environment}", "read", project_environment, False),
    ("GET", "projects/{uuid}", "read", project_get, False),
    ("GET", "resources", "read", resource_list, False),
)
