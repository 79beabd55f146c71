# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This doc fragment is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

from __future__ import annotations


class ModuleDocFragment(object):
    """The lifecycle options whose meaning does not depend on the kind (module_utils/_lifecycle.lifecycle_argument_spec).

    state, healthy and the kind's own flags differ between applications and services, so each module documents them.
    """

    DOCUMENTATION = r'''
options:
  docker_cleanup:
    description:
      - Let Coolify clean up unused Docker images, networks and build cache after a stop (Coolify's C(docker_cleanup)
        flag, which Coolify also defaults to true). Used by V(stopped).
    type: bool
    default: true
  poll_interval:
    description:
      - Seconds between two polls of the task's watcher while anything is pending. The interval stays steady while work
        is pending; only polls that met errors stretch it (by 1.5 each time, up to 8 times this value).
      - Each poll reads the team's active deployments once (C(GET /deployments)) for every followed deployment, and
        the statuses of one kind with one list call when two or more resources of that kind are waited for.
    type: float
    default: 2.0
  failure_log_lines:
    description:
      - On a failed or cancelled deployment, return the last this many lines of its build log in the item's
        C(log_lines), taken from the C(logs) field Coolify sends to a token with C(read:sensitive).
      - Hidden log entries (Coolify's debug lines) are left out, and every line passes through the collection's secret
        masks. With a token that cannot read logs, one warning says so.
      - V(0) returns no lines.
    type: int
    default: 0
  cancel_on_timeout:
    description:
      - When O(wait_timeout) runs out, cancel this task's deployments that are still queued or in progress
        (C(POST /deployments/{uuid}/cancel)) and report each one with C(cancelled=true). Nothing else is cancelled.
      - Applies to applications only (services and databases have no deployment to cancel).
    type: bool
    default: false
'''
