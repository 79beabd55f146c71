# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This doc fragment is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  uuids:
    description:
      - Select resources by uuid.
      - Selected resources are the union of O(uuids), O(names) and O(tags), without duplicates, in the order given
        (uuids first, then names, then the resources of each tag, sorted by name).
      - A uuid that does not exist, or that exists only outside the O(project)/O(environment)/O(server) scope, fails
        the task before anything is changed.
    type: list
    elements: str
  names:
    description:
      - Select resources by name (exact, case-sensitive).
      - When a scope (O(project), O(environment), O(server)) is given, names are looked up inside it, so a name used
        in several projects can be selected unambiguously by adding O(project).
      - A name that matches nothing, matches only resources outside the scope, or matches several resources fails
        the task before anything is changed; the message lists every offender.
    type: list
    elements: str
  tags:
    description:
      - Select every resource carrying one of these tags (any of them, as a union).
      - Tags are narrowed by the scope; a tag that matches nothing (in the scope) fails the task.
      - Applications are found with one C(GET /applications?tag=) per tag (exact, lowercase names). Services and
        databases carry no tags in their lists, so their tags are read per resource, only for the candidates left
        after O(project)/O(environment)/O(server) (and the status filter of the info module) narrowed the list;
        that is one list plus one C(GET /{services|databases}/{uuid}/tags) per candidate, read concurrently. Names
        compare lowercase. A failed tag read fails the task; no resource is silently dropped or included.
    type: list
    elements: str
  project:
    description:
      - Scope the selection to the resources of this project (name or uuid).
      - Given alone (without O(uuids), O(names) or O(tags)) it selects every resource of the project. Given with
        them it narrows the selection.
      - O(project), O(environment) and O(server) combine; the scope is their intersection.
    type: str
  environment:
    description:
      - Scope the selection to the resources of this environment (name or uuid) of O(project).
      - Requires O(project).
    type: str
  server:
    description:
      - Scope the selection to the resources running on this server (name or uuid).
      - Given alone it selects every resource of the server.
    type: str
notes:
  - "How selectors combine: O(uuids), O(names) and O(tags) select (their union); O(project), O(environment) and
    O(server) scope (their intersection). With no selector at all, modules that change things refuse to run."
  - Unknown or ambiguous names, unknown uuids, tags that match nothing and resources named explicitly but outside
    the scope all fail the task together, before any write.
  - An option that is given but empty (V(""), V([]), a list of blanks, or null), for example an O(environment) whose
    template rendered empty, fails the task before any API call, because it would otherwise widen the selection.
    Only an option that is left out means "not given".
  - A blank or repeated entry inside one list (for example O(names=[web, web])) fails the task before any API call;
    a resource selected by two different selectors (a name and its uuid) is acted on once.
'''
