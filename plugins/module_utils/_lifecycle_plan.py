# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Start, stop, restart and deploy many applications or services: the pure planner (no I/O).

The plan is computed from the statuses the selector lookup already returned, so check mode and a real run decide
the same way and check mode sends no write. This file also shapes the result: items, counts, message and diff.
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils._client import PLURAL
from ansible_collections.coolops.coolify.plugins.module_utils._errors import (
    ConfigurationError, CoolifyError, NotQueuedError, OutcomeUnknownError)
from ansible_collections.coolops.coolify.plugins.module_utils import _status

STATES = {
    "application": ("started", "stopped", "restarted", "deployed"),
    "service": ("started", "stopped", "restarted"),
    "database": ("started", "stopped", "restarted"),
}
# The kinds the lifecycle engine acts on.
KINDS = tuple(STATES)
# state -> the API action sent when the resource needs it ("deploy" goes to the application start endpoint).
ACTIONS = {"started": "start", "stopped": "stop", "restarted": "restart", "deployed": "deploy"}
ALWAYS_ACT = ("restarted", "deployed")  # states whose action is sent whatever the status (see plan_item)
PAST = {"start": "started", "stop": "stopped", "restart": "restarted", "deploy": "deployed"}

DEFAULT_POLL_INTERVAL = 2.0
# Coolify's 400 answers that mean "nothing to do" (the status changed between the plan and the action).
ALREADY = {"Service is already running.": "running", "Service is already stopped.": "stopped",
           "Database is already running.": "running", "Database is already stopped.": "stopped"}
# The watcher's failure reasons, as the few words of the one-line msg.
SHORT_REASONS = {"not queued": "not queued", "not observed": "not observed", "timed out": "timed out",
                 "deleted": "deleted", "outcome unknown": "outcome unknown", "failed": "deployment failed",
                 "cancelled-by-user": "deployment cancelled-by-user", "error": "error while waiting"}


class Options(object):
    """The options run_lifecycle uses, with defaults for callers (coolify_env) whose params lack some of them."""

    def __init__(self, kind, state, params):
        params = params or {}

        def get(name, default):
            value = params.get(name)
            return default if value is None else value

        self.kind = kind
        self.state = state
        self.strategy = get("strategy", "parallel")
        self.max_workers = int(get("max_workers", 10))
        self.batch_size = params.get("batch_size")
        self.pause_seconds = float(get("pause_seconds", 0))
        self.wait = bool(get("wait", True))
        self.wait_timeout = float(get("wait_timeout", 600))
        self.max_fail_percentage = params.get("max_fail_percentage")
        self.healthy = bool(get("healthy", False))
        self.poll_interval = float(get("poll_interval", DEFAULT_POLL_INTERVAL))
        self.docker_cleanup = bool(get("docker_cleanup", True))
        self.force = bool(get("force", False))
        self.instant_deploy = bool(get("instant_deploy", False))
        self.latest = bool(get("latest", False))
        self.failure_log_lines = int(get("failure_log_lines", 0))
        self.cancel_on_timeout = bool(get("cancel_on_timeout", False))


def validate_options(kind, state, params):
    """Raise ConfigurationError (one sentence) for options that cannot work together; call before any write."""
    if kind not in KINDS:
        raise ConfigurationError("Unknown resource kind %r; use application, service or database." % (kind,))
    if state not in STATES[kind]:
        raise ConfigurationError("state=%s is not available for %s; use one of %s." % (
            state, PLURAL[kind], ", ".join(STATES[kind])))
    opts = Options(kind, state, params)
    problems = []
    if opts.max_workers < 1:
        problems.append("max_workers must be at least 1")
    if opts.batch_size is not None and int(opts.batch_size) < 1:
        problems.append("batch_size must be at least 1")
    if opts.pause_seconds < 0:
        problems.append("pause_seconds must not be negative")
    if opts.wait_timeout <= 0:
        problems.append("wait_timeout must be greater than 0")
    if opts.poll_interval <= 0:
        problems.append("poll_interval must be greater than 0")
    if opts.failure_log_lines < 0:
        problems.append("failure_log_lines must not be negative")
    if opts.max_fail_percentage is not None and not 0 <= float(opts.max_fail_percentage) <= 100:
        problems.append("max_fail_percentage must be between 0 and 100")
    if opts.strategy == "rolling" and not opts.wait:
        problems.append("strategy=rolling needs wait=true, because a wave can only be judged once its resources are up")
    if problems:
        raise ConfigurationError("Invalid options: %s." % "; ".join(problems))
    return opts


# ---------------------------------------------------------------------------------------------------------------------
# Planning (pure)
# ---------------------------------------------------------------------------------------------------------------------


def target_of(action, state):
    """The status family a resource must reach: ``running`` or ``exited`` (``state`` is used when no action is sent)."""
    if action == "stop" or (action is None and state == "stopped"):
        return _status.EXITED
    return _status.RUNNING


def plan_item(kind, state, status):
    """Decide what to do with one resource: ``(action or None, why)``.

    ``why`` explains the decision in words a user can check: ``currently exited:unhealthy``,
    ``already running (running:healthy)``. ``restarted`` and ``deployed`` always act.
    """
    shown = status if status else "unknown"
    state_part = _status.state_of(status)
    if state == "started":
        if state_part == _status.RUNNING:
            return None, "already running (%s)" % shown
        if kind == "service" and state_part == _status.STARTING:
            # A service start is already under way (Coolify reports starting:unhealthy while it runs); a second
            # start would recreate its containers.
            return None, "already starting (%s)" % shown
        return "start", "currently %s" % shown
    if state == "stopped":
        if _status.is_stopped(status):
            return None, "already stopped (%s)" % shown
        return "stop", "currently %s" % shown
    if state in ALWAYS_ACT:
        return ACTIONS[state], "currently %s" % shown
    raise ValueError("unknown state %r" % (state,))


def reached(status, target, healthy=False):
    """True when ``status`` is at ``target`` (``running`` or ``exited``); ``healthy`` also requires ``running:healthy``.

    Parsed, never substring-matched: ``running:unhealthy`` contains ``healthy`` but is not healthy.
    """
    if target == _status.EXITED:
        return _status.is_stopped(status)
    if healthy:
        return _status.is_healthy(status)
    return _status.is_running(status)


def needs_wait_without_action(kind, state, status, healthy):
    """An unchanged resource still worth waiting for: a service already starting, or a running one not yet healthy."""
    if state != "started":
        return False
    if kind == "service" and _status.state_of(status) == _status.STARTING:
        return True
    return healthy and not _status.is_healthy(status)


def action_params(kind, action, opts):
    """Coolify's query flags for one action (only flags Coolify reads for that endpoint)."""
    params = {}
    if action == "stop":
        params["docker_cleanup"] = "true" if opts.docker_cleanup else "false"
    elif kind == "application" and action in ("start", "deploy"):
        if opts.force:
            params["force"] = "true"
        if opts.instant_deploy:
            params["instant_deploy"] = "true"
    elif kind == "service" and action == "restart" and opts.latest:
        params["latest"] = "true"
    return params or None


def api_action(action):
    """``deploy`` is Coolify's application start (a start is a deployment on Coolify)."""
    return "start" if action == "deploy" else action


def fail_limit_exceeded(failed, total, max_fail_percentage):
    """Whether ``failed`` of ``total`` items fail the task: any failure, or more than max_fail_percentage percent."""
    if not failed:
        return False
    if max_fail_percentage is None:
        return True
    return failed * 100.0 / max(total, 1) > float(max_fail_percentage)


def summarize(items):
    """``{total, changed, ok, failed, skipped}``; ok counts every item that did not fail and was attempted."""
    total = len(items)
    failed = sum(1 for item in items if item.get("failed"))
    skipped = sum(1 for item in items if item.get("skipped") and not item.get("failed"))
    changed = sum(1 for item in items if item.get("changed") and not item.get("failed") and not item.get("skipped"))
    return dict(total=total, changed=changed, ok=total - failed - skipped, failed=failed, skipped=skipped)


def short_text(text, limit=80):
    text = " ".join(str(text or "").split()).rstrip(".")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def build_msg(kind, state, items, check_mode=False, waited=True, halted=False, max_listed=5):
    """One line: ``restarted 48 of 50 applications; 2 failed: api (...), worker (...)``."""
    noun = PLURAL[kind]
    counts = summarize(items)
    action = ACTIONS[state]
    done = counts["changed"]
    if check_mode:
        text = "would %s %d of %d %s" % (action, done, counts["total"], noun)
    else:
        text = "%s %d of %d %s" % (PAST[action], done, counts["total"], noun)
    notes = []
    unchanged = counts["ok"] - counts["changed"]
    if unchanged:
        notes.append("%d already %s" % (unchanged, "stopped" if state == "stopped" else "running"))
    if not waited and not check_mode and done:
        notes.append("not waited for")
    if notes:
        text += " (%s)" % ", ".join(notes)
    failed = [item for item in items if item.get("failed")]
    if failed:
        listed = ", ".join("%s (%s)" % (item.get("name") or item.get("uuid"),
                                        item.get("_short") or short_text(item.get("error") or "failed", 60))
                           for item in failed[:max_listed])
        if len(failed) > max_listed:
            listed += " and %d more" % (len(failed) - max_listed)
        text += "; %d failed: %s" % (len(failed), listed)
    if counts["skipped"]:
        text += "; %d not attempted%s" % (counts["skipped"], " (the rolling run halted after a failed wave)" if halted else "")
    return text


def diff_key(item):
    return "%s (%s)" % (item.get("name"), item.get("uuid"))


def build_diff(items, check_mode=False):
    """Per-resource status before and after; check mode shows the status the plan aims for."""
    before, after = {}, {}
    for item in items:
        key = diff_key(item)
        before[key] = item.get("status_before")
        if check_mode or item.get("skipped"):
            planned = item.get("planned_status")
            after[key] = planned if planned is not None else item.get("status_before")
        elif item.get("status_after") is None and item.get("action"):
            after[key] = "%s requested (not waited for)" % item["action"]
        else:
            after[key] = item.get("status_after")
    return {"before": dict(sorted(before.items())), "after": dict(sorted(after.items()))}


def new_item(kind, state, resource, check_mode):
    """The planned result entry for one resource; check mode reports it as the final one."""
    status = resource.get("status")
    action, why = plan_item(kind, state, status)
    item = {
        "uuid": resource.get("uuid"),
        "name": resource.get("name"),
        "action": action,
        "changed": False,
        "failed": False,
        "skipped": False,
        "status_before": status,
        "status_after": status if action is None else None,
        "deployment_uuid": None,
        "deployment_status": None,
        "error": None,
        "elapsed_seconds": 0.0,
    }
    if action is None:
        item["reason"] = why
        item["planned_status"] = status
    else:
        item["reason"] = "would %s (%s)" % (action, why) if check_mode else "%s (%s)" % (action, why)
        item["planned_status"] = target_of(action, state)
        if check_mode:
            item["changed"] = True
            item["status_after"] = status
    return item


# ---------------------------------------------------------------------------------------------------------------------
# Results of the executor (pure)
# ---------------------------------------------------------------------------------------------------------------------


def items_with_entries(result, by_uuid):
    """(item, entry) for every item of a run_lifecycle result whose uuid has an entry in ``by_uuid``."""
    for item in result.get("items") or []:
        entry = by_uuid.get(item.get("uuid"))
        if entry is not None:
            yield item, entry


def restart_failure(label, item):
    """``<label> failed: <why>`` for a failed restart item (restart requests carry no values, so it quotes none)."""
    return "%s failed: %s" % (label, item.get("error") or item.get("reason") or "unknown error")


def short_error(exc):
    """A few words for the one-line msg: ``HTTP 404 Application not found``, ``outcome unknown``, ..."""
    if isinstance(exc, OutcomeUnknownError):
        return "outcome unknown"
    if isinstance(exc, CoolifyError) and exc.status is not None:
        return "HTTP %s %s" % (exc.status, short_text(exc.api_message or "", 40))
    return short_text(str(exc), 60)


def fail_item(item, exc, error=None, short=None):
    """Mark an item failed with a full error sentence and a short one for the msg (NotQueuedError: changed false)."""
    item["failed"] = True
    if isinstance(exc, NotQueuedError):
        item["changed"] = False  # Coolify queued nothing, so nothing was changed
    item["error"] = error or str(exc)
    item["_short"] = short or short_error(exc)
    if item["action"]:
        item["reason"] = "%s failed" % item["action"]
    elif not item["reason"].startswith("waiting failed"):
        item["reason"] = "waiting failed (%s)" % item["reason"]


def server_ref(resource):
    """The server an application is on, as Coolify's deployments name it (the id), else its uuid; None if unknown."""
    destination = resource.get("destination") if isinstance(resource.get("destination"), dict) else {}
    server = destination.get("server") if isinstance(destination.get("server"), dict) else {}
    for value in (destination.get("server_id"), server.get("id"), server.get("uuid"), resource.get("server_id")):
        if value is not None:
            return value
    return None


def settle_from_wait(item, wait, kind, opts):
    """Apply a settled watcher wait to its item; True when a deployment finished and its status is still to be read.

    Done means observed: a finished deployment, a deployment seen queued (``wait: false``), or a status change that
    this request caused (see _evidence). Everything else fails the item with the watcher's reason.
    """
    res = wait.result
    for key in ("deployment_uuid", "deployment_status"):
        if res.get(key):
            item[key] = res[key]
    if res.get("status") is not None:
        item["status_after"] = res["status"]
    action, reason, unknown = item["action"], res["reason"], item.get("_unknown")
    if res.get("verified"):
        item["_verified"] = True
    found = " The answer was lost; %s." % (
        "the deployment it created was found" if item.get("_verified") else "a change caused by the request was seen")
    if wait.state == "done":
        if reason == "finished" and opts.wait:
            return True
        if reason in ("queued", "finished"):
            item["reason"] = "%s queued (deployment %s %s; not waited for)" % (
                action, item["deployment_uuid"], item.get("deployment_status") or reason)
        elif action is not None and item["changed"]:
            item["reason"] = "%s (was %s)" % (PAST[action], item["status_before"] or "unknown")
        elif action is not None:
            item["reason"] += ", and it was followed to the end"  # Coolify's own: nothing new was queued
        if unknown:
            item["reason"] += found
        return False
    message = res.get("message") or reason
    short = SHORT_REASONS.get(reason, short_text(reason, 40))
    if reason == "timed out" and message.startswith("Timed out waiting"):
        message = "Timed out after %gs waiting%s" % (opts.wait_timeout, message[len("Timed out waiting"):])
        short = "timed out waiting for %s" % message.split("waiting for ", 1)[1].split(" (", 1)[0]
    if reason == "deleted":
        item["_gone"] = True
        item["status_after"] = None
        message = "The %s no longer exists (HTTP 404)." % kind
    elif unknown and reason in ("not observed", "outcome unknown"):
        message = "%s It was not resent, and nothing it caused was observed before wait_timeout." % unknown
        short = "outcome unknown"
    fail_item(item, (NotQueuedError if reason == "not queued" else CoolifyError)(message), message, short=short)
    if opts.failure_log_lines:
        item["log_lines"] = list(res.get("log_lines") or [])
    return False
