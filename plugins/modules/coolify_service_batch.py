#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: coolify_service_batch
short_description: Start, stop or restart many Coolify services at once
version_added: 1.0.0
author: coolops maintainers (@coolops)
description:
  - Starts, stops or restarts a whole selection of Coolify services (one-click and compose services), with bounded
    parallelism, optional rolling waves, and waiting until each service reports the requested status.
  - The plan is made first, from the statuses Coolify reports. Check mode computes the same plan and sends no write;
    each item says in RV(services[].reason) what it would do and why, for example that it would start because
    the status is C(exited).
  - Every selected service is attempted (unless a rolling run halts). The task fails when any service failed, and
    still returns every service; O(max_fail_percentage) tolerates some failures.
  - Coolify's answers C(Service is already running.) (to a start) and C(Service is already stopped.) (to a stop) mean
    unchanged, not failed.
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
      - Select services by uuid.
      - Selected services are the union of O(uuids) and O(names), without duplicates, in the order given.
      - A uuid that does not exist, or that exists only outside the O(project)/O(environment)/O(server) scope, fails
        the task before anything is changed.
    type: list
    elements: str
    aliases: [service_uuids]
  tags:
    description:
      - Select every service carrying one of these tags (any of them; names compare lowercase, as Coolify stores
        them). A tag that matches nothing (in the scope) fails the task.
      - Coolify's services lists carry no tags and have no tag filter, so this costs one list plus one
        C(GET /services/{uuid}/tags) per service left after O(project)/O(environment)/O(server) narrowed the list, read
        O(max_workers) at a time. A failed tag read fails the task before anything is changed.
    type: list
    elements: str
  state:
    description:
      - V(started) starts only the services whose status is neither C(running) nor C(starting); the others are
        reported unchanged. A service already C(starting) is waited for, not started again (a second start would
        recreate its containers).
      - V(stopped) stops only the services whose status is not C(exited).
      - V(restarted) restarts every selected service (Coolify stops, then starts it). It always reports a change.
    type: str
    choices: [started, stopped, restarted]
    default: started
  latest:
    description:
      - Pull the latest images before the restart (Coolify's C(latest) flag). Used by V(restarted).
    type: bool
    default: false
  wait:
    description:
      - Whether to wait until each service is where O(state) asked for. The default V(true) is recommended for every
        state, so the result reports statuses that were really read back from Coolify.
      - Coolify gives no deployment or job id for service actions and only queues them; the status keeps its old value
        until the job runs. A service is done only once a status change caused by this request was observed. For a
        start or stop, the proof is reaching C(running) or C(exited); for a restart of a running service, it is first a
        status other than C(running) (Coolify's stop phase), then C(running) again. C(starting:unhealthy) is a transition, not a result.
      - When no such change is seen before O(wait_timeout), the service fails as C(not observed), never as done.
      - One watcher per task reads the statuses of every waited service with one C(GET /services) per
        O(poll_interval) when two or more are waited for; all requests share the client's rate-limit pacer.
      - With V(false) the task returns as soon as Coolify accepted each request; RV(services[].status_after) is then
        null for the services acted on.
      - O(strategy=rolling) needs V(true).
    type: bool
    default: true
  healthy:
    description:
      - With O(wait=true), require C(running:healthy) instead of any C(running) status.
      - With O(state=started), a service already running but not healthy is left alone and waited for.
    type: bool
    default: false
  max_fail_percentage:
    description:
      - Percentage of failed services that is tolerated. The task fails only when more than this percentage of the
        selected services failed.
      - With O(strategy=rolling), a wave in which more than this percentage failed halts the run, and the task fails.
      - When not set, any failed service fails the task (and halts a rolling run).
    type: float
notes:
  - The token needs the C(read) and C(deploy) abilities (or C(root)).
  - A request whose answer never arrives (read timeout, lost or mangled answer) is never sent again. The service is
    done only when a status change caused by that request is observed; otherwise it fails with C(outcome unknown).
seealso:
  - module: coolops.coolify.coolify_app_batch
  - module: coolops.coolify.coolify_info
'''

EXAMPLES = r'''
- name: Stop every service of the staging environment
  coolops.coolify.coolify_service_batch:
    api_url: https://coolify.example.com
    api_token: "{{ lookup('ansible.builtin.env', 'COOLIFY_API_TOKEN') }}"
    project: shop
    environment: staging
    state: stopped

- name: Restart two services by uuid with fresh images, one after the other
  coolops.coolify.coolify_service_batch:
    service_uuids: [s4kgw8o, m0c0k8s]
    state: restarted
    latest: true
    strategy: sequential

- name: Start the services of one server and require them healthy
  coolops.coolify.coolify_service_batch:
    server: edge-01
    state: started
    healthy: true
    wait_timeout: 300

- name: Connection options once for every coolops.coolify module
  module_defaults:
    group/coolops.coolify.coolify:
      api_url: https://coolify.example.com
      api_token: "{{ coolify_token }}"
  block:
    - name: Preview starting the monitoring stack
      coolops.coolify.coolify_service_batch:
        names: [grafana, prometheus]
        state: started
      check_mode: true
      diff: true
'''

RETURN = r'''
services:
  description:
    - One entry per selected service, in selection order.
  returned: success and failure after the selectors resolved
  type: list
  elements: dict
  contains:
    uuid:
      description: The service uuid.
      type: str
      sample: s4kgw8o
    name:
      description: The service name.
      type: str
      sample: grafana
    action:
      description:
        - The action sent (or, in check mode, planned), or null when the service was already where O(state) asked.
      type: str
      sample: start
      choices: [start, stop, restart]
    reason:
      description: What was (or would be) done and why, in words.
      type: str
      sample: would start (currently exited)
    changed:
      description: Whether the service was (or would be) changed.
      type: bool
    failed:
      description: Whether this service failed.
      type: bool
    skipped:
      description: True when the service was not attempted because a rolling run halted.
      type: bool
    status_before:
      description: The status Coolify reported before the action.
      type: str
      sample: exited
    status_after:
      description:
        - The status read back from Coolify at the end; equal to RV(services[].status_before) when nothing was sent
          (and in check mode).
        - Null when the action was not waited for (O(wait=false)) or the status could not be read (the service was
          deleted).
      type: str
      sample: running:healthy
    deployment_uuid:
      description: Always null; Coolify has no deployment record for service actions.
      type: str
    deployment_status:
      description: Always null; Coolify has no deployment record for service actions.
      type: str
    error:
      description: One sentence saying what went wrong, or null.
      type: str
      sample: "Coolify API POST /services/s4kgw8o/start returned HTTP 404: Service not found."
    elapsed_seconds:
      description: Seconds spent on this service, waiting included.
      type: float
      sample: 12.5
summary:
  description: Counts over RV(services). C(ok) counts every attempted service that did not fail.
  returned: success and failure after the selectors resolved
  type: dict
  contains:
    total:
      description: Number of selected services.
      type: int
      sample: 4
    changed:
      description: Services changed (or that would change in check mode) without failing.
      type: int
      sample: 3
    ok:
      description: Services that did not fail and were attempted.
      type: int
      sample: 4
    failed:
      description: Services that failed.
      type: int
      sample: 0
    skipped:
      description: Services not attempted after a rolling run halted.
      type: int
      sample: 0
msg:
  description: One line summing up the run.
  returned: always
  type: str
  sample: "started 3 of 4 services (1 already running)"
'''

from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import batch_module_argument_spec, run_service_batch
from ansible_collections.coolops.coolify.plugins.module_utils._module import module_main


def main():
    module_main(batch_module_argument_spec("service"), run_service_batch)


if __name__ == "__main__":
    main()
