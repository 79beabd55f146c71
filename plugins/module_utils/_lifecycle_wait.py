# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Per-resource waiting for the lifecycle engine: poll one resource's status, or follow its deployment, with back-off.

Every status reported back was read from Coolify; nothing is assumed. All polls go through the client, so they share
its rate-limit pacer. (A fleet-wide watcher is planned to replace this per-item polling.)
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils._errors import (
    AuthenticationError,
    ConfigurationError,
    CoolifyError,
    NotFoundError,
    NotQueuedError,
    PermissionDeniedError,
)
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle_plan import reached
from ansible_collections.coolops.coolify.plugins.module_utils import _status

BACKOFF_FACTOR = 1.5
# The poll interval grows by BACKOFF_FACTOR up to this multiple of poll_interval.
MAX_INTERVAL_FACTOR = 8.0
# How many recent deployments of an application are searched for the one really running.
DEPLOYMENT_LOOKUP = 10

# Errors that will not go away by polling again.
_FATAL_POLL_ERRORS = (AuthenticationError, PermissionDeniedError, ConfigurationError)


def poll_delays(poll_interval, factor=BACKOFF_FACTOR, cap_factor=MAX_INTERVAL_FACTOR):
    """Endless back-off schedule: poll_interval, x1.5, x2.25, ... capped at ``cap_factor`` x poll_interval."""
    delay = float(poll_interval)
    cap = float(poll_interval) * cap_factor
    while True:
        yield delay
        delay = min(delay * factor, cap)


class WaitTimeout(Exception):
    """Waiting ran out of time; ``what`` was awaited, ``last`` describes the last thing seen."""

    def __init__(self, what, last):
        super(WaitTimeout, self).__init__(what)
        self.what = what
        self.last = last


class Gone(Exception):
    """The resource disappeared (404) while the batch ran."""


class Waiter(object):
    """Reads and waits for one resource at a time; shared by every worker of a run (it keeps no per-item state)."""

    def __init__(self, client, kind, opts, clock, sleep):
        self.client = client
        self.kind = kind
        self.opts = opts
        self.clock = clock
        self.sleep = sleep

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
                raise Gone()
            except _FATAL_POLL_ERRORS:
                raise
            except CoolifyError:
                if not self.pause(delays, deadline):
                    raise

    def read_status(self, uuid, deadline):
        return self.read(self.client.get_resource, deadline, self.kind, uuid).get("status")

    def status_for_report(self, uuid):
        """The current status for a report after a failure; None when it cannot be read (or the resource is gone)."""
        try:
            return self.read_status(uuid, self.clock() + self.opts.poll_interval * 4)
        except (CoolifyError, Gone):
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
                raise WaitTimeout("%s%s" % (target, ":healthy" if healthy else ""), "last status: %s" % (last or "unknown"))
            immediate = False
            try:
                last = self.read_status(uuid, self.clock())
            except Gone:
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
                raise WaitTimeout("deployment %s to finish" % dep_uuid,
                                  "last deployment status: %s" % (item.get("deployment_status") or "unknown"))
            first = False
            try:
                dep = self.client.get_deployment(dep_uuid)
            except NotFoundError:
                real = self.active_deployment(uuid, deadline)
                if real is None or real.get("deployment_uuid") == dep_uuid:
                    raise NotQueuedError(
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
