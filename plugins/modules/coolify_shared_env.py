#!/usr/bin/python
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: coolify_shared_env
short_description: Manage Coolify shared variables and restart exactly the resources that reference them
version_added: 1.1.0
author: coolops maintainers (@coolops)
description:
  - Creates, updates and deletes the shared variables of one level of Coolify (the team, a project, an environment
    or a server), which resources use from their own env vars as C({{team.KEY}}), C({{project.KEY}}),
    C({{environment.KEY}}) or C({{server.KEY}}).
  - Changing a shared variable restarts nothing on Coolify; each referencing resource keeps the old value until it
    restarts. With O(restart=changed) this module finds every application, service and standalone database whose own
    env vars reference a changed or removed key of that level, within the level's scope, and restarts exactly those,
    with the lifecycle engine of M(coolops.coolify.coolify_app_batch) (O(strategy), O(batch_size),
    O(max_fail_percentage), O(wait)).
  - Works as plan, then apply, with the planner of M(coolops.coolify.coolify_env). Every input check, the read of the
    level's variables and the read of every resource's env rows happen before the first write. Check mode stops after
    the plan.
  - Values are never returned, logged or shown in a diff, at any verbosity. Results name keys and resources only.
  - "Finding the references costs one C(GET /applications), C(GET /services) and C(GET /databases), plus one
    C(GET .../envs) per resource in the scope (and C(GET /servers/{uuid}/resources) for the server level). A project,
    environment or server level only reads the resources in that scope."
extends_documentation_fragment:
  - coolops.coolify.connection
  - coolops.coolify.batch
  - coolops.coolify.attributes
  - coolops.coolify.attributes.check_mode
  - coolops.coolify.attributes.diff_mode
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
    support: partial
    details:
      - Idempotent when the token can read values (the C(read:sensitive) ability). C(is_shown_once) values are never
        readable and follow O(hidden_values).
options:
  level:
    description:
      - Which shared variables are managed.
      - V(team) the token's team; V(project) one project (O(project)); V(environment) one environment of a project
        (O(project) and O(environment)); V(server) one server (O(server)).
      - A resource sees a project-level variable only inside that project, an environment-level one only inside that
        environment, and a server-level one only on that server. Options of another level fail the task.
    type: str
    required: true
    choices: [team, project, environment, server]
  project:
    description: The project (name or uuid) for O(level=project) and O(level=environment).
    type: str
  environment:
    description: The environment (name or uuid) of O(project) for O(level=environment).
    type: str
  server:
    description: The server (name or uuid) for O(level=server).
    type: str
  env:
    description:
      - The variables, as a dictionary of C(KEY) to value (a string), or to a dictionary with C(value) (required),
        C(is_literal), C(is_multiline), C(is_shown_once) (booleans) and C(comment).
      - Shared variables have no C(is_runtime), C(is_buildtime) or preview rows; giving those flags fails the task.
      - Keys must match C(^[A-Za-z_][A-Za-z0-9_.]*$); they are checked before any request. Values must be strings;
        numbers and booleans are refused, not converted.
      - With O(state=absent) only the keys matter.
      - The whole option is C(no_log).
    type: dict
    required: true
  state:
    description:
      - V(present) creates missing variables and updates the ones whose value or given flags differ.
      - V(absent) deletes the listed keys. Resources that still reference them keep the C({{...}}) text verbatim after
        their next restart; the module warns, naming them.
    type: str
    choices: [present, absent]
    default: present
  prune:
    description:
      - With O(state=present), also delete the level's variables that are not listed in O(env).
      - The server level's predefined C(COOLIFY_SERVER_UUID) and C(COOLIFY_SERVER_NAME) are ordinary variables and
        are pruned too unless listed.
    type: bool
    default: false
  hidden_values:
    description:
      - What to do with an existing variable whose current value cannot be read (token without C(read:sensitive), or
        C(is_shown_once)), with the meaning of the same option of M(coolops.coolify.coolify_env).
      - V(update) rewrites it and warns that the values cannot be compared; V(skip) leaves it alone and warns;
        V(fail) fails before any write.
    type: str
    choices: [update, skip, fail]
    default: update
  rollback:
    description:
      - When a write fails, restore the previous values, flags and comments of the variables already written, delete
        the ones the run created and recreate the ones it deleted, with the restore of M(coolops.coolify.coolify_env)
        (bounded retry rounds; keys it could not restore are named in RV(msg)).
      - With O(restart=changed), a failed restart (a failed wave, after O(max_fail_percentage)) also restores the
        variables and then restarts every resource already restarted again, so they run the previous values. This is
        key by key; when only some keys are restored, those are reported V(rolled_back) and every resource already
        restarted that uses one of them is restarted again; the keys not restored are named in RV(msg).
      - Variables whose previous value was unreadable cannot be restored; the module warns before writing.
    type: bool
    default: false
  restart:
    description:
      - V(none) only writes the variables.
      - V(changed) restarts the resources whose production env rows reference a changed, added or removed key of
        the level, also through another shared variable of the level whose value references it (Coolify resolves
        references in one pass, so such nested references usually stay verbatim; the module warns about them and
        restarts those users anyway, because a spare restart costs less than a stale value). Applications go first,
        then services, then databases; each kind in waves of O(strategy), and a failed kind stops the later ones.
      - When a write fails without O(rollback) after some keys may have landed, their users are restarted anyway (a
        later run sees those keys unchanged and would not restart them), and the task fails.
      - Rows whose value cannot be read are not parsed; the module warns, naming them. When Coolify flags such a row
        as a reference (C(is_shared)) and a key changes, the task fails before any write, because it cannot restart
        exactly the users. Preview rows are reported but a restart does not reach preview deployments.
      - A resource that is stopped (exited) is never started by a rotation; it is reported with RV(references[].restart=false)
        and a reason, and named in a warning, because it reads the new value at its next start.
    type: str
    choices: [none, changed]
    default: none
  find_references:
    description:
      - Read the env rows of every resource in the scope to report RV(references) and missing keys.
      - Needed by O(restart=changed). V(false) saves the reads when only the variables matter.
    type: bool
    default: true
  healthy:
    description: With O(restart=changed) and O(wait=true), a restarted resource counts as done only once healthy.
    type: bool
    default: false
  poll_interval:
    description: Seconds between the first status polls while waiting for a restart.
    type: float
    default: 2
notes:
  - The token needs C(read), C(write), C(read:sensitive) to compare values and find references, and C(deploy) for
    O(restart=changed). Creating, updating and deleting shared variables, and reading service env rows, need an
    admin or owner of the team.
  - The docker compose file of services and docker-compose applications (C(docker_compose_raw), which the resource
    lists carry for a token with C(read:sensitive)) is scanned too, as the row C(docker-compose); Coolify resolves
    team, project and environment references there, not server ones.
  - A run whose restart failed without O(rollback) leaves the new values written; a second run sees nothing to change
    and restarts nothing. Restart such resources with M(coolops.coolify.coolify_app_batch) (RV(restarted) lists them).
seealso:
  - module: coolops.coolify.coolify_env
  - module: coolops.coolify.coolify_app_batch
'''

EXAMPLES = r'''
- name: Rotate a team-wide database password and restart exactly its users in rolling waves
  coolops.coolify.coolify_shared_env:
    level: team
    env:
      DB_PASSWORD: "{{ vault_new_db_password }}"
    rollback: true
    restart: changed
    strategy: rolling
    batch_size: 3

- name: Set a project-level variable, preview only (check mode, with the references it would restart)
  coolops.coolify.coolify_shared_env:
    level: project
    project: shop
    env:
      PAYMENT_API_KEY: "{{ vault_payment_api_key }}"
    restart: changed
  check_mode: true
  register: plan

- name: Delete an environment-level variable
  coolops.coolify.coolify_shared_env:
    level: environment
    project: shop
    environment: staging
    env:
      LEGACY_TOKEN:
    state: absent

- name: Set a server-level variable without reading any resource
  coolops.coolify.coolify_shared_env:
    level: server
    server: edge-01
    env:
      REGION: eu-central
    find_references: false
'''

RETURN = r'''
variables:
  description: One entry per listed (or pruned) key. Never a value.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The key.
      type: str
      sample: DB_PASSWORD
    outcome:
      description: >-
        V(added), V(updated), V(removed), V(unchanged), V(skipped) (unreadable and O(hidden_values=skip)),
        V(failed) (not written after an error, or not restored by a rollback), V(unknown) (a write failed and
        reading back could not show whether it landed; counted as changed) or V(rolled_back).
      type: str
      sample: updated
    changed:
      description: Whether the variable differs from before the task (or would, in check mode).
      type: bool
      sample: true
references:
  description: Every resource in the scope whose env rows reference a key of the level, or whose rows were unreadable.
  returned: always
  type: list
  elements: dict
  contains:
    uuid:
      description: Resource uuid.
      type: str
    name:
      description: Resource name.
      type: str
    type:
      description: V(application), V(service) or V(database).
      type: str
    used_keys:
      description: The level's keys it references.
      type: list
      elements: str
    changed_keys:
      description: The referenced keys that this run changes (directly or through a nested reference).
      type: list
      elements: str
    rows:
      description: Its env rows that reference the level (C(KEY@preview) for preview rows).
      type: list
      elements: str
    hidden_rows:
      description: Its env rows whose value could not be read.
      type: list
      elements: str
    restart:
      description: Whether O(restart=changed) restarts it (never a resource that is not running, see RV(references[].reason)).
      type: bool
    reason:
      description: Why a resource that uses a changed key is not restarted, for example C(not running) and its status (it
        reads the new value at its next start); null otherwise.
      type: str
  sample:
    - {uuid: h8k2m0c4s6w1q3e5r7t9y2u4, name: shop-web, type: application, used_keys: [DB_PASSWORD],
       changed_keys: [DB_PASSWORD], rows: [DATABASE_URL], hidden_rows: [], restart: true,
       reason: null}
restarted:
  description: The resources O(restart=changed) restarted (or would).
  returned: always
  type: list
  elements: dict
  contains:
    uuid:
      description: Resource uuid.
      type: str
    name:
      description: Resource name.
      type: str
    type:
      description: V(application), V(service) or V(database).
      type: str
    outcome:
      description: V(restarted), V(failed), V(not attempted) or, in check mode, V(would restart).
      type: str
    restarted:
      description: Whether the restart reached the resource.
      type: bool
    failed:
      description: Whether its restart failed.
      type: bool
    restarted_again:
      description: Whether it was restarted again after a rollback, onto the previous values.
      type: bool
    error:
      description: What went wrong, or null.
      type: str
summary:
  description: Counts; C(total) is the number of entries in RV(variables), C(resources_scanned) the resources whose env
    rows were read, C(to_restart) the references that need a restart.
  returned: always
  type: dict
  sample: {total: 1, keys_added: 0, keys_updated: 1, keys_removed: 0, keys_unchanged: 0, keys_skipped: 0, keys_failed: 0,
           keys_unknown: 0, keys_rolled_back: 0, references: 9, resources_scanned: 20, to_restart: 9, restarted: 9, restart_failed: 0,
           restarted_again: 0}
msg:
  description: One line describing what happened (or would).
  returned: always
  type: str
  sample: "Changed shared variables: 0 added, 1 updated, 0 removed, 9 of 9 referencing resources restarted."
'''

from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import lifecycle_argument_spec
from ansible_collections.coolops.coolify.plugins.module_utils._module import batch_argument_spec, merge_argument_specs, module_main
from ansible_collections.coolops.coolify.plugins.module_utils._shared_env import run_shared_env


def argument_spec():
    lifecycle = lifecycle_argument_spec("application")
    return merge_argument_specs(batch_argument_spec(), dict(
        level=dict(type="str", required=True, choices=["team", "project", "environment", "server"]),
        project=dict(type="str"),
        environment=dict(type="str"),
        server=dict(type="str"),
        env=dict(type="dict", required=True, no_log=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        prune=dict(type="bool", default=False),
        hidden_values=dict(type="str", default="update", choices=["update", "skip", "fail"]),
        rollback=dict(type="bool", default=False),
        restart=dict(type="str", default="none", choices=["none", "changed"]),
        find_references=dict(type="bool", default=True),
        healthy=lifecycle["healthy"],
        poll_interval=lifecycle["poll_interval"],
    ))


def main():
    module_main(argument_spec(), run_shared_env, require_selection=False, keys_only=("env",))


if __name__ == "__main__":
    main()
