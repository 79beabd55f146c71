# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This doc fragment is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

from __future__ import annotations


class ModuleDocFragment(object):

    # Every module: membership of the action group.
    DOCUMENTATION = r'''
attributes:
  action_group:
    description: Use C(group/coolops.coolify.coolify) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - coolops.coolify.coolify
'''

    CHECK_MODE = r'''
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
'''

    DIFF_MODE = r'''
attributes:
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: full
'''

    DIFF_MODE_NONE = r'''
attributes:
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: none
'''

    IDEMPOTENT = r'''
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
    support: full
'''

    # For read-only modules (coolify_info and the like).
    INFO_MODULE = r'''
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
    support: N/A
    details:
      - This action does not modify state.
'''
