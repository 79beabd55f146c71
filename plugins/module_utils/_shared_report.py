# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Shared variables (coolify_shared_env): the result (variables, references, restarted, summary, msg, diff), and the
restarts through the lifecycle engine. Keys, names and uuids only; never a value.
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils._env import SETTLED
from ansible_collections.coolops.coolify.plugins.module_utils._errors import CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import run_lifecycle
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle_plan import items_with_entries, restart_failure
from ansible_collections.coolops.coolify.plugins.module_utils._redact import mask_quoted
from ansible_collections.coolops.coolify.plugins.module_utils._status import is_stopped
from ansible_collections.coolops.coolify.plugins.module_utils import _shared_refs as refs

KIND_ORDER = ("application", "service", "database")
MAX_LISTED = 10
NOT_SHARED_FLAGS = ("is_runtime", "is_buildtime")


def _listed(parts):
    text = ", ".join(parts[:MAX_LISTED])
    if len(parts) > MAX_LISTED:
        text += " and %d more" % (len(parts) - MAX_LISTED)
    return text


def _who(ref):
    return "%s %s (%s)" % (ref.kind, ref.name, ref.uuid)


class SharedReport(object):
    """Collects what a run did, in the order it happened, and shapes the module result."""

    def __init__(self, params, check_mode=False, diff=False):
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self.warnings = []
        self.variables = []
        self.refs = []
        self.ref_entries = []
        self.scanned = 0
        self.restart_entries = []
        self.rollback_ok = False
        self.rollback_tried = False
        self.restored_keys = set()
        self.secrets = set()
        self.error = None

    # ---------------------------------------------------------------------------------------------- planning

    def plan(self, plan):
        """One entry per listed or touched key: ``{key, outcome, changed}``; outcome is what happened (or would)."""
        for outcome in ("added", "updated", "removed", "unchanged", "skipped"):
            for key, _preview in getattr(plan, outcome):
                self.variables.append({"key": key, "outcome": outcome, "changed": outcome in ("added", "updated", "removed")})
        self.variables.sort(key=lambda entry: entry["key"])

    def nested(self, found, level):
        """Warn about shared values that contain references (Coolify resolves one pass, see _shared_refs.dependents)."""
        if found:
            self.warnings.append("These %s-level shared variables contain references themselves; Coolify resolves "
                                 "references in one pass, so those usually reach resources as verbatim {{...}} text: %s." % (
                                     level, _listed(["%s contains %s" % (key, ", ".join(inner)) for key, inner in sorted(found.items())])))

    def references(self, references, affected_keys, final_keys, cycles, level, scanned):
        """Record the references, which resources need a restart, and warn about missing keys, cycles and blind rows."""
        self.scanned = scanned
        users = set(ref.uuid for ref in refs.affected(references, affected_keys))
        # A stopped user is never started by a rotation: it reads the new value at its next start.
        stopped = [ref for ref in references if ref.uuid in users and is_stopped(ref.resource.get("status"))]
        restart = users - set(ref.uuid for ref in stopped)
        for ref in references:
            self.refs.append(ref)
            used = ref.keys
            self.ref_entries.append({
                "uuid": ref.uuid, "name": ref.name, "type": ref.kind, "used_keys": used,
                "changed_keys": sorted(set(used) & set(affected_keys)), "rows": sorted(ref.rows),
                "hidden_rows": list(ref.hidden_rows), "restart": ref.uuid in restart,
                "reason": "not running (%s)" % ref.resource.get("status") if ref in stopped else None,
            })
        if stopped and self.params.get("restart") == "changed":
            self.warnings.append("These resources use the changed keys but are not running, so they are not restarted (they "
                                 "read the new values at their next start): %s." % _listed(
                                     ["%s, %s" % (_who(ref), ref.resource.get("status")) for ref in stopped]))
        missing = {}
        for ref, key in refs.missing_references(references, final_keys):
            missing.setdefault(_who(ref), []).append("%s.%s" % (level, key))
        if missing:
            self.warnings.append("These resources reference %s-level shared variables that do not exist%s, so Coolify "
                                 "leaves the {{...}} text verbatim: %s." % (
                                     level, "" if self.check_mode else " after this run",
                                     _listed(["%s uses %s" % (who, ", ".join(keys)) for who, keys in missing.items()])))
        for cycle in cycles:
            self.warnings.append("The %s-level shared variables reference each other in a cycle (%s); it is reported and "
                                 "not followed further." % (level, " -> ".join(cycle)))
        blind = [ref for ref in references if ref.hidden_rows]
        if blind:
            self.warnings.append("The values of some env rows could not be read (no read:sensitive, or is_shown_once), so "
                                 "whether they reference a shared variable is unknown and they are not restarted for it: "
                                 "%s." % _listed(["%s: %s" % (_who(ref), ", ".join(ref.hidden_rows)) for ref in blind]))
        preview_only = [ref for ref in references if ref.uuid not in restart and set(ref.keys) & set(affected_keys)]
        if preview_only and self.params.get("restart") == "changed":
            self.warnings.append("Only preview rows of these applications use the changed keys; a restart does not reach "
                                 "preview deployments, so redeploy them: %s." % _listed([_who(ref) for ref in preview_only]))

    def restart_candidates(self):
        wanted = set(entry["uuid"] for entry in self.ref_entries if entry["restart"])
        ordered = sorted((ref for ref in self.refs if ref.uuid in wanted), key=lambda ref: KIND_ORDER.index(ref.kind))
        return [(ref.kind, ref.resource) for ref in ordered]

    # ---------------------------------------------------------------------------------------------- outcomes

    def write_failed(self, settled, error, landed=None):
        """A write failed; ``settled`` is what reading back showed (written, not_written, partly or unknown), and
        ``landed`` the rows that now differ from before (remaining_changes), or None when they could not be read."""
        self.error = "%s; %s" % (self.error_text(error).rstrip(". "), SETTLED.get(settled, SETTLED["unknown"]))
        differs = None if landed is None else set(label for label, how in landed if how != "unknown")
        for entry in self.variables:
            if not entry["changed"]:
                continue
            if differs is None or settled == "unknown":
                entry["outcome"] = "unknown"  # counted as changed
            elif entry["key"] not in differs:
                entry["outcome"] = "failed"
                entry["changed"] = False

    def rolled_back(self, report):
        """Record restore_plans' report for the level: ``{"error": exc or None, "not_restored": [(label, how)]}``.

        Key by key: a key that the re-read does not list as remaining is back to its previous value (``rolled_back``),
        even when others are not; ``restored_keys`` are those, whose users must be restarted again."""
        self.rollback_tried = True
        remaining = report.get("not_restored") or []
        self.rollback_ok = report.get("error") is None and not remaining
        left = set(label for label, _how in remaining)
        for entry in self.variables:
            if entry["key"] in left:
                entry["outcome"] = "unknown" if entry["outcome"] == "unknown" else "failed"
                entry["changed"] = True
            elif entry["changed"] or entry["outcome"] == "unknown":
                entry["outcome"] = "rolled_back"
                entry["changed"] = False
                self.restored_keys.add(entry["key"])
        if self.rollback_ok:
            return
        problems = []
        if report.get("error") is not None:
            problems.append("rollback failed: %s" % self.error_text(report["error"]))
        if remaining:
            # Every key, never shortened: this is what someone has to put right by hand.
            problems.append("not restored: %s" % ", ".join("%s (%s)" % (label, how) for label, how in remaining))
        self.error = "; ".join(part for part in [self.error] + problems if part)

    def error_text(self, exc):
        """As coolify_env: a CoolifyError as is (the transport masked what the API quoted back), anything else through
        mask_quoted."""
        if exc is None:
            return "unknown error"
        if isinstance(exc, CoolifyError):
            return str(exc)
        return "%s: %s" % (type(exc).__name__, mask_quoted(exc, self.secrets))

    def restart(self, client, candidates, params, clock=None, sleep=None, again=False):
        """Restart kind by kind (applications, services, databases) with the lifecycle engine; a failed kind halts the
        later kinds. Returns True when the restarts failed (after max_fail_percentage)."""
        by_uuid = dict((entry["uuid"], entry) for entry in self.restart_entries)
        for kind, resource in candidates:
            if resource.get("uuid") not in by_uuid:
                entry = {"uuid": resource.get("uuid"), "name": resource.get("name"), "type": kind, "restarted": False,
                         "failed": False, "restarted_again": False, "outcome": "not attempted", "error": None}
                self.restart_entries.append(entry)
                by_uuid[entry["uuid"]] = entry
        label = "restart after rollback" if again else "restart"
        for kind in KIND_ORDER:
            resources = [resource for found_kind, resource in candidates if found_kind == kind]
            if not resources:
                continue
            result = run_lifecycle(client, kind, resources, "restarted", params, check_mode=False, clock=clock, sleep=sleep)
            for item, entry in items_with_entries(result, by_uuid):
                if item.get("failed"):
                    entry["failed"] = True
                    entry["outcome"] = "failed"
                    entry["error"] = "; ".join(part for part in (entry["error"], restart_failure(label, item)) if part)
                elif item.get("changed"):
                    if again:
                        entry["restarted_again"] = True
                    else:
                        entry["restarted"] = True
                        entry["outcome"] = "restarted"
            if result.get("failed"):
                return True
        return False

    def restarted_resources(self, keys):
        """The candidates that a restart reached (failed ones included: they may run the new value) and that use one
        of ``keys``."""
        users = set(ref.uuid for ref in refs.affected(self.refs, keys))
        return [(entry["type"], {"uuid": entry["uuid"], "name": entry["name"]}) for entry in self.restart_entries
                if (entry["restarted"] or entry["failed"]) and entry["uuid"] in users]

    # ---------------------------------------------------------------------------------------------- results

    def failure(self, msg, warnings=None):
        result = {"failed": True, "changed": False, "msg": msg, "variables": [], "references": [], "restarted": [],
                  "summary": self.summary()}
        if warnings:
            result["warnings"] = list(warnings)
        return result

    def read_failure(self, errors, scanned, error_text):
        kind, resource, error = errors[0]
        msg = ("Reading the env variables of %d of %d resources failed, so nothing was written; first: %s %s (%s): %s" % (
            len(errors), scanned, kind, resource.get("name"), resource.get("uuid"),
            error_text(error) if error is not None else "not attempted"))
        return self.failure(msg, warnings=self.warnings)

    def summary(self):
        summary = {"total": len(self.variables), "references": len(self.ref_entries), "resources_scanned": self.scanned}
        for outcome in ("added", "updated", "removed", "unchanged", "skipped", "failed", "unknown", "rolled_back"):
            summary["keys_" + outcome] = sum(1 for entry in self.variables if entry["outcome"] == outcome)
        summary["to_restart"] = sum(1 for entry in self.ref_entries if entry["restart"])
        summary["restarted"] = sum(1 for entry in self.restart_entries if entry["restarted"])
        summary["restart_failed"] = sum(1 for entry in self.restart_entries if entry["failed"])
        summary["restarted_again"] = sum(1 for entry in self.restart_entries if entry["restarted_again"])
        return summary

    def finish(self, plan, restarts=None, planned=False, failed_phase=None):
        if planned:
            # Check mode, or nothing to write: restarts are only reported (and only when something changes).
            for kind, resource in (restarts or []) if plan.changed else []:
                self.restart_entries.append({"uuid": resource.get("uuid"), "name": resource.get("name"), "type": kind,
                                             "restarted": False, "failed": False, "restarted_again": False,
                                             "outcome": "would restart", "error": None})
        summary = self.summary()
        written = any(entry["changed"] for entry in self.variables)
        changed = written or summary["restarted"] > 0 or (self.check_mode and plan.changed)
        if self.rollback_tried and not self.rollback_ok:
            changed = True
        if failed_phase:
            msg = "%s failed: %s" % (failed_phase.capitalize(), self.error or self._restart_error())
            msg += "; %s." % self._counts(summary)
        elif not plan.changed:
            msg = "All %d shared variable(s) already match; nothing restarted." % summary["keys_unchanged"]
        else:
            msg = "%s %s" % ("Would change" if self.check_mode else "Changed", self._counts(summary)) + "."
        result = {"changed": changed, "failed": bool(failed_phase), "msg": msg, "variables": self.variables,
                  "references": self.ref_entries, "restarted": self.restart_entries, "summary": summary}
        if self.diff:
            before, after = plan.diff() if plan.changed else ({}, {})
            for side in (before, after):
                for entry in side.values():
                    for flag in NOT_SHARED_FLAGS:
                        entry.pop(flag, None)
            result["diff"] = {"before": before, "after": after}
        if self.warnings:
            result["warnings"] = list(self.warnings)
        return result

    def _restart_error(self):
        failed = [entry for entry in self.restart_entries if entry["failed"]]
        if not failed:
            return "the restarts halted"
        first = failed[0]
        return "%d of %d restarts (first: %s %s (%s): %s)" % (
            len(failed), len(self.restart_entries), first["type"], first["name"], first["uuid"], first["error"])

    def _counts(self, summary):
        parts = ["%d added, %d updated, %d removed" % (summary["keys_added"], summary["keys_updated"], summary["keys_removed"])]
        if summary["keys_rolled_back"]:
            parts.append("%d rolled back" % summary["keys_rolled_back"])
        if summary["keys_failed"]:
            parts.append("%d not written" % summary["keys_failed"])
        parts.append("%d of %d referencing resources %s" % (
            summary["to_restart"] if self.check_mode else summary["restarted"], summary["references"],
            "to restart" if self.check_mode else "restarted"))
        if summary["restarted_again"]:
            parts.append("%d restarted again onto the previous values" % summary["restarted_again"])
        return "shared variables: " + ", ".join(parts)
