# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""coolify_info's run(cm): read applications, services, servers, projects, environments and deployments.

Every object goes through ``_redact.strip_sensitive`` before it reaches the result.
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils._backup import own_configs
from ansible_collections.coolops.coolify.plugins.module_utils._client import KINDS, PLURAL
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._redact import public_fields, strip_sensitive
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import has_selection, resolve_kinds, resolve_scope
from ansible_collections.coolops.coolify.plugins.module_utils._status import matches_state

GATHER_CHOICES = ["applications", "services", "databases", "servers", "projects", "environments", "deployments"]
RESOURCE_GATHERS = ("applications", "services", "databases")
KIND_OF = dict((PLURAL[kind], kind) for kind in KINDS)


def _environments(client, scope):
    if scope.project is not None:
        projects = [(scope.project, scope.environments)]
    else:
        projects = [(project, None) for project in client.list_projects()]
    result = []
    for project, envs in projects:
        if envs is None:
            envs = client.project_environments(project.get("uuid"))
        for env in envs:
            item = dict(env)
            item["project_uuid"] = project.get("uuid")
            item["project_name"] = project.get("name")
            result.append(item)
    return result


def database_summary(database):
    """A database through the allow-list only (never a password or connection URL), with its own backup
    configurations and each one's last execution."""
    item = dict((key, database.get(key)) for key in ("uuid", "name", "description", "status", "environment_id"))
    item.update(public_fields(database, "database"))
    backups = []
    for config in own_configs(database, database.get("backup_configs")):
        backup = public_fields(config, "backup")
        latest = config.get("latest_log")
        backup["last_execution"] = public_fields(latest, "backup_execution") if isinstance(latest, dict) else None
        backups.append(backup)
    item["backups"] = backups
    return strip_sensitive(item)


def _deployments(cm, applications):
    client = cm.client
    limit = cm.params["deployment_limit"]

    def read(app):
        data = client.application_deployments(app.get("uuid"), take=limit)
        items = []
        for deployment in data.get("deployments") or []:
            item = dict(deployment)
            item["application_uuid"] = app.get("uuid")
            items.append(item)
        return items

    outcomes = run_batch(applications, read, max_workers=cm.params["max_workers"])
    result = []
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error
        result.extend(outcome.value or [])
    return result


def run_info(cm):
    """coolify_info's run(cm)."""
    params = cm.params
    client = cm.client
    gather = list(dict.fromkeys(params["gather"] or []))
    selected = has_selection(params)
    result = {"changed": False}

    kinds = [KIND_OF[name] for name in RESOURCE_GATHERS if name in gather]
    resolve_for = list(kinds)
    if "deployments" in gather and selected and "application" not in resolve_for:
        resolve_for.append("application")

    scope = None
    if params.get("project") or params.get("server") or params.get("environment"):
        scope = resolve_scope(client, params, resolve_for)
    resolved = {}
    if resolve_for:
        resolved = resolve_kinds(client, resolve_for, params, allow_all=True, scope=scope)
    elif scope is not None and scope.offenders:
        resolve_kinds(client, [], params, allow_all=True, scope=scope)  # raises with the scope offenders

    for name in RESOURCE_GATHERS:
        if name in gather:
            items = [item for item in resolved[KIND_OF[name]] if matches_state(item.get("status"), params["status"])]
            result[name] = [database_summary(item) for item in items] if name == "databases" else strip_sensitive(items)
    if "servers" in gather:
        servers = [scope.server] if scope is not None and scope.server is not None else client.list_servers()
        result["servers"] = strip_sensitive(servers)
    if "projects" in gather:
        projects = [scope.project] if scope is not None and scope.project is not None else client.list_projects()
        result["projects"] = strip_sensitive(projects)
    if "environments" in gather:
        result["environments"] = strip_sensitive(_environments(client, scope if scope is not None else _NoScope()))
    if "deployments" in gather:
        if selected:
            result["deployments"] = strip_sensitive(_deployments(cm, resolved["application"]))
        else:
            result["deployments"] = strip_sensitive(client.list_deployments())
    return result


class _NoScope(object):
    project = None
    environments = None
