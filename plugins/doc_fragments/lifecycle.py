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
      - Seconds between the first polls while waiting; later polls back off by a factor of 1.5, up to 8 times this value.
    type: float
    default: 2.0
'''
