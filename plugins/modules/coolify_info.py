#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: coolify_info
short_description: Read applications, services, servers, projects, environments and deployments from Coolify
version_added: 1.0.0
author: coolops maintainers (@coolops)
description:
  - Lists resources of a Coolify instance through its REST API, without changing anything.
  - Applications and services are chosen with the same selectors as the batch modules (O(uuids), O(names), O(tags),
    O(project), O(environment), O(server)) and can be filtered by status with O(status). Without any selector every
    resource is returned.
  - Secret fields are never returned. Environment variable values, passwords, tokens, webhook secrets, compose files,
    Dockerfiles, custom labels and deployment logs are removed, even when the token could read them.
extends_documentation_fragment:
  - coolops.coolify.connection
  - coolops.coolify.selectors
  - coolops.coolify.attributes
  - coolops.coolify.attributes.info_module
options:
  gather:
    description:
      - What to read. Each entry adds the return value of the same name.
      - V(applications) and V(services) honour the selectors and O(status).
      - V(servers) honours O(server), V(projects) honours O(project), V(environments) honours O(project) and
        O(environment) (without O(project), the environments of every project are read).
      - V(deployments) returns, when any selector is given, the latest O(deployment_limit) deployments of each selected
        application; without selectors, every queued and in-progress deployment of the team.
    type: list
    elements: str
    choices: [applications, services, servers, projects, environments, deployments]
    default: [applications]
  status:
    description:
      - Keep only applications and services whose status matches one of these entries.
      - An entry without a colon is compared with the state part of the status, so V(running) matches
        V(running:healthy) and V(running:unhealthy). An entry with a colon, such as V(running:healthy), must match the
        whole status.
      - V(stopped) is accepted as an alias of V(exited).
      - Applied after the selectors; a resource filtered out by status is not an error.
    type: list
    elements: str
  deployment_limit:
    description:
      - How many of the latest deployments to return per selected application, with O(gather=deployments).
    type: int
    default: 10
  max_workers:
    description:
      - How many applications' deployments are read at the same time, with O(gather=deployments).
    type: int
    default: 10
notes:
  - Resource statuses in Coolify lag behind actions; a status is refreshed by Coolify's periodic check.
seealso:
  - name: Coolify API reference
    description: The REST API this module reads.
    link: https://coolify.io/docs/api-reference
'''

EXAMPLES = r'''
- name: List every application
  coolops.coolify.coolify_info:
    api_url: https://coolify.example.com
    api_token: "{{ lookup('ansible.builtin.env', 'COOLIFY_API_TOKEN') }}"
  register: fleet

- name: Show the names of running applications in the shop project
  coolops.coolify.coolify_info:
    project: shop
    environment: production
    status: [running]
  register: running

- name: Print them
  ansible.builtin.debug:
    msg: "{{ running.applications | map(attribute='name') | list }}"

- name: Applications with tag edge, with their latest three deployments
  coolops.coolify.coolify_info:
    tags: [edge]
    gather: [applications, deployments]
    deployment_limit: 3
  register: edge

- name: Servers, projects and environments (connection from module_defaults)
  module_defaults:
    group/coolops.coolify.coolify:
      api_url: https://coolify.example.com
      api_token: "{{ vault_coolify_token }}"
  coolops.coolify.coolify_info:
    gather: [servers, projects, environments]
  register: layout

- name: Verify that two services are stopped
  coolops.coolify.coolify_info:
    names: [minio, plausible]
    gather: [services]
  register: svc
  failed_when: svc.services | rejectattr('status', 'match', '^exited') | list | length > 0
'''

RETURN = r'''
applications:
  description:
    - The selected applications, as returned by C(GET /api/v1/applications), without secret fields.
    - Keys beyond the ones below follow the Coolify version.
  returned: when O(gather) contains V(applications)
  type: list
  elements: dict
  sample:
    - uuid: gk8wsk0s8wcgg4cgwkwoosoo
      name: shop-api
      status: running:healthy
      fqdn: https://api.shop.example.com
      environment_id: 3
      git_repository: acme/shop-api
      git_branch: main
      build_pack: nixpacks
  contains:
    uuid:
      description: Application uuid.
      type: str
      returned: always
    name:
      description: Application name.
      type: str
      returned: always
    status:
      description: C(<state>:<health>), for example V(running:healthy) or V(exited:unhealthy).
      type: str
      returned: always
    fqdn:
      description: Comma-separated URLs of the application.
      type: str
      returned: when set
services:
  description: The selected services, as returned by C(GET /api/v1/services), without secret fields.
  returned: when O(gather) contains V(services)
  type: list
  elements: dict
  sample:
    - uuid: t0c8kkw4g8o4cw4s0kk8g4wk
      name: plausible
      status: running:healthy
      service_type: plausible
  contains:
    uuid:
      description: Service uuid.
      type: str
      returned: always
    name:
      description: Service name.
      type: str
      returned: always
    status:
      description: Combined status of the service's containers, for example V(running:healthy) or V(exited).
      type: str
      returned: always
servers:
  description: Servers (C(GET /api/v1/servers)), without secret fields.
  returned: when O(gather) contains V(servers)
  type: list
  elements: dict
  sample:
    - uuid: m4wk4cs0cgwc80gkc4ggoo0g
      name: edge-1
      ip: 203.0.113.10
      is_reachable: true
      is_usable: true
projects:
  description: Projects (C(GET /api/v1/projects)).
  returned: when O(gather) contains V(projects)
  type: list
  elements: dict
  sample:
    - uuid: zs8cgg8kgw0c4os4gokc4c8o
      name: shop
      description: null
environments:
  description:
    - Environments of the selected project (or of every project), each with C(project_uuid) and C(project_name) added.
  returned: when O(gather) contains V(environments)
  type: list
  elements: dict
  sample:
    - uuid: x8o0g4c4kk0ows8sow0c84kw
      name: production
      project_uuid: zs8cgg8kgw0c4os4gokc4c8o
      project_name: shop
deployments:
  description:
    - Deployments, without logs. With selectors, the latest ones of each selected application, each with
      C(application_uuid) added; without, the queued and in-progress deployments of the team.
  returned: when O(gather) contains V(deployments)
  type: list
  elements: dict
  sample:
    - deployment_uuid: w0s8k8c4w4kgskc0s4ow8s0o
      application_uuid: gk8wsk0s8wcgg4cgwkwoosoo
      application_name: shop-api
      status: finished
      commit: HEAD
'''

from ansible_collections.coolops.coolify.plugins.module_utils._client import strip_sensitive
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._module import (
    CoolifyModule,
    merge_argument_specs,
    selector_argument_spec,
    selector_module_kwargs,
)
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import (
    has_selection,
    resolve_kinds,
    resolve_scope,
)
from ansible_collections.coolops.coolify.plugins.module_utils._status import matches_state

GATHER_CHOICES = ["applications", "services", "servers", "projects", "environments", "deployments"]
KIND_OF = {"applications": "application", "services": "service"}


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
    params = cm.params
    client = cm.client
    gather = list(dict.fromkeys(params["gather"] or []))
    selected = has_selection(params)
    result = {"changed": False}

    kinds = [KIND_OF[name] for name in ("applications", "services") if name in gather]
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

    for name in ("applications", "services"):
        if name in gather:
            items = [item for item in resolved[KIND_OF[name]] if matches_state(item.get("status"), params["status"])]
            result[name] = strip_sensitive(items)
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


def main():
    argument_spec = merge_argument_specs(
        selector_argument_spec(),
        dict(
            gather=dict(type="list", elements="str", default=["applications"], choices=GATHER_CHOICES),
            status=dict(type="list", elements="str"),
            deployment_limit=dict(type="int", default=10),
            max_workers=dict(type="int", default=10),
        ),
    )
    cm = CoolifyModule(argument_spec=argument_spec, supports_check_mode=True,
                       **selector_module_kwargs(require_selection=False))
    cm.run(run_info)


if __name__ == "__main__":
    main()
