#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: coolify_app_batch
short_description: Start, stop, restart or deploy many Coolify applications at once
version_added: 1.0.0
author: coolops maintainers (@coolops)
description:
  - Starts, stops, restarts or deploys a whole selection of Coolify applications, with bounded parallelism, optional
    rolling waves, and honest waiting for each deployment and status.
  - The plan is made first, from the statuses Coolify reports. Check mode computes the same plan and sends no write;
    each item says in RV(applications[].reason) what it would do and why, for example that it would start because
    the status is C(exited:unhealthy).
  - Every selected application is attempted (unless a rolling run halts). The task fails when any application failed,
    and still returns every application; O(max_fail_percentage) tolerates some failures.
  - On Coolify, starting an application means deploying it (build and run). A start, restart or deploy creates a
    deployment, which this module follows to C(finished), C(failed) or C(cancelled-by-user) when O(wait=true).
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
      - V(started) and V(stopped) are idempotent. V(restarted) and V(deployed) always act and always report a change.
options:
  uuids:
    description:
      - Select applications by uuid.
      - Selected applications are the union of O(uuids), O(names) and O(tags), without duplicates, in the order given
        (uuids first, then names, then the applications of each tag, sorted by name).
      - A uuid that does not exist, or that exists only outside the O(project)/O(environment)/O(server) scope, fails
        the task before anything is changed.
    type: list
    elements: str
    aliases: [application_uuids]
  state:
    description:
      - V(started) starts (deploys) only the applications whose status is not C(running); the others are reported
        unchanged. An application that is C(starting), C(restarting), C(degraded) or C(exited) is started.
      - V(stopped) stops only the applications whose status is not C(exited).
      - V(restarted) restarts every selected application (Coolify reuses the image when the build configuration did not
        change). It always reports a change.
      - V(deployed) triggers a new deployment of every selected application (a full build; add O(force=true) for a
        build without cache). It always reports a change.
    type: str
    choices: [started, stopped, restarted, deployed]
    default: started
  force:
    description:
      - Rebuild without the Docker build cache (Coolify's C(force) flag). Used by V(started) and V(deployed).
    type: bool
    default: false
  instant_deploy:
    description:
      - Skip Coolify's deployment queue and start building at once (Coolify's C(instant_deploy) flag), ignoring the
        server's limit of concurrent builds. Used by V(started) and V(deployed).
    type: bool
    default: false
  wait:
    description:
      - Whether to wait until each application is where O(state) asked for. The default V(true) is recommended for
        every state, so the result reports statuses that were really read back from Coolify.
      - For a start, restart or deploy, the deployment is followed to C(finished), C(failed) or C(cancelled-by-user),
        then the application status is read until it is C(running). When Coolify answers
        C(Deployment already queued for this commit.) (no deployment uuid), nothing new was queued; the application is
        reported unchanged and the deployment already queued is followed. A deployment uuid that Coolify never stored
        (its full-queue quirk) fails the application as C(not queued).
      - For a stop, which Coolify only queues, the application is done once its status moved to C(exited) after the
        request; a status that never moves before O(wait_timeout) fails it as C(not observed).
      - One watcher per task follows every deployment and status, see O(poll_interval); all requests share the
        client's rate-limit pacer and O(max_workers).
      - Deploys, starts and restarts are submitted at Coolify's pace. Each server's C(concurrent_builds) and
        C(deployment_queue_limit) are read once (C(GET /servers)), and at most that many of the task's deployments are
        queued or in progress per server, so Coolify never answers that its queue is full. Every server gets work at
        once, as the next application sent is one whose server has a free slot.
      - With V(false) the task returns once every deployment is queued; each returned deployment uuid is read back
        once (seen in the C(GET /deployments) list read soon after the send, else one C(GET /deployments/{uuid})),
        and a uuid that Coolify never stored fails the application as C(not queued).
        RV(applications[].status_after) is then null for the applications acted on.
      - O(strategy=rolling) needs V(true).
    type: bool
    default: true
  healthy:
    description:
      - With O(wait=true), require C(running:healthy) instead of any C(running) status. An application without a Docker
        health check reports C(running:unknown) and then never counts as healthy.
      - With O(state=started), an application already running but not healthy is left alone and waited for.
    type: bool
    default: false
  max_fail_percentage:
    description:
      - Percentage of failed applications that is tolerated. The task fails only when more than this percentage of the
        selected applications failed.
      - With O(strategy=rolling), a wave in which more than this percentage failed halts the run, and the task fails.
      - When not set, any failed application fails the task (and halts a rolling run).
    type: float
notes:
  - The token needs the C(read) and C(deploy) abilities (or C(root)).
  - A request whose answer never arrives (read timeout, lost or mangled answer) is never sent again. The deployment it
    created for the application, at or after the send, is looked for and followed; when there is none, the application
    fails with C(outcome unknown).
  - Coolify reports statuses through a background check, so a status can lag the action by up to a minute on a real
    instance; waiting accounts for that.
seealso:
  - module: coolops.coolify.coolify_service_batch
  - module: coolops.coolify.coolify_info
  - module: coolops.coolify.coolify_env
'''

EXAMPLES = r'''
- name: Restart every application tagged staging, ten at a time
  coolops.coolify.coolify_app_batch:
    api_url: https://coolify.example.com
    api_token: "{{ lookup('ansible.builtin.env', 'COOLIFY_API_TOKEN') }}"
    tags: [staging]
    state: restarted
    max_workers: 10

- name: Rolling restart of the production API, two at a time, each wave healthy before the next
  coolops.coolify.coolify_app_batch:
    project: shop
    environment: production
    names: [api-1, api-2, api-3, api-4]
    state: restarted
    strategy: rolling
    batch_size: 2
    pause_seconds: 30
    healthy: true

- name: Stop two applications by uuid, keeping their Docker images
  coolops.coolify.coolify_app_batch:
    application_uuids: [og888os, k4kkw0s]
    state: stopped
    docker_cleanup: false

- name: Start whatever is not running on one server, without waiting
  coolops.coolify.coolify_app_batch:
    server: build-01
    state: started
    wait: false

- name: Rebuild without cache; tolerate one failure in ten
  coolops.coolify.coolify_app_batch:
    tags: [frontend]
    state: deployed
    force: true
    max_fail_percentage: 10
  register: deploy

- name: Show what happened
  ansible.builtin.debug:
    msg: "{{ deploy.msg }}"

- name: Preview a nightly shutdown (nothing is sent in check mode)
  coolops.coolify.coolify_app_batch:
    tags: [staging]
    state: stopped
  check_mode: true
  diff: true

- name: Connection options once for every coolops.coolify module
  module_defaults:
    group/coolops.coolify.coolify:
      api_url: https://coolify.example.com
      api_token: "{{ coolify_token }}"
  block:
    - name: Start the workers
      coolops.coolify.coolify_app_batch:
        names: [worker-1, worker-2]
        state: started
'''

RETURN = r'''
applications:
  description:
    - One entry per selected application, in selection order.
  returned: success and failure after the selectors resolved
  type: list
  elements: dict
  contains:
    uuid:
      description: The application uuid.
      type: str
      sample: og888os
    name:
      description: The application name.
      type: str
      sample: api
    action:
      description:
        - The action sent (or, in check mode, planned), or null when the application was already where O(state) asked.
      type: str
      sample: start
      choices: [start, stop, restart, deploy]
    reason:
      description: What was (or would be) done and why, in words.
      type: str
      sample: would start (currently exited:unhealthy)
    changed:
      description: Whether the application was (or would be) changed.
      type: bool
    failed:
      description: Whether this application failed.
      type: bool
    skipped:
      description: True when the application was not attempted because a rolling run halted.
      type: bool
    status_before:
      description: The status Coolify reported before the action.
      type: str
      sample: exited:unhealthy
    status_after:
      description:
        - The status read back from Coolify at the end; equal to RV(applications[].status_before) when nothing was
          sent (and in check mode).
        - Null when the action was not waited for (O(wait=false)) or the status could not be read (the application was
          deleted).
      type: str
      sample: running:healthy
    deployment_uuid:
      description: The deployment followed (or the one Coolify returned), if any.
      type: str
      sample: ywg8kc0sg4wo0cs8ggwc4sck
    deployment_status:
      description: The last status seen of that deployment (C(finished), C(failed), C(cancelled-by-user), ...).
      type: str
      sample: finished
    error:
      description: One sentence saying what went wrong, or null.
      type: str
      sample: "Coolify API POST /applications/og888os/start returned HTTP 404: Application not found."
    elapsed_seconds:
      description: Seconds spent on this application, waiting included.
      type: float
      sample: 41.2
    log_lines:
      description:
        - The last O(failure_log_lines) lines of the build log of a failed deployment, hidden entries left out and
          secrets masked; empty when Coolify sent no log.
      returned: when O(failure_log_lines) is above 0 and the application's deployment failed or timed out
      type: list
      elements: str
      sample: ["#12 RUN npm ci", "Deployment failed: the build exited with code 1."]
    cancelled:
      description: True when O(cancel_on_timeout) cancelled this application's deployment after the wait ran out.
      returned: when the deployment was cancelled
      type: bool
      sample: true
summary:
  description: Counts over RV(applications). C(ok) counts every attempted application that did not fail.
  returned: success and failure after the selectors resolved
  type: dict
  contains:
    total:
      description: Number of selected applications.
      type: int
      sample: 50
    changed:
      description: Applications changed (or that would change in check mode) without failing.
      type: int
      sample: 48
    ok:
      description: Applications that did not fail and were attempted.
      type: int
      sample: 48
    failed:
      description: Applications that failed.
      type: int
      sample: 2
    skipped:
      description: Applications not attempted after a rolling run halted.
      type: int
      sample: 0
msg:
  description: One line summing up the run.
  returned: always
  type: str
  sample: "restarted 48 of 50 applications; 2 failed: api (deployment failed), worker (HTTP 500 Server Error)"
'''

from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import batch_module_argument_spec, run_app_batch
from ansible_collections.coolops.coolify.plugins.module_utils._module import module_main


def main():
    module_main(batch_module_argument_spec("application"), run_app_batch)


if __name__ == "__main__":
    main()
