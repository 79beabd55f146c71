# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Shared variables (coolify_shared_env): which resources reference which shared key (API-NOTES 16.4, 16.5).

Coolify offers no API that answers "who uses ``{{team.DB_PASSWORD}}``", so this file reads every resource env row in
the scope of the shared level and parses the references itself. The parsing and the matching are pure; ``discover``
does the reads.

API cost of discovery (one run of coolify_shared_env with ``restart`` or references wanted):

* the resource lists, always: ``GET /applications``, ``GET /services``, ``GET /databases`` (3 calls);
* the scope: team 0 calls; project and environment ``GET /projects`` + ``GET /projects/{uuid}`` (2 calls, shared with
  the target lookup); server ``GET /servers`` + ``GET /servers/{uuid}/resources`` (2 calls);
* one ``GET /{applications|services|databases}/{uuid}/envs`` per resource in the scope (N calls, ``max_workers`` at
  a time). So a team-level rotation over a fleet of N resources costs N + 3 reads, and a project-level one only reads
  the resources of that project.

The ``docker_compose_raw`` of services and docker-compose applications, which the list items already carry for a
sensitive token, is parsed too (no extra call), as the row ``docker-compose``.

Blind spots (reported, never guessed): rows whose value is hidden (token without read:sensitive, and is_shown_once
rows of applications and services) cannot be parsed.
"""

from __future__ import annotations

import re
import time

from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch

LEVELS = ("team", "project", "environment", "server")
RESOURCE_KINDS = ("application", "service", "database")
# Coolify's resolver: every {{...}} anywhere in the value, inner whitespace trimmed, then "<type>.<KEY>".
_REFERENCE = re.compile(r"\{\{(.*?)\}\}")
MAX_CHAIN = 64
# Compose files (services, docker-compose applications) resolve team, project and environment references, not server
# ones (resolveSharedEnvironmentVariables, API-NOTES 16.4); the list items carry the file for sensitive tokens only.
COMPOSE_LEVELS = ("team", "project", "environment")
COMPOSE_ROW = "docker-compose"


class ScopeError(ValueError):
    """The resources of a scope cannot be placed (a list item lacks the field that says where it lives)."""


def parse_refs(value):
    """``[(level, key), ...]`` referenced by one env value, in order of appearance, without repeats.

    Unknown types (``{{foo.KEY}}``) are ignored, like Coolify leaves them verbatim; keys are case-sensitive.
    """
    if not isinstance(value, str) or "{{" not in value:
        return []
    found = []
    for inner in _REFERENCE.findall(value):
        level, dot, key = inner.strip().partition(".")
        if dot and level in LEVELS and key and (level, key) not in found:
            found.append((level, key))
    return found


def keys_at(value, level):
    """The keys of ``level`` that one value references."""
    return [key for ref_level, key in parse_refs(value) if ref_level == level]


class Reference(object):
    """One resource that references keys of the managed level, and what it uses (no values)."""

    def __init__(self, kind, resource):
        self.kind = kind
        self.resource = resource
        self.uuid = resource.get("uuid")
        self.name = resource.get("name")
        self.rows = {}        # row label -> [keys of the level it references]
        self.hidden_rows = []  # rows whose value could not be read
        self.hidden_shared = []  # of those, the ones Coolify flags is_shared (the whole value is one {{...}})

    @property
    def keys(self):
        return sorted(set(key for keys in self.rows.values() for key in keys))

    def production_keys(self):
        """Keys used by the rows a restart makes live (preview rows only reach pull-request deployments)."""
        return sorted(set(key for label, keys in self.rows.items() if not label.endswith("@preview") for key in keys))


def _row_label(kind, row):
    label = row.get("key") or "?"
    if kind == "application" and row.get("is_preview"):
        label += "@preview"
    return label


def scan_resource(kind, resource, rows, level):
    """The Reference of one resource for ``level`` (pure), or None when it neither references nor hides anything."""
    ref = Reference(kind, resource)
    for row in rows or []:
        if not isinstance(row, dict):
            continue
        if "value" not in row:
            # Hidden: is_shared says the whole value is one {{...}}, but not which; a partial reference is invisible.
            ref.hidden_rows.append(_row_label(kind, row))
            if row.get("is_shared"):
                ref.hidden_shared.append(_row_label(kind, row))
            continue
        keys = keys_at(row.get("value"), level)
        if keys:
            ref.rows[_row_label(kind, row)] = keys
    compose = resource.get("docker_compose_raw")
    if level in COMPOSE_LEVELS and isinstance(compose, str):
        keys = keys_at(compose, level)
        if keys:
            ref.rows[COMPOSE_ROW] = keys
    if not ref.rows and not ref.hidden_rows:
        return None
    return ref


def nested(shared_rows):
    """``{key: ["team.B", ...]}`` for the shared variables whose own value contains references (readable ones only)."""
    found = {}
    for row in shared_rows or []:
        if isinstance(row, dict) and isinstance(row.get("key"), str):
            inner = ["%s.%s" % ref for ref in parse_refs(row.get("value"))]
            if inner:
                found[row["key"]] = inner
    return found


def dependents(shared_rows, level, changed):
    """Keys of ``level`` whose value references a changed key, followed transitively, cycle-safe.

    Coolify resolves a resource's value in one pass (EnvironmentVariable::get_real_environment_variables_internal):
    a reference inside a shared value usually reaches the resource verbatim, but is resolved when the resource's own
    value contains the same reference text. So a resource that uses such a key is treated as affected too (a spare
    restart costs less than a stale value). Returns (affected keys, cycles) where cycles are lists like ``[A, B, A]``;
    a cycle is reported, never followed more than once, and chains longer than MAX_CHAIN stop.
    """
    graph = _graph(shared_rows, level)
    affected = set(changed)
    frontier = list(changed)
    steps = 0
    while frontier and steps < MAX_CHAIN * max(len(graph), 1):
        steps += 1
        current = frontier.pop()
        for key, targets in graph.items():
            if current in targets and key not in affected:
                affected.add(key)
                frontier.append(key)
    return affected, find_cycles(graph)


def _graph(shared_rows, level):
    graph = {}
    for row in shared_rows or []:
        if isinstance(row, dict) and isinstance(row.get("key"), str):
            graph[row["key"]] = set(keys_at(row.get("value"), level))
    return graph


def find_cycles(graph):
    """Every reference cycle in ``{key: set(keys it references)}``, each once, as ``[A, B, ..., A]`` (iterative DFS)."""
    cycles = []
    seen_cycles = set()
    done = set()
    for start in sorted(graph):
        if start in done:
            continue
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        path = [start]
        on_path = {start}
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            if child in on_path:
                cycle = path[path.index(child):] + [child]
                signature = frozenset(cycle)
                if signature not in seen_cycles:
                    seen_cycles.add(signature)
                    cycles.append(cycle)
            elif child not in done and child in graph and len(path) < MAX_CHAIN:
                stack.append((child, iter(sorted(graph.get(child, ())))))
                path.append(child)
                on_path.add(child)
    return cycles


def missing_references(references, existing_keys):
    """``[(reference, key), ...]`` for every referenced key that does not exist at the level (after the run)."""
    existing = set(existing_keys)
    return [(ref, key) for ref in references for key in ref.keys if key not in existing]


def affected(references, keys):
    """The references whose production rows use one of ``keys`` (changed or removed)."""
    keys = set(keys)
    return [ref for ref in references if keys.intersection(ref.production_keys())]


# ---------------------------------------------------------------------------------------------------------------------
# Discovery (reads only)
# ---------------------------------------------------------------------------------------------------------------------


def _in_scope(level, target, server_uuids):
    """A predicate over (kind, resource) for the resources that see the level's variables of ``target``."""
    if level == "team":
        return lambda kind, resource: True
    if level == "server":
        return lambda kind, resource: resource.get("uuid") in server_uuids.get(kind, ())
    if level == "project":
        ids = set(env.get("id") for env in target.get("environments") or [] if env.get("id") is not None)
    else:
        ids = set([target["environment"].get("id")])

    def check(kind, resource):
        if resource.get("environment_id") is None:
            raise ScopeError("Coolify listed the %s %s (%s) without environment_id, so its project cannot be told." % (
                kind, resource.get("name"), resource.get("uuid")))
        return resource.get("environment_id") in ids
    return check


def _server_uuids(client, target):
    placed = dict((kind, set()) for kind in RESOURCE_KINDS)
    for item in client.server_resources(target["server"]["uuid"]):
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        kind = "database" if isinstance(kind, str) and kind.startswith("standalone-") else kind
        if kind in placed:
            placed[kind].add(item.get("uuid"))
    return placed


def resources_in_scope(client, level, target):
    """``[(kind, resource), ...]`` that can resolve the level's variables of ``target`` (applications first)."""
    server_uuids = _server_uuids(client, target) if level == "server" else {}
    check = _in_scope(level, target, server_uuids)
    listers = (("application", client.list_applications), ("service", client.list_services),
               ("database", client.list_databases))
    found = []
    for kind, lister in listers:
        for resource in lister():
            if isinstance(resource, dict) and resource.get("uuid") and check(kind, resource):
                found.append((kind, resource))
    return found


def discover(client, level, target, max_workers=10, sleep=None):
    """Read the env rows of every resource in scope and return (references, read errors).

    ``read errors`` is ``[(kind, resource, exception)]``; the caller fails before writing when it is not empty.
    """
    placed = resources_in_scope(client, level, target)
    reads = run_batch(placed, lambda pair: client.list_envs(pair[0], pair[1]["uuid"]), max_workers=max_workers,
                      sleep=sleep or time.sleep)
    references = []
    errors = []
    for outcome in reads:
        kind, resource = outcome.item
        if outcome.error is not None or not outcome.attempted:
            errors.append((kind, resource, outcome.error))
            continue
        ref = scan_resource(kind, resource, outcome.value, level)
        if ref is not None:
            references.append(ref)
    return references, errors, len(placed)
