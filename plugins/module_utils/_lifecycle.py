# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Start, stop, restart and deploy many applications or services: the executor and the batch modules' glue.

Workers (one per resource, on the fan-out engine) act on what the planner (``_lifecycle_plan``) decided, then wait
through the waiter (``_lifecycle_wait``) until the resource is where it was asked to be.
"""

from __future__ import annotations

import time

from ansible_collections.coolops.coolify.plugins.module_utils._client import KINDS, PLURAL
from ansible_collections.coolops.coolify.plugins.module_utils._errors import (
    CoolifyError,
    InvalidResponseError,
    NotQueuedError,
    OutcomeUnknownError,
)
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import fail_percentage_exceeded, run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle_plan import (
    DEFAULT_POLL_INTERVAL,
    PAST,
    STATES,
    action_params,
    api_action,
    build_diff,
    build_msg,
    fail_limit_exceeded,
    needs_wait_without_action,
    new_item,
    short_text,
    summarize,
    target_of,
    validate_options,
)
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle_wait import Gone, Waiter, WaitTimeout
from ansible_collections.coolops.coolify.plugins.module_utils._module import (
    batch_argument_spec,
    merge_argument_specs,
    selector_argument_spec,
)
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import resolve
from ansible_collections.coolops.coolify.plugins.module_utils import _status

# Coolify's 400 answers meaning "nothing to do" (the status changed between the plan and the action), per kind.
ALREADY = {
    "service": ("Service is already running.", "Service is already stopped."),
    "database": ("Database is already running.", "Database is already stopped."),
}


def lifecycle_argument_spec(kind):
    """state and the kind's Coolify flags, plus healthy and poll_interval (the batch options come from _module)."""
    if kind not in KINDS:
        raise ValueError("kind must be application, service or database, not %r" % (kind,))
    spec = dict(
        state=dict(type="str", default="started", choices=list(STATES[kind])),
        docker_cleanup=dict(type="bool", default=True),
        healthy=dict(type="bool", default=False),
        poll_interval=dict(type="float", default=DEFAULT_POLL_INTERVAL),
    )
    if kind == "application":
        spec.update(force=dict(type="bool", default=False), instant_deploy=dict(type="bool", default=False))
    elif kind == "service":
        spec.update(latest=dict(type="bool", default=False))
    return spec


def short_error(exc):
    """A few words for the one-line msg: ``HTTP 404 Application not found``, ``outcome unknown``, ..."""
    if isinstance(exc, OutcomeUnknownError):
        return "outcome unknown"
    if isinstance(exc, CoolifyError) and exc.status is not None:
        return "HTTP %s %s" % (exc.status, short_text(exc.api_message or "", 40))
    if isinstance(exc, WaitTimeout):
        return "timed out waiting for %s" % exc.what
    if isinstance(exc, Gone):
        return "deleted"
    return short_text(str(exc), 60)


class _Worker(object):
    """Acts on one planned item, then waits through the Waiter; runs on a fan-out thread and only touches its item."""

    def __init__(self, waiter):
        self.waiter = waiter
        self.client = waiter.client
        self.kind = waiter.kind
        self.opts = waiter.opts
        self.clock = waiter.clock

    def act(self, uuid, action):
        return self.client.resource_action(self.kind, uuid, api_action(action), action_params(self.kind, action, self.opts))

    def work(self, item):
        """Run one planned item; API errors end up in the item, never raised."""
        started = self.clock()
        try:
            self._work(item)
        finally:
            item["elapsed_seconds"] = round(max(self.clock() - started, 0.0), 3)
        return item

    def _fail(self, item, exc, error=None, status_after=True):
        item["failed"] = True
        if isinstance(exc, NotQueuedError):
            item["changed"] = False  # Coolify queued nothing, so nothing was changed
        item["error"] = error or str(exc)
        item["_short"] = short_error(exc)
        if item["action"]:
            item["reason"] = "%s failed" % item["action"]
        else:
            item["reason"] = "waiting failed (%s)" % item["reason"]
        if status_after:
            item["status_after"] = self.waiter.status_for_report(item["uuid"])

    def _work(self, item):
        uuid = item["uuid"]
        action = item["action"]
        opts = self.opts
        if action is None:
            if opts.wait and needs_wait_without_action(self.kind, opts.state, item["status_before"], opts.healthy):
                try:
                    item["status_after"] = self.waiter.wait_status(uuid, target_of(None, opts.state),
                                                                   self.clock() + opts.wait_timeout)
                except (WaitTimeout, Gone, CoolifyError) as exc:
                    self._fail_wait(item, exc)
            return

        unknown = None
        try:
            answer = self.act(uuid, action)
        except OutcomeUnknownError as exc:
            # Sent, but no answer: never sent again. What happened is observed below when waiting.
            unknown, answer = exc, None
        except InvalidResponseError as exc:
            if exc.status is None or not 200 <= exc.status < 300:
                self._fail(item, exc)
                return
            # Accepted (2xx) but the body was garbled on the way back: as good as no answer, observe what happened.
            unknown, answer = exc, None
        except CoolifyError as exc:
            api_message = exc.api_message
            already = ALREADY.get(self.kind, ())
            if exc.status == 400 and api_message in already:
                # The status changed between the plan and the action: Coolify says there is nothing to do.
                item["reason"] = "already %s (Coolify answered: %s)" % (
                    "running" if api_message == already[0] else "stopped", api_message)
                item["status_after"] = self.waiter.status_for_report(uuid)
                return
            self._fail(item, exc)
            return

        item["changed"] = True
        if isinstance(answer, dict) and answer.get("deployment_uuid"):
            item["deployment_uuid"] = answer.get("deployment_uuid")
        if not opts.wait:
            if unknown is not None:
                self._fail(item, unknown)
            else:
                item["reason"] = "%s requested (was %s; not waited for)" % (action, item["status_before"] or "unknown")
            return

        deadline = self.clock() + opts.wait_timeout
        target = target_of(action, opts.state)
        try:
            if self.kind == "application" and action != "stop":
                dep_status = self.waiter.follow_deployment(item, uuid, deadline)
                if dep_status is not None and not _status.deployment_succeeded(dep_status):
                    if unknown is not None:
                        self._fail(item, unknown, "%s Deployment %s then ended %s." % (
                            str(unknown), item["deployment_uuid"], dep_status))
                    else:
                        self._fail(item, CoolifyError("deployment %s" % dep_status),
                                   "Deployment %s ended %s." % (item["deployment_uuid"], dep_status))
                    return
            item["status_after"] = self.waiter.wait_status(
                uuid, target, deadline, immediate=self.kind == "application" and target == _status.RUNNING)
        except (WaitTimeout, Gone, CoolifyError) as exc:
            if unknown is not None:
                self._fail(item, unknown, "%s Afterwards: %s" % (str(unknown), self._wait_error(exc)))
            else:
                self._fail_wait(item, exc)
            return
        if unknown is not None:
            self._fail(item, unknown, "%s Afterwards the %s reached %s." % (str(unknown), self.kind, item["status_after"]),
                       status_after=False)
            return
        item["reason"] = "%s (was %s)" % (PAST[action], item["status_before"] or "unknown")

    def _wait_error(self, exc):
        if isinstance(exc, Gone):
            return "the %s no longer exists (HTTP 404)." % self.kind
        if isinstance(exc, WaitTimeout):
            return "timed out after %gs waiting for %s (%s)." % (self.opts.wait_timeout, exc.what, exc.last)
        return str(exc)

    def _fail_wait(self, item, exc):
        text = self._wait_error(exc)
        self._fail(item, exc, text[0].upper() + text[1:], status_after=not isinstance(exc, Gone))
        if isinstance(exc, Gone):
            item["status_after"] = None


def run_lifecycle(client, kind, resources, state, options, check_mode=False, clock=None, sleep=None):
    """Plan, then (unless check_mode) act on every resource with bounded fan-out, and wait as asked.

    Returns ``{items, summary, msg, changed, failed, diff}``; ``failed`` already applies max_fail_percentage and is
    true when a rolling run halted.
    """
    opts = validate_options(kind, state, options)
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    items = [new_item(kind, state, resource, check_mode) for resource in resources]
    halted = False
    if not check_mode and items:
        worker = _Worker(Waiter(client, kind, opts, clock, sleep))
        outcomes = run_batch(items, worker.work, strategy=opts.strategy, max_workers=opts.max_workers,
                             batch_size=opts.batch_size, pause_seconds=opts.pause_seconds,
                             wave_failed=fail_percentage_exceeded(opts.max_fail_percentage), sleep=sleep)
        halted = bool(getattr(outcomes, "halted", False))
        for outcome in outcomes:
            item = outcome.item
            if not outcome.attempted:
                item["skipped"] = True
                item["changed"] = False
                item["status_after"] = item["status_before"]
                item["reason"] = "not attempted (%s)" % (
                    "the rolling run halted after a failed wave" if halted else "the run was interrupted")
            elif outcome.error is not None:
                item["failed"] = True
                item["error"] = "Unexpected %s: %s" % (type(outcome.error).__name__, outcome.error)
                item["_short"] = short_error(outcome.error)
    summary = summarize(items)
    failed = halted or fail_limit_exceeded(summary["failed"], summary["total"], opts.max_fail_percentage)
    result = {
        "items": items,
        "summary": summary,
        "msg": build_msg(kind, state, items, check_mode=check_mode, waited=opts.wait, halted=halted),
        "changed": any(item["changed"] for item in items),
        "failed": failed,
        "diff": build_diff(items, check_mode=check_mode),
    }
    for item in items:
        item.pop("planned_status", None)
        item.pop("_short", None)
    return result


def batch_module_argument_spec(kind):
    """The whole argument spec of coolify_app_batch, coolify_service_batch or coolify_database_batch."""
    spec = merge_argument_specs(selector_argument_spec(), batch_argument_spec(), lifecycle_argument_spec(kind))
    spec["uuids"]["aliases"] = ["%s_uuids" % kind]
    return spec


def run_app_batch(cm):
    """coolify_app_batch's run(cm)."""
    return _run_batch_module(cm, "application")


def run_service_batch(cm):
    """coolify_service_batch's run(cm)."""
    return _run_batch_module(cm, "service")


def run_database_batch(cm):
    """coolify_database_batch's run(cm)."""
    return _run_batch_module(cm, "database")


def _run_batch_module(cm, kind):
    """Validate, resolve the selectors, run, shape the result."""
    params = cm.params
    validate_options(kind, params["state"], params)
    resources = resolve(cm.client, kind, params)
    result = run_lifecycle(cm.client, kind, resources, params["state"], params, check_mode=cm.check_mode)
    out = {
        "changed": result["changed"],
        "failed": result["failed"],
        "msg": result["msg"],
        PLURAL[kind]: result["items"],
        "summary": result["summary"],
    }
    if cm.diff_mode:
        out["diff"] = result["diff"]
    return out
