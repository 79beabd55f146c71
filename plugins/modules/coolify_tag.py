#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: coolify_tag
short_description: Put a Coolify tag on, or take it off, a list of applications, services or databases
version_added: 1.1.0
author: coolops maintainers (@coolops)
description:
  - Attaches one Coolify tag to each listed resource (O(state=present)), or detaches it (O(state=absent)).
  - The tags of every resource are read first, so only resources that need it are written, the task reports
    RV(had_tag) (which resources carried the tag before), and check mode predicts exactly without writing.
  - Coolify creates a missing team tag when it is first attached, and deletes a team tag once no resource carries it.
  - The nightly playbooks use it to remember, on the resources themselves and visibly in Coolify's UI, what the
    shutdown stopped, so the startup brings back only that.
extends_documentation_fragment:
  - coolops.coolify.connection
  - coolops.coolify.attributes
  - coolops.coolify.attributes.CHECK_MODE
  - coolops.coolify.attributes.DIFF_MODE_NONE
  - coolops.coolify.attributes.IDEMPOTENT
options:
  resource_type:
    description: The kind of every resource in O(uuids).
    type: str
    required: true
    choices: [application, service, database]
  uuids:
    description:
      - The resources, by uuid. An empty list does nothing.
      - A uuid Coolify does not know (or that belongs to another team) fails for that resource; the others are still
        handled.
    type: list
    elements: str
    required: true
  tag:
    description:
      - The tag name. Coolify stores tag names in lower case, so the name is lower-cased; it needs at least 2
        characters.
    type: str
    required: true
  state:
    description: Whether the resources carry the tag afterwards.
    type: str
    choices: [present, absent]
    default: present
  max_workers:
    description: How many resources are read and written at the same time.
    type: int
    default: 10
notes:
  - The token needs the C(read) and C(write) abilities (or C(root)).
seealso:
  - module: coolops.coolify.coolify_info
'''

EXAMPLES = r'''
- name: Remember which databases this run stops
  coolops.coolify.coolify_tag:
    resource_type: database
    uuids: "{{ up_databases | map(attribute='uuid') | list }}"
    tag: coolops-nightly-stopped

- name: Which of these services carry the tag (read only)
  coolops.coolify.coolify_tag:
    resource_type: service
    uuids: [s4kgw8o, m0c0k8s]
    tag: coolops-nightly-stopped
    state: absent
  check_mode: true
  register: marked

- name: Show them
  ansible.builtin.debug:
    msg: "{{ marked.had_tag }}"
'''

RETURN = r'''
tag:
  description: The tag name, as Coolify stores it.
  returned: always
  type: str
  sample: coolops-nightly-stopped
had_tag:
  description: The uuids of the resources that carried the tag before the task.
  returned: always
  type: list
  elements: str
  sample: [s4kgw8o]
resources:
  description: One entry per uuid, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    uuid:
      description: The resource uuid.
      type: str
    resource_type:
      description: O(resource_type).
      type: str
    had_tag:
      description: Whether the resource carried the tag before; null when its tags could not be read.
      type: bool
    has_tag:
      description: Whether it carries the tag afterwards (in check mode, would); null when unknown.
      type: bool
    changed:
      description: Whether the tag was (or would be) attached or detached.
      type: bool
    failed:
      description: Whether reading or writing this resource's tags failed.
      type: bool
    error:
      description: One sentence naming the resource and what went wrong, or null.
      type: str
msg:
  description: One line summing up the run.
  returned: always
  type: str
  sample: added tag coolops-nightly-stopped to 3 of 3 databases
'''

from ansible_collections.coolops.coolify.plugins.module_utils._module import module_main
from ansible_collections.coolops.coolify.plugins.module_utils._tags import run_tag, tag_argument_spec


def main():
    module_main(tag_argument_spec(), run_tag, require_selection=False)


if __name__ == "__main__":
    main()
