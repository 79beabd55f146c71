# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Selector resolution: uuids / names / tags / project (+ environment) / server -> an ordered list of resources.

Rules (documented for users in the ``coolops.coolify.selectors`` doc fragment):

* ``uuids``, ``names`` and ``tags`` select; the result is their union, de-duplicated, in the order given (uuids,
  then names, then tags; a tag's resources in the API's order, by name).
* ``project`` (optionally with ``environment``) and ``server`` scope; several scopes intersect. With selectors they
  narrow; given alone they select every resource in the scope.
* Names are looked up within the scope when there is one (a name that is ambiguous fleet-wide but unique in the
  scope is fine). A uuid or a name that exists only outside the scope fails: nothing is dropped silently. Tags are
  filtered by the scope, and a tag that then matches nothing fails.
* Unknown uuids, unknown names, ambiguous names, tags that match nothing and unknown or ambiguous scopes all fail
  together, in one error listing every offender, before the caller writes anything.
* A resource carrying any one of the tags is selected (as for applications), and every tag must match something.
  Services and databases carry no tags in their list items and have no tag filter, so their tags are read per
  resource, only for the candidates left after the scope (and ``status``, when given) narrowed the list.

API calls: one ``GET /applications`` (or ``/services``, ``/databases``) when uuids, names or a bare scope are given;
one ``GET /applications?tag=X`` per tag; for services and databases with tags, one list plus one
``GET /{services|databases}/{uuid}/tags`` per candidate left after narrowing (read concurrently, ``max_workers``
at a time); ``GET /projects`` + ``GET /projects/{uuid}`` + ``GET /projects/{uuid}/{env}``
per environment in scope; ``GET /servers`` + ``GET /servers/{uuid}/resources``.
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils._client import DATABASE_ENV_KEYS, KINDS, PLURAL, kind_of_type
from ansible_collections.coolops.coolify.plugins.module_utils._errors import CoolifyError, NotFoundError
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._status import matches_state
# The selectors that select on their own (environment only narrows a project).
SELECTING_KEYS = ("uuids", "names", "tags", "project", "server")
# Every option that selects or narrows: given but empty it would widen the selection, so it is refused.
NARROWING_KEYS = ("uuids", "names", "tags", "project", "environment", "server", "status")

# Reasons, most specific first (used when several kinds disagree about one selector).
_REASON_ORDER = ("ambiguous", "outside", "unknown")


class SelectorError(CoolifyError):
    """The selectors do not resolve cleanly; ``offenders`` maps a category to the offending values."""

    def __init__(self, message, offenders=None):
        super(SelectorError, self).__init__(message)
        self.offenders = offenders or {}

    def to_dict(self):
        result = super(SelectorError, self).to_dict()
        result["offenders"] = self.offenders
        return result


def describe(resource):
    """``name (uuid)`` for messages."""
    name = resource.get("name")
    uuid = resource.get("uuid")
    if name and uuid:
        return "%s (%s)" % (name, uuid)
    return str(name or uuid or "?")


def _values(params, key):
    value = params.get(key)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v) != ""]
    return [str(value)] if str(value) != "" else []


def _blank(value):
    """True for an empty or whitespace-only string, None, and a list (or tuple) holding nothing else."""
    if value is None:
        return True
    if isinstance(value, (list, tuple)):
        return all(_blank(entry) for entry in value)
    return isinstance(value, str) and not value.strip()


def given_but_empty(params, keys=NARROWING_KEYS, what="option"):
    """Raise SelectorError naming every key of ``keys`` present in ``params`` with an empty value.

    ``params`` must be what the user gave (the raw module arguments, or an inventory config), not a dict with defaults
    filled in: an absent key means "not given", while ``""``, ``[]``, a list of blanks or an explicit null is an
    empty selector, which must never be read as "everything".
    """
    empty = [key for key in keys if key in params and _blank(params[key])]
    if not empty:
        return
    shown = ", ".join("%s=%s" % (key, "null" if params[key] is None else repr(params[key])) for key in empty)
    noun = "%s %s is" % (what, shown) if len(empty) == 1 else "%ss %s are" % (what, shown)
    raise SelectorError("The %s given but empty, which would widen the selection; give a value or leave it out."
                        % noun, offenders={"given but empty": empty})


def _check_lists(params):
    """Blank or repeated entries in one selector list are typos (a templating gap, a copy-paste), never intent."""
    offenders = {}
    for key in ("uuids", "names", "tags"):
        raw = params.get(key) or []
        if not isinstance(raw, (list, tuple)):
            continue
        if any(value is None or str(value).strip() == "" for value in raw):
            offenders["empty entry in %s" % key] = [""]
        seen, repeated = set(), []
        for value in (str(v) for v in raw if v is not None and str(v).strip() != ""):
            if value in seen and value not in repeated:
                repeated.append(value)
            seen.add(value)
        if repeated:
            offenders["repeated in %s" % key] = repeated
    if offenders:
        details = "; ".join("%s%s" % (what, (": " + ", ".join(values)) if any(values) else "")
                            for what, values in offenders.items())
        raise SelectorError("Invalid selectors: %s." % details, offenders=offenders)


def has_selection(params):
    """True when any selector or scope is set."""
    return any(_values(params, key) for key in SELECTING_KEYS)


def _match_one(items, value):
    """Find by uuid first, then by name; returns the list of matches."""
    by_uuid = [item for item in items if item.get("uuid") == value]
    if by_uuid:
        return by_uuid
    return [item for item in items if item.get("name") == value]


class Scope(object):
    """The resolved project/environment/server scope: which uuids of each kind it contains."""

    def __init__(self):
        self.project = None
        self.environments = []
        self.server = None
        self._uuids = {}  # kind -> set of uuids, or missing when no scope restricts it
        self.active = False
        self.offenders = {}
        self.environment_given = False

    def restrict(self, kind, uuids):
        uuids = set(uuids)
        if kind in self._uuids:
            self._uuids[kind] &= uuids
        else:
            self._uuids[kind] = uuids

    def contains(self, kind, resource):
        if not self.active:
            return True
        return resource.get("uuid") in self._uuids.get(kind, set())

    def label(self):
        parts = []
        if self.project is not None:
            text = "project %r" % self.project.get("name", self.project.get("uuid"))
            if len(self.environments) == 1 and self.environment_given:
                text += " environment %r" % self.environments[0].get("name", self.environments[0].get("uuid"))
            parts.append(text)
        if self.server is not None:
            parts.append("server %r" % self.server.get("name", self.server.get("uuid")))
        return " and ".join(parts) or "the scope"


def _env_resource_uuids(env_detail, kind):
    keys = DATABASE_ENV_KEYS if kind == "database" else (PLURAL[kind],)
    items = [item for key in keys for item in (env_detail.get(key) or [])]
    return [item.get("uuid") for item in items if isinstance(item, dict)]


def _find_one(scope, items, value, what):
    """The one item whose uuid (or else name) is ``value``; None when there is not exactly one, recorded as offender."""
    matches = _match_one(items, str(value))
    if not matches:
        scope.offenders.setdefault("unknown %s" % what, []).append(str(value))
    elif len(matches) > 1:
        scope.offenders.setdefault("ambiguous %s" % what, []).append(
            "%s (%s)" % (value, ", ".join(m.get("uuid", "?") for m in matches)))
    else:
        return matches[0]
    return None


def resolve_scope(client, params, kinds=KINDS):
    """Resolve project/environment/server into a Scope; problems are recorded in ``scope.offenders``."""
    scope = Scope()
    project = params.get("project")
    environment = params.get("environment")
    server = params.get("server")
    if environment and not project:
        scope.offenders.setdefault("environment without project", []).append(str(environment))
        return scope
    if project:
        scope.active = True
        scope.project = _find_one(scope, client.list_projects(), project, "project")
        if scope.project is not None:
            puuid = scope.project.get("uuid")
            envs = scope.project.get("environments")
            if envs is None:
                detail = client.get_project(puuid)
                envs = detail.get("environments")
                if envs is None:
                    envs = client.project_environments(puuid)
            envs = [e for e in (envs or []) if isinstance(e, dict)]
            if environment:
                scope.environment_given = True
                found = _match_one(envs, str(environment))
                if not found:
                    scope.offenders.setdefault("unknown environment", []).append(
                        "%s (project %s has: %s)" % (environment, scope.project.get("name", puuid),
                                                     ", ".join(sorted(str(e.get("name")) for e in envs)) or "none"))
                elif len(found) > 1:
                    scope.offenders.setdefault("ambiguous environment", []).append(str(environment))
                else:
                    envs = found
            scope.environments = envs
            if not scope.offenders and kinds:
                collected = dict((kind, set()) for kind in kinds)
                for env in envs:
                    key = env.get("uuid") or env.get("name")
                    try:
                        detail = client.get_environment(puuid, key)
                    except NotFoundError:
                        scope.offenders.setdefault("unknown environment", []).append(str(key))
                        continue
                    for kind in kinds:
                        collected[kind].update(_env_resource_uuids(detail, kind))
                for kind in kinds:
                    scope.restrict(kind, collected[kind])
    if server:
        scope.active = True
        scope.server = _find_one(scope, client.list_servers(), server, "server")
        if scope.server is not None:
            resources = client.server_resources(scope.server.get("uuid")) if kinds else []
            for kind in kinds:
                scope.restrict(kind, [r.get("uuid") for r in resources
                                      if isinstance(r, dict) and kind_of_type(r.get("type")) == kind])
    return scope


def _lister(client, kind):
    return getattr(client, "list_" + PLURAL[kind])


def _resolve_kind(client, kind, params, scope, allow_all):
    """Resolve one kind; returns (selected resources, {(selector, value): (reason or None, detail)})."""
    uuids = _values(params, "uuids")
    names = _values(params, "names")
    tags = _values(params, "tags")
    verdicts = {}
    selected = []
    seen = set()

    def add(resource):
        uuid = resource.get("uuid")
        if uuid not in seen:
            seen.add(uuid)
            selected.append(resource)

    per_resource_tags = bool(tags) and kind != "application"
    needs_list = bool(uuids or names) or per_resource_tags or (not tags and (scope.active or allow_all))
    items = _lister(client, kind)() if needs_list else []
    # Looked up by uuid and name in one pass, not a scan of the list per selector value (2000 uuids of 2000 apps).
    by_uuid, by_name = {}, {}
    for item in items:
        by_uuid.setdefault(item.get("uuid"), item)
        by_name.setdefault(item.get("name"), []).append(item)

    for uuid in uuids:
        found = by_uuid.get(uuid)
        if found is None:
            verdicts[("uuids", uuid)] = ("unknown", uuid)
        elif not scope.contains(kind, found):
            verdicts[("uuids", uuid)] = ("outside", describe(found))
        else:
            verdicts[("uuids", uuid)] = (None, None)
            add(found)

    for name in names:
        candidates = by_name.get(name, [])
        in_scope = [item for item in candidates if scope.contains(kind, item)]
        if len(in_scope) == 1:
            verdicts[("names", name)] = (None, None)
            add(in_scope[0])
        elif len(in_scope) > 1:
            verdicts[("names", name)] = ("ambiguous", "%s (%s)" % (name, ", ".join(i.get("uuid", "?") for i in in_scope)))
        elif candidates:
            verdicts[("names", name)] = ("outside", ", ".join(describe(c) for c in candidates))
        else:
            verdicts[("names", name)] = ("unknown", name)

    if per_resource_tags:
        tagged_by = _tagged_by_reading(client, kind, items, scope, params)
    for tag in tags:
        if per_resource_tags:
            verdicts[("tags", tag)], tagged = tagged_by(tag)
            for item in tagged:
                add(item)
            continue
        tagged = client.list_applications(tag=tag)
        in_scope = [item for item in tagged if scope.contains(kind, item)]
        if in_scope:
            verdicts[("tags", tag)] = (None, None)
            for item in in_scope:
                add(item)
        elif tagged:
            verdicts[("tags", tag)] = ("outside", tag)
        else:
            verdicts[("tags", tag)] = ("unknown", tag)

    if not (uuids or names or tags) and (scope.active or allow_all):
        for item in items:
            if scope.contains(kind, item):
                add(item)
    return selected, verdicts


def _tagged_by_reading(client, kind, items, scope, params):
    """Tags of services or databases, read per resource: only for ``items`` left after the scope and ``status``.

    Costs one ``GET /{services|databases}/{uuid}/tags`` per remaining candidate, ``max_workers`` at a time through
    the fan-out. Any failed read fails the whole selection (never a silent drop or inclusion). Returns a callable
    ``tagged_by(tag) -> (verdict, resources carrying the tag, by name)``; names compare lowercase, as Coolify
    stores them.
    """
    candidates = [item for item in items if scope.contains(kind, item)]
    status = params.get("status")
    if status:
        candidates = [item for item in candidates if matches_state(item.get("status"), status)]
    outcomes = run_batch(candidates, lambda item: client.resource_tags(kind, item.get("uuid")),
                         max_workers=params.get("max_workers") or 10)
    for outcome in outcomes:
        if not outcome.ok:
            raise SelectorError("Cannot select %s by tag: reading the tags of %s %s failed (%s)." % (
                PLURAL[kind], kind, describe(outcome.item), outcome.error or "not attempted"),
                offenders={"tag read failed": [describe(outcome.item)]})
    names = [set(str(tag.get("name", "")).strip().lower() for tag in (outcome.value or []) if isinstance(tag, dict))
             for outcome in outcomes]
    scoped = [item for item in items if scope.contains(kind, item)]

    def tagged_by(tag):
        wanted = tag.strip().lower()
        tagged = sorted((item for item, have in zip(candidates, names) if wanted in have),
                        key=lambda item: str(item.get("name")))
        if tagged or (status and len(candidates) < len(scoped)):
            # With status, resources left out unread may carry the tag: an empty result, as for applications.
            return (None, None), tagged
        return (("outside", tag) if scope.active else ("unknown", tag)), tagged
    return tagged_by


_CATEGORY = {
    ("uuids", "unknown"): "unknown uuids",
    ("uuids", "outside"): "uuids outside %s",
    ("names", "unknown"): "unknown names",
    ("names", "ambiguous"): "ambiguous names",
    ("names", "outside"): "names outside %s",
    ("tags", "unknown"): "tags matching nothing",
    ("tags", "outside"): "tags matching nothing in %s",
}


def _noun(kinds):
    return " and ".join(PLURAL[k] for k in kinds) or "resources"


def check_selectors(kinds, params, allow_all=False):
    """Refuse blank, repeated or missing selectors without a request, so nothing is read or sent on bad input."""
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError("kind must be application, service or database, not %r" % (kind,))
    noun = _noun(kinds)
    # Validated params: an option that was not given is None, so anything else that is blank was given empty.
    given_but_empty(dict((key, params[key]) for key in NARROWING_KEYS if params.get(key) is not None))
    _check_lists(params)
    if not has_selection(params) and params.get("environment"):
        raise SelectorError("The environment selector needs a project.", offenders={"environment without project": [
            str(params.get("environment"))]})
    if not has_selection(params) and not allow_all:
        raise SelectorError("No %s were selected; give uuids, names, tags, project or server." % noun, offenders={})


def resolve_kinds(client, kinds, params, allow_all=False, scope=None):
    """Resolve the selectors for several kinds at once: ``{kind: [resource, ...]}``.

    A uuid or name is satisfied when it resolves in any of the kinds; when it resolves in none, the most specific
    reason (ambiguous, then outside the scope, then unknown) is reported. Raises SelectorError listing every offender.
    ``scope`` may be a Scope already built by resolve_scope() for the same params and kinds.
    """
    kinds = list(kinds)
    check_selectors(kinds, params, allow_all=allow_all)
    noun = _noun(kinds)
    if scope is None:
        scope = resolve_scope(client, params, kinds)
    offenders = dict(scope.offenders)
    if scope.offenders:
        # Without a usable scope, still report selectors that match nothing anywhere.
        unscoped = Scope()
        # (Per-resource tag reads of services and databases are skipped here: they would read the whole fleet.)
        results = [_resolve_kind(client, kind, params if kind == "application" else dict(params, tags=None),
                                 unscoped, allow_all) for kind in kinds]
        results = [(sel, dict((k, v) for k, v in verdicts.items() if v[0] == "unknown")) for sel, verdicts in results]
    else:
        results = [_resolve_kind(client, kind, params, scope, allow_all) for kind in kinds]

    merged = {}
    for _selected, verdicts in results:
        for token, verdict in verdicts.items():
            previous = merged.get(token)
            if previous is not None and previous[0] is None:
                continue
            if verdict[0] is None or previous is None or \
                    _REASON_ORDER.index(verdict[0]) < _REASON_ORDER.index(previous[0]):
                merged[token] = verdict
    for selector in ("uuids", "names", "tags"):
        for value in _values(params, selector):
            verdict = merged.get((selector, value))
            if verdict is None or verdict[0] is None:
                continue
            category = _CATEGORY[(selector, verdict[0])]
            if "%s" in category:
                category = category % scope.label()
            entries = offenders.setdefault(category, [])
            if verdict[1] not in entries:
                entries.append(verdict[1])

    if offenders:
        details = "; ".join("%s: %s" % (category, ", ".join(values)) for category, values in offenders.items())
        raise SelectorError("Cannot select %s: %s." % (noun, details), offenders=offenders)
    selected = dict((kind, results[i][0]) for i, kind in enumerate(kinds))
    check_max_resources(sum(len(resources) for resources in selected.values()), noun, params.get("max_resources"))
    return selected


def check_max_resources(total, noun, limit):
    """Refuse a selection larger than ``max_resources`` (None: no limit), before anything is written."""
    if limit is not None and total > int(limit):
        raise SelectorError("The selectors match %d %s, more than max_resources=%d; narrow the selection or raise "
                            "max_resources." % (total, noun, int(limit)), offenders={"max_resources": [str(total)]})


def resolve(client, kind, params, allow_all=False):
    """Resolve the selectors in ``params`` to an ordered, de-duplicated list of ``kind`` resources.

    ``kind`` is ``application`` or ``service``. Without any selector it raises SelectorError, unless ``allow_all``
    (then every resource of the kind is returned). See the module docstring for the combination rules.
    """
    if kind not in KINDS:
        raise ValueError("kind must be application, service or database, not %r" % (kind,))
    return resolve_kinds(client, [kind], params, allow_all=allow_all)[kind]
