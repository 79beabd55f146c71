# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Start, stop, restart and deploy many applications or services: planner, executor and waiter.

The plan is computed from the statuses the selector lookup already returned, so check mode and a real run decide
the same way and check mode sends no write. Workers (one per resource, on the fan-out engine) act, then follow the
deployment or poll the status with back-off until the resource is where it was asked to be. Every status reported
back was read from Coolify; nothing is assumed.
"""

from __future__ import annotations

import time

from ansible_collections.coolops.coolify.plugins.module_utils._client import (
    AuthenticationError,
    ConfigurationError,
    CoolifyError,
    InvalidResponseError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
)
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import fail_percentage_exceeded, run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import resolve
from ansible_collections.coolops.coolify.plugins.module_utils import _status

KINDS = ("application", "service")
PLURAL = {"application": "applications", "service": "services"}
STATES = {
    "application": ("started", "stopped", "restarted", "deployed"),
    "service": ("started", "stopped", "restarted"),
}
# state -> the API action sent when the resource needs it ("deploy" goes to the application start endpoint).
ACTIONS = {"started": "start", "stopped": "stop", "restarted": "restart", "deployed": "deploy"}
PAST = {"start": "started", "stop": "stopped", "restart": "restarted", "deploy": "deployed"}

DEFAULT_POLL_INTERVAL = 2.0
BACKOFF_FACTOR = 1.5
# The poll interval grows by BACKOFF_FACTOR up to this multiple of poll_interval.
MAX_INTERVAL_FACTOR = 8.0
# How many recent deployments of an application are searched for the one really running.
DEPLOYMENT_LOOKUP = 10

ALREADY_RUNNING = "Service is already running."
ALREADY_STOPPED = "Service is already stopped."

# Errors that will not go away by polling again.
_FATAL_POLL_ERRORS = (AuthenticationError, PermissionDeniedError, ConfigurationError)


def lifecycle_argument_spec(kind):
    """state and the kind's Coolify flags, plus healthy and poll_interval (the batch options come from _module)."""
    if kind not in KINDS:
        raise ValueError("kind must be application or service, not %r" % (kind,))
    spec = dict(
        state=dict(type="str", default="started", choices=list(STATES[kind])),
        docker_cleanup=dict(type="bool", default=True),
        healthy=dict(type="bool", default=False),
        poll_interval=dict(type="float", default=DEFAULT_POLL_INTERVAL),
    )
    if kind == "application":
        spec.update(force=dict(type="bool", default=False), instant_deploy=dict(type="bool", default=False))
    else:
        spec.update(latest=dict(type="bool", default=False))
    return spec


# ---------------------------------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------------------------------


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


def validate_options(kind, state, params):
    """Raise ConfigurationError (one sentence) for options that cannot work together; call before any write."""
    if kind not in KINDS:
        raise ConfigurationError("Unknown resource kind %r; use application or service." % (kind,))
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
    if state == "restarted":
        return "restart", "currently %s" % shown
    if state == "deployed":
        return "deploy", "currently %s" % shown
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


def poll_delays(poll_interval, factor=BACKOFF_FACTOR, cap_factor=MAX_INTERVAL_FACTOR):
    """Endless back-off schedule: poll_interval, x1.5, x2.25, ... capped at ``cap_factor`` x poll_interval."""
    delay = float(poll_interval)
    cap = float(poll_interval) * cap_factor
    while True:
        yield delay
        delay = min(delay * factor, cap)


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


def _short(text, limit=80):
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
                                        item.get("_short") or _short(item.get("error") or "failed", 60))
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


# ---------------------------------------------------------------------------------------------------------------------
# Executor and waiter
# ---------------------------------------------------------------------------------------------------------------------


class _Timeout(Exception):
    """Waiting ran out of time; ``what`` was awaited, ``last`` describes the last thing seen."""

    def __init__(self, what, last):
        super(_Timeout, self).__init__(what)
        self.what = what
        self.last = last


class _Gone(Exception):
    """The resource disappeared (404) while the batch ran."""


def short_error(exc):
    """A few words for the one-line msg: ``HTTP 404 Application not found``, ``outcome unknown``, ..."""
    if isinstance(exc, OutcomeUnknownError):
        return "outcome unknown"
    if isinstance(exc, CoolifyError) and exc.status is not None:
        return "HTTP %s %s" % (exc.status, _short(exc.api_message or "", 40))
    if isinstance(exc, _Timeout):
        return "timed out waiting for %s" % exc.what
    if isinstance(exc, _Gone):
        return "deleted"
    return _short(str(exc), 60)


class _Run(object):
    """What every worker shares: client, options, clock and sleep. Workers only touch their own item."""

    def __init__(self, client, kind, opts, clock, sleep):
        self.client = client
        self.kind = kind
        self.opts = opts
        self.clock = clock
        self.sleep = sleep

    # -- reads ---------------------------------------------------------------------------------------------------

    def pause(self, delays, deadline):
        """Sleep for the next back-off step, never past the deadline; False when the deadline has passed."""
        remaining = deadline - self.clock()
        if remaining <= 0:
            return False
        self.sleep(min(next(delays), remaining))
        return True

    def read(self, func, deadline, *args, **kwargs):
        """Call a read helper; transient errors (5xx, transport, bad body) are retried with back-off until deadline.

        The client already retries 502/503/504 and 429; this also rides out a 500 or a broken answer while waiting.
        """
        delays = poll_delays(self.opts.poll_interval)
        while True:
            try:
                return func(*args, **kwargs)
            except NotFoundError:
                raise _Gone()
            except _FATAL_POLL_ERRORS:
                raise
            except CoolifyError:
                if not self.pause(delays, deadline):
                    raise

    def read_status(self, uuid, deadline):
        getter = self.client.get_application if self.kind == "application" else self.client.get_service
        return self.read(getter, deadline, uuid).get("status")

    def status_for_report(self, uuid):
        """The current status for a report after a failure; None when it cannot be read (or the resource is gone)."""
        try:
            return self.read_status(uuid, self.clock() + self.opts.poll_interval * 4)
        except (CoolifyError, _Gone):
            return None

    def wait_status(self, uuid, target, deadline, immediate=False):
        """Poll the resource status until it reaches ``target``; returns that status.

        ``immediate`` reads once before the first pause (after a finished deployment the status is usually there).
        """
        delays = poll_delays(self.opts.poll_interval)
        last = None
        healthy = self.opts.healthy and target == _status.RUNNING
        while True:
            if not immediate and not self.pause(delays, deadline):
                raise _Timeout("%s%s" % (target, ":healthy" if healthy else ""), "last status: %s" % (last or "unknown"))
            immediate = False
            try:
                last = self.read_status(uuid, self.clock())
            except _Gone:
                raise
            except _FATAL_POLL_ERRORS:
                raise
            except CoolifyError:
                continue
            if reached(last, target, healthy):
                return last

    def active_deployment(self, uuid, deadline):
        """The newest queued or in-progress deployment of an application, or None."""
        data = self.read(self.client.application_deployments, deadline, uuid, take=DEPLOYMENT_LOOKUP)
        for dep in data.get("deployments") or []:
            if isinstance(dep, dict) and _status.deployment_is_active(dep.get("status")):
                return dep
        return None

    def follow_deployment(self, item, uuid, deadline):
        """Follow the item's deployment to a terminal status; handles the two ways Coolify hides it.

        * no uuid (``Deployment already queued for this commit.``): the deployment already queued is followed;
        * a uuid that answers 404 (the full-queue quirk: Coolify returns a uuid it never stored): the application's
          deployments are searched for one really queued; when there is none, nothing was queued and this fails.
        Returns the terminal deployment status, or None when there was no deployment to follow.
        """
        dep_uuid = item.get("deployment_uuid")
        if not dep_uuid:
            dep = self.active_deployment(uuid, deadline)
            if dep is None:
                return None
            dep_uuid = item["deployment_uuid"] = dep.get("deployment_uuid")
            item["deployment_status"] = dep.get("status")
        delays = poll_delays(self.opts.poll_interval)
        first = True
        while True:
            if not first and not self.pause(delays, deadline):
                raise _Timeout("deployment %s to finish" % dep_uuid,
                               "last deployment status: %s" % (item.get("deployment_status") or "unknown"))
            first = False
            try:
                dep = self.client.get_deployment(dep_uuid)
            except NotFoundError:
                real = self.active_deployment(uuid, deadline)
                if real is None or real.get("deployment_uuid") == dep_uuid:
                    raise CoolifyError(
                        "Coolify answered with deployment %s, which does not exist, and no deployment of this "
                        "application is queued: the server's deployment queue is probably full, so nothing was "
                        "queued." % dep_uuid)
                dep_uuid = item["deployment_uuid"] = real.get("deployment_uuid")
                item["deployment_status"] = real.get("status")
                continue
            except _FATAL_POLL_ERRORS:
                raise
            except CoolifyError:
                continue
            status = dep.get("status")
            item["deployment_status"] = status
            if _status.deployment_is_terminal(status):
                return status

    # -- one resource ----------------------------------------------------------------------------------------------

    def act(self, uuid, action):
        params = action_params(self.kind, action, self.opts)
        if self.kind == "application":
            return self.client.application_action(uuid, api_action(action), params)
        return self.client.service_action(uuid, action, params)

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
        item["error"] = error or str(exc)
        item["_short"] = short_error(exc)
        if item["action"]:
            item["reason"] = "%s failed" % item["action"]
        else:
            item["reason"] = "waiting failed (%s)" % item["reason"]
        if status_after:
            item["status_after"] = self.status_for_report(item["uuid"])

    def _work(self, item):
        uuid = item["uuid"]
        action = item["action"]
        opts = self.opts
        if action is None:
            if opts.wait and needs_wait_without_action(self.kind, opts.state, item["status_before"], opts.healthy):
                try:
                    item["status_after"] = self.wait_status(uuid, target_of(None, opts.state),
                                                            self.clock() + opts.wait_timeout)
                except (_Timeout, _Gone, CoolifyError) as exc:
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
            if self.kind == "service" and exc.status == 400 and api_message in (ALREADY_RUNNING, ALREADY_STOPPED):
                # The status changed between the plan and the action: Coolify says there is nothing to do.
                item["reason"] = "already %s (Coolify answered: %s)" % (
                    "running" if api_message == ALREADY_RUNNING else "stopped", api_message)
                item["status_after"] = self.status_for_report(uuid)
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
                dep_status = self.follow_deployment(item, uuid, deadline)
                if dep_status is not None and not _status.deployment_succeeded(dep_status):
                    if unknown is not None:
                        self._fail(item, unknown, "%s Deployment %s then ended %s." % (
                            str(unknown), item["deployment_uuid"], dep_status))
                    else:
                        self._fail(item, CoolifyError("deployment %s" % dep_status),
                                   "Deployment %s ended %s." % (item["deployment_uuid"], dep_status))
                    return
            item["status_after"] = self.wait_status(uuid, target, deadline,
                                                    immediate=self.kind == "application" and target == _status.RUNNING)
        except (_Timeout, _Gone, CoolifyError) as exc:
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
        if isinstance(exc, _Gone):
            return "the %s no longer exists (HTTP 404)." % self.kind
        if isinstance(exc, _Timeout):
            return "timed out after %gs waiting for %s (%s)." % (self.opts.wait_timeout, exc.what, exc.last)
        return str(exc)

    def _fail_wait(self, item, exc):
        text = self._wait_error(exc)
        self._fail(item, exc, text[0].upper() + text[1:], status_after=not isinstance(exc, _Gone))
        if isinstance(exc, _Gone):
            item["status_after"] = None


def _new_item(kind, state, resource, check_mode):
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


def run_lifecycle(client, kind, resources, state, options, check_mode=False, clock=None, sleep=None):
    """Plan, then (unless check_mode) act on every resource with bounded fan-out, and wait as asked.

    Returns ``{items, summary, msg, changed, failed, diff}``; ``failed`` already applies max_fail_percentage and is
    true when a rolling run halted.
    """
    opts = validate_options(kind, state, options)
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    items = [_new_item(kind, state, resource, check_mode) for resource in resources]
    halted = False
    if not check_mode and items:
        run = _Run(client, kind, opts, clock, sleep)
        outcomes = run_batch(items, run.work, strategy=opts.strategy, max_workers=opts.max_workers,
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


def run_lifecycle_module(cm, kind):
    """What coolify_app_batch and coolify_service_batch do: validate, resolve the selectors, run, shape the result."""
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
