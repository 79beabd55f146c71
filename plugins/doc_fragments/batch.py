# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This doc fragment is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  strategy:
    description:
      - How the selected resources are worked through.
      - V(parallel) runs up to O(max_workers) resources at a time and always tries every resource.
      - V(sequential) runs one resource at a time (the same as O(max_workers=1)).
      - V(rolling) runs waves of O(batch_size) resources, each wave in parallel, waits O(pause_seconds) between
        waves, and halts when a wave fails (see O(max_fail_percentage)); resources after a halt are reported as not
        attempted.
    type: str
    choices: [parallel, sequential, rolling]
    default: parallel
  max_workers:
    description:
      - Maximum number of resources handled at the same time. V(1) means one after the other.
      - The HTTP connection pool is sized to this value; all workers share one rate-limit pacer, so a high value
        never causes failures from Coolify's rate limit, only waiting.
    type: int
    default: 10
  batch_size:
    description:
      - Size of one wave with O(strategy=rolling). Defaults to O(max_workers).
      - Ignored by the other strategies.
    type: int
  pause_seconds:
    description:
      - Seconds to pause between two waves with O(strategy=rolling).
    type: float
    default: 0
  wait:
    description:
      - Whether to wait until each resource reached the requested state (or its deployment finished) before it
        counts as done.
      - With V(false) the task returns as soon as Coolify accepted each request.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for one resource when O(wait=true). A resource that does not get there in time fails.
      - Counted per resource from the moment its action is sent (from its turn when nothing needs to be sent), so a
        large fleet does not use up the budget of its last resources while the first ones build.
      - An application waiting for a free build slot on its server is not charged for that wait; it fails (nothing
        sent) only when its server frees no build slot for O(wait_timeout) seconds.
    type: float
    default: 600
  max_fail_percentage:
    description:
      - With O(strategy=rolling), halt when more than this percentage of a wave failed.
      - When not set, any failure in a wave halts the run.
    type: float
  max_resources:
    description:
      - The most resources the selectors may select. When they select more, the task fails before any write, naming
        the count; check mode fails the same way.
      - A guard against a selector that matches far more than intended. When not set, there is no limit.
      - Must be at least V(1).
    type: int
'''
