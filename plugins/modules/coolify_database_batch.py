#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: coolify_database_batch
short_description: Start, stop or restart many Coolify standalone databases at once
version_added: 1.1.0
author: coolops maintainers (@coolops)
description:
  - Starts, stops or restarts a whole selection of Coolify standalone databases (PostgreSQL, MySQL, MariaDB,
    MongoDB, Redis, KeyDB, DragonFly, ClickHouse), with bounded parallelism, optional rolling waves, and waiting
    until each database reports the requested status.
  - Databases inside a service are not standalone databases; they follow their service
    (M(coolops.coolify.coolify_service_batch)).
  - The plan is made first, from the statuses Coolify reports. Check mode computes the same plan and sends no write;
    each item says in RV(databases[].reason) what it would do and why, for example that it would start because
    the status is C(exited:unhealthy).
  - Every selected database is attempted (unless a rolling run halts). The task fails when any database failed, and
    still returns every database; O(max_fail_percentage) tolerates some failures.
  - Coolify's answers C(Database is already running.) (to a start) and C(Database is already stopped.) (to a stop)
    mean unchanged, not failed.
  - No password or connection URL is ever returned; results carry only uuid, name, statuses and the outcome.
extends_documentation_fragment:
  - coolops.coolify.connection
  - coolops.coolify.selectors
  - coolops.coolify.batch
  - coolops.coolify.lifecycle
  - coolops.coolify.attributes
  - coolops.coolify.attributes.CHECK_MODE
  - coolops.coolify.attributes.DIFF_MODE
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
    support: partial
    details:
      - V(started) and V(stopped) are idempotent. V(restarted) always acts and always reports a change.
options:
  uuids:
    description:
      - Select databases by uuid.
      - Selected databases are the union of O(uuids) and O(names), without duplicates, in the order given.
      - A uuid that does not exist, belongs to another team, or exists only outside the
        O(project)/O(environment)/O(server) scope, fails the task before anything is changed.
    type: list
    elements: str
    aliases: [database_uuids]
  tags:
    description:
      - Select every database carrying one of these tags (any of them; names compare lowercase, as Coolify stores
        them). A tag that matches nothing (in the scope) fails the task.
      - Coolify's databases lists carry no tags and have no tag filter, so this costs one list plus one
        C(GET /databases/{uuid}/tags) per database left after O(project)/O(environment)/O(server) narrowed the list, read
        O(max_workers) at a time. A failed tag read fails the task before anything is changed.
    type: list
    elements: str
  state:
    description:
      - V(started) starts only the databases whose status is not C(running); the others are reported unchanged.
      - V(stopped) stops only the databases whose status is not C(exited).
      - V(restarted) restarts every selected database (Coolify stops, then starts it, in one queued job). It always
        reports a change.
    type: str
    choices: [started, stopped, restarted]
    default: started
  wait:
    description:
      - Whether to wait until each database is where O(state) asked for. The default V(true) is recommended for every
        state, so the result reports statuses that were really read back from Coolify.
      - Coolify only queues database jobs and returns no job id; the status keeps its old value until the job runs. A
        database is done only once a status change caused by this request was observed. For a start or stop, the proof
        is reaching C(running) or C(exited); for a restart of a running database, it is first a status other than
        C(running) (its stop phase), then C(running) again.
      - When no such change is seen before O(wait_timeout), the database fails as C(not observed), never as done.
      - One watcher per task reads the statuses of every waited database with one C(GET /databases) per
        O(poll_interval) when two or more are waited for; all requests share the client's rate-limit pacer.
      - With V(false) the task returns as soon as Coolify accepted each request; RV(databases[].status_after) is then
        null for the databases acted on.
      - O(strategy=rolling) needs V(true).
    type: bool
    default: true
  healthy:
    description:
      - With O(wait=true), require C(running:healthy) instead of any C(running) status. A database whose health check
        is disabled reports C(running:unknown) and never becomes healthy.
      - With O(state=started), a database already running but not healthy is left alone and waited for.
    type: bool
    default: false
  max_fail_percentage:
    description:
      - Percentage of failed databases that is tolerated. The task fails only when more than this percentage of the
        selected databases failed.
      - With O(strategy=rolling), a wave in which more than this percentage failed halts the run, and the task fails.
      - When not set, any failed database fails the task (and halts a rolling run).
    type: float
notes:
  - The token needs the C(read) and C(deploy) abilities (or C(root)), and its team member must be an admin or owner.
  - A request whose answer never arrives (read timeout, lost or mangled answer) is never sent again. The database is
    done only when a status change caused by that request is observed; otherwise it fails with C(outcome unknown).
  - Coolify's start of a database removes and recreates its container; a stop runs C(docker stop) with a 30 second
    grace period.
seealso:
  - module: coolops.coolify.coolify_database_backup
  - module: coolops.coolify.coolify_service_batch
  - module: coolops.coolify.coolify_info
'''

EXAMPLES = r'''
- name: Stop every database of the staging environment
  coolops.coolify.coolify_database_batch:
    api_url: https://coolify.example.com
    api_token: "{{ lookup('ansible.builtin.env', 'COOLIFY_API_TOKEN') }}"
    project: shop
    environment: staging
    state: stopped

- name: Start the databases of one server first, and require them healthy
  coolops.coolify.coolify_database_batch:
    server: edge-01
    state: started
    healthy: true
    wait_timeout: 300

- name: Restart two databases by uuid, one after the other
  coolops.coolify.coolify_database_batch:
    database_uuids: [p0s8kc4wgo4, r8kcw0o4gs8]
    state: restarted
    strategy: sequential

- name: Preview stopping the shop databases
  coolops.coolify.coolify_database_batch:
    names: [shop-postgres, shop-redis]
    state: stopped
  check_mode: true
  diff: true
'''

RETURN = r'''
databases:
  description:
    - One entry per selected database, in selection order.
  returned: success and failure after the selectors resolved
  type: list
  elements: dict
  contains:
    uuid:
      description: The database uuid.
      type: str
      sample: p0s8kc4wgo4
    name:
      description: The database name.
      type: str
      sample: shop-postgres
    action:
      description:
        - The action sent (or, in check mode, planned), or null when the database was already where O(state) asked.
      type: str
      sample: start
      choices: [start, stop, restart]
    reason:
      description: What was (or would be) done and why, in words.
      type: str
      sample: would start (currently exited:unhealthy)
    changed:
      description: Whether the database was (or would be) changed.
      type: bool
    failed:
      description: Whether this database failed.
      type: bool
    skipped:
      description: True when the database was not attempted because a rolling run halted.
      type: bool
    status_before:
      description: The status Coolify reported before the action.
      type: str
      sample: exited:unhealthy
    status_after:
      description:
        - The status read back from Coolify at the end; equal to RV(databases[].status_before) when nothing was sent
          (and in check mode).
        - Null when the action was not waited for (O(wait=false)) or the status could not be read (the database was
          deleted).
      type: str
      sample: running:healthy
    deployment_uuid:
      description: Always null; Coolify has no deployment record for database actions.
      type: str
    deployment_status:
      description: Always null; Coolify has no deployment record for database actions.
      type: str
    error:
      description: One sentence saying what went wrong, or null.
      type: str
      sample: "Coolify API POST /databases/p0s8kc4wgo4/start returned HTTP 404: Database not found."
    elapsed_seconds:
      description: Seconds spent on this database, waiting included.
      type: float
      sample: 12.5
summary:
  description: Counts over RV(databases). C(ok) counts every attempted database that did not fail.
  returned: success and failure after the selectors resolved
  type: dict
  contains:
    total:
      description: Number of selected databases.
      type: int
      sample: 4
    changed:
      description: Databases changed (or that would change in check mode) without failing.
      type: int
      sample: 3
    ok:
      description: Databases that did not fail and were attempted.
      type: int
      sample: 4
    failed:
      description: Databases that failed.
      type: int
      sample: 0
    skipped:
      description: Databases not attempted after a rolling run halted.
      type: int
      sample: 0
msg:
  description: One line summing up the run.
  returned: always
  type: str
  sample: "started 3 of 4 databases (1 already running)"
'''

from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import batch_module_argument_spec, run_database_batch
from ansible_collections.coolops.coolify.plugins.module_utils._module import module_main


def main():
    module_main(batch_module_argument_spec("database"), run_database_batch)


if __name__ == "__main__":
    main()
