# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin util is PRIVATE to the collection. It can change at any time; do not use it from elsewhere.

"""Mark data that came from the Coolify API as unsafe, so Ansible never templates it."""

from __future__ import annotations

from collections.abc import Mapping, Set

from ansible.module_utils.common.collections import is_sequence
from ansible.utils.unsafe_proxy import AnsibleUnsafe, wrap_var


def make_unsafe(value):
    """Return a copy of value with every string (keys included) marked unsafe.

    Anyone who can name a resource in Coolify can put ``{{ ... }}`` into it, so every string is wrapped,
    not only those that contain braces. Numbers, booleans and None pass through unchanged.
    """
    if value is None or isinstance(value, AnsibleUnsafe):
        return value
    if isinstance(value, Mapping):
        return dict((make_unsafe(key), make_unsafe(val)) for key, val in value.items())
    if isinstance(value, Set):
        return set(make_unsafe(item) for item in value)
    if is_sequence(value):
        return type(value)(make_unsafe(item) for item in value)
    if isinstance(value, (str, bytes)):
        return wrap_var(value)
    return value
