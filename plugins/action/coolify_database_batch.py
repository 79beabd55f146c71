# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of coolops.coolify.coolify_database_batch: runs the module and shows its progress while it runs."""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.plugin_utils._progress_action import BatchProgressAction


class ActionModule(BatchProgressAction):
    """See plugins/plugin_utils/_progress_action.py."""
