# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""coolify_tag's run(cm): put one Coolify tag on, or take it off, a list of resources (API-NOTES §17).

Each resource's tags are read first (``GET /{kind}/{uuid}/tags``), so the result says which resources carried the tag
before, check mode predicts exactly, and nothing is written when the tag is already where it should be.
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils._client import KINDS, PLURAL
from ansible_collections.coolops.coolify.plugins.module_utils._errors import ConfigurationError, CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch


def tag_argument_spec():
    return dict(
        resource_type=dict(type="str", required=True, choices=list(KINDS)),
        uuids=dict(type="list", elements="str", required=True),
        tag=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        max_workers=dict(type="int", default=10),
    )


def normalize_tag(name):
    """Coolify stores ``strtolower(trim(strip_tags(name)))``; refuse what it would change beyond case and spaces."""
    text = str(name or "").strip().lower()
    if len(text) < 2 or "<" in text or ">" in text:
        raise ConfigurationError("The tag name %r is not usable; give at least 2 characters, without < or >." % (name,))
    return text


def _validate(params):
    uuids = [str(u).strip() for u in params["uuids"]]
    if any(not u for u in uuids):
        raise ConfigurationError("uuids must not contain blank entries.")
    if len(set(uuids)) != len(uuids):
        raise ConfigurationError("uuids must not repeat an entry.")
    return uuids, normalize_tag(params["tag"])


def run_tag(cm):
    """coolify_tag's run(cm)."""
    params = cm.params
    uuids, tag = _validate(params)
    kind, present = params["resource_type"], params["state"] == "present"
    client = cm.client

    def work(uuid):
        item = {"uuid": uuid, "resource_type": kind, "had_tag": None, "has_tag": None, "changed": False,
                "failed": False, "error": None}
        try:
            found = [t for t in client.resource_tags(kind, uuid) if isinstance(t, dict) and t.get("name") == tag]
            item["had_tag"] = item["has_tag"] = bool(found)
            if present != bool(found):
                item["changed"] = True
                if not cm.check_mode:
                    if present:
                        client.add_resource_tag(kind, uuid, tag)
                    else:
                        client.remove_resource_tag(kind, uuid, found[0].get("uuid"))
                item["has_tag"] = present
        except CoolifyError as exc:
            item["failed"] = True
            item["error"] = "Could not %s tag %s %s %s: %s." % (
                "add" if present else "remove", tag, "to" if present else "from", kind + " " + uuid, str(exc).rstrip("."))
        return item

    outcomes = run_batch(uuids, work, max_workers=params["max_workers"])
    items = []
    for outcome in outcomes:
        if outcome.value is not None:
            items.append(outcome.value)
        else:
            items.append({"uuid": outcome.item, "resource_type": kind, "had_tag": None, "has_tag": None,
                          "changed": False, "failed": True,
                          "error": "Unexpected %s for %s %s." % (type(outcome.error).__name__, kind, outcome.item)})
    failed = [item for item in items if item["failed"]]
    changed = [item for item in items if item["changed"] and not item["failed"]]
    if cm.check_mode:
        verb = "would add" if present else "would remove"
    else:
        verb = "added" if present else "removed"
    msg = "%s tag %s %s %d of %d %s" % (verb, tag, "to" if present else "from", len(changed), len(items), PLURAL[kind])
    if failed:
        msg += "; %d failed: %s" % (len(failed), " ".join(item["error"] for item in failed[:5]))
    return {
        "changed": bool(changed),
        "failed": bool(failed),
        "msg": msg,
        "tag": tag,
        "resources": items,
        "had_tag": [item["uuid"] for item in items if item["had_tag"]],
    }
