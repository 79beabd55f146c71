#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: coolify_info
short_description: Read applications, services, databases, servers, projects, environments and deployments from Coolify
version_added: 1.0.0
author: coolops maintainers (@coolops)
description:
  - Lists resources of a Coolify instance through its REST API, without changing anything.
  - Applications, services and standalone databases are chosen with the same selectors as the batch modules (O(uuids), O(names), O(tags),
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
      - V(applications), V(services) and V(databases) honour the selectors and O(status). O(tags) of services and
        databases cost one C(GET …/{uuid}/tags) per candidate left after the scope and O(status).
      - V(databases) returns each standalone database with its backup configurations and their last executions.
      - V(servers) honours O(server), V(projects) honours O(project), V(environments) honours O(project) and
        O(environment) (without O(project), the environments of every project are read).
      - V(deployments) returns, when any selector is given, the latest O(deployment_limit) deployments of each selected
        application; without selectors, every queued and in-progress deployment of the team.
    type: list
    elements: str
    choices: [applications, services, databases, servers, projects, environments, deployments]
    default: [applications]
  status:
    description:
      - Keep only applications, services and databases whose status matches one of these entries.
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

- name: Databases of one server, with the last backup of each
  coolops.coolify.coolify_info:
    server: edge-01
    gather: [databases]
  register: dbs
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
databases:
  description:
    - The selected standalone databases (C(GET /api/v1/databases)), reduced to the fields below; passwords, connection
      URLs and init scripts are never returned.
  returned: when O(gather) contains V(databases)
  type: list
  elements: dict
  sample:
    - uuid: p0s8kc4wgo4
      name: shop-postgres
      description: null
      status: running:healthy
      environment_id: 3
      database_type: standalone-postgresql
      image: postgres:16-alpine
      is_public: false
      public_port: null
      backups:
        - uuid: b4c0kg8ws0
          enabled: true
          frequency: "0 2 * * *"
          last_execution:
            uuid: e8ok0wc4s4
            status: success
            size: 1048576
            filename: /data/coolify/backups/databases/shop/pg-dump-shop-1767222000.dmp
  contains:
    uuid:
      description: Database uuid.
      type: str
      returned: always
    name:
      description: Database name.
      type: str
      returned: always
    status:
      description: C(<state>:<health>), for example V(running:healthy) or V(exited:unhealthy).
      type: str
      returned: always
    database_type:
      description: For example V(standalone-postgresql); null for KeyDB, which Coolify does not label.
      type: str
      returned: always
    backups:
      description:
        - The database's scheduled backup configurations (C(uuid), C(description), C(enabled), C(frequency),
          C(save_s3), C(disable_local_backup), C(dump_all), C(databases_to_backup), C(timeout) and the local
          retention settings), each with C(last_execution) (C(uuid), C(status), C(size), C(filename),
          C(database_name), C(s3_uploaded), C(created_at), C(finished_at)) or null.
      type: list
      elements: dict
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

from ansible_collections.coolops.coolify.plugins.module_utils._info import GATHER_CHOICES, run_info
from ansible_collections.coolops.coolify.plugins.module_utils._module import (
    merge_argument_specs,
    module_main,
    selector_argument_spec,
)


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
    module_main(argument_spec, run_info, require_selection=False)


if __name__ == "__main__":
    main()
