# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Start, stop, restart and deploy many applications, services or databases: the executor and the batch modules' glue.

Workers (on the fan-out engine) act on what the planner (``_lifecycle_plan``) decided, register what to wait for
with the task's one Watcher (``_watcher``) and go on; the watcher follows every deployment and status wait with a
few list calls per poll interval. Deploys, starts and restarts of applications first take a build slot on their
server (``_slots``), so Coolify's deployment queue is never overfilled. ``strategy: rolling`` waits per wave.
"""

from __future__ import annotations

import threading
import time

from ansible_collections.coolops.coolify.plugins.module_utils._errors import (
    CoolifyError, InvalidResponseError, OutcomeUnknownError, QueueFullError)
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import fail_percentage_exceeded, run_batch
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle_plan import (
    ALREADY, ALWAYS_ACT, DEFAULT_POLL_INTERVAL, KINDS, STATES, action_params, api_action, build_diff, build_msg,
    fail_item, fail_limit_exceeded, needs_wait_without_action, new_item, server_ref, settle_from_wait, summarize,
    target_of, validate_options)
from ansible_collections.coolops.coolify.plugins.module_utils._module import (
    batch_argument_spec, merge_argument_specs, selector_argument_spec)
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import check_selectors, resolve
from ansible_collections.coolops.coolify.plugins.module_utils._slots import NO_SLOT, ServerSlots, SlotQueue
from ansible_collections.coolops.coolify.plugins.module_utils._watcher import Watcher
from ansible_collections.coolops.coolify.plugins.module_utils import _status
from ansible_collections.coolops.coolify.plugins.module_utils._client import PLURAL

PROGRESS_EVERY = 5.0


def lifecycle_argument_spec(kind):
    """state and the kind's Coolify flags, plus healthy, poll_interval, failure_log_lines and cancel_on_timeout."""
    if kind not in KINDS:
        raise ValueError("kind must be application, service or database, not %r" % (kind,))
    spec = dict(
        state=dict(type="str", default="started", choices=list(STATES[kind])),
        docker_cleanup=dict(type="bool", default=True),
        healthy=dict(type="bool", default=False),
        poll_interval=dict(type="float", default=DEFAULT_POLL_INTERVAL),
        failure_log_lines=dict(type="int", default=0),
        cancel_on_timeout=dict(type="bool", default=False),
    )
    if kind == "application":
        spec.update(force=dict(type="bool", default=False), instant_deploy=dict(type="bool", default=False))
    elif kind == "service":
        spec.update(latest=dict(type="bool", default=False))
    return spec


class _Gate(object):
    """The client as one task uses it (workers and watcher alike): at most ``max_workers`` requests in flight.

    The cap is kept by the client's pacer, which also lets the watcher's thread go first (see _pacer).
    """

    def __init__(self, client, max_workers):
        self.client = client
        self._pacer = getattr(client, "pacer", None)
        if self._pacer is not None:
            self._pacer.limit_in_flight(max_workers)

    def __getattr__(self, name):  # list_deployments, get_deployment, list_servers, ...: the client's own
        return getattr(self.client, name)

    def act(self, kind, uuid, action, params):
        return self.client.resource_action(kind, uuid, action, params)

    def get(self, kind, uuid):
        return self.client.get_resource(kind, uuid)

    def get_application(self, uuid):
        return self.get("application", uuid)

    def get_service(self, uuid):
        return self.get("service", uuid)

    def get_database(self, uuid):
        return self.get("database", uuid)

    def prioritize(self):
        """The calling thread (the watcher's) goes ahead of the submitters, and sends each read once."""
        if self._pacer is not None:
            self._pacer.prioritize()
        getattr(self.client, "send_once_on_this_thread", lambda: None)()

    def request_seconds(self):
        """What one request costs of the rate limit, in seconds (see _pacer); None when unknown."""
        return None if self._pacer is None else self._pacer.request_seconds()

    def in_flight(self):
        """The task's requests sent and not yet answered (not those waiting for their turn); 0 when uncounted."""
        return 0 if self._pacer is None else self._pacer.in_flight()

    def actions_held(self):
        """True while the rate-limit window has no request left for an action (see _pacer); False when unpaced."""
        return self._pacer is not None and self._pacer.actions_held()

    def reserve(self, count):
        """Leave ``count`` requests of each rate-limit window to the watcher."""
        if self._pacer is not None:
            self._pacer.reserve(count)


class ServersAhead(object):
    """GET /servers on its own thread, sent beside the selection's list call when every item will take a build slot.

    restarted and deployed always act, so the build-slot limits are always needed; reading them at once saves a
    whole round trip. It is a read only, sent after the selectors were checked, and only with max_workers above 1
    (every request of the task counts against max_workers, and this one is a second in flight). It is sent once:
    when it fails, the task reads the servers again itself (with the client's retries), as without it.
    """

    def __init__(self, client):
        self._servers = None
        self._error = None
        self._thread = threading.Thread(target=self._read, args=(client,), name="coolify-servers-ahead", daemon=True)
        self._thread.start()

    def _read(self, client):
        getattr(client, "send_once_on_this_thread", lambda: None)()
        try:
            self._servers = client.list_servers()
        except CoolifyError:
            pass  # left None: the task reads the servers again on its own thread
        except Exception as exc:  # pylint: disable=broad-except
            self._error = exc  # raised again on the task's own thread

    def result(self):
        """The servers read, or None when the read failed."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._servers

    def join(self):
        """End the read before the module returns (also when the selection failed): nothing is sent after its answer."""
        self._thread.join()


def _about(item):
    """What every registration of an item carries: its name (for messages) and its deadline."""
    return dict(label=item["name"], deadline=item["_deadline"])


class _Run(object):
    """One task: submits every item's action, registers its waits with the watcher, and settles items from them."""

    def __init__(self, client, kind, opts, items, clock, sleep, on_progress, progress_every, servers=None):
        self.kind = kind
        self.opts = opts
        self.items = items
        self.clock = clock
        self.gate = _Gate(client, opts.max_workers)
        self.on_progress = on_progress
        self.progress_every = progress_every
        self._last_progress = None
        self._handed_out = 0
        self._handed_lock = threading.Lock()
        self.slots = None
        if kind == "application" and any(item["action"] in ("start", "restart", "deploy") for item in items):
            early = servers.result() if servers is not None else None
            self.slots = ServerSlots(early if early is not None else self._servers(), clock=clock)
        mask = getattr(client, "scrub_text", None)
        self.watcher = Watcher(self.gate, poll_interval=opts.poll_interval, clock=clock, sleep=sleep, slots=self.slots,
                               failure_log_lines=opts.failure_log_lines if mask else 0, mask=mask,
                               progress=self._progress if on_progress else None,
                               reserve=bool(opts.wait or self.slots is not None))

    def _servers(self):
        """One GET /servers for the build-slot limits; without it every server gets Coolify's defaults."""
        try:
            return self.gate.list_servers()
        except CoolifyError:
            return []

    # -- submitting (fan-out threads) ------------------------------------------------------------------------------

    def work(self, item):
        """Submit one item; under ``rolling`` also wait for it, so the wave can be judged. Never raises API errors."""
        item["_started"] = self.clock()
        with self._handed_lock:
            self._handed_out += 1
            if self._handed_out == len(self.items):
                self.watcher.last_sends()
        try:
            self._submit(item)
        except CoolifyError as exc:
            fail_item(item, exc)
        if item["failed"] and item.get("status_after") is None:
            item["status_after"] = self.status_for_report(item["uuid"])
        if self.opts.strategy in ("rolling", "sequential"):
            # One after the other (sequential) or wave by wave (rolling): each item is waited for where it ran.
            while self.step(item):
                pass
        elif not item.get("_wait"):
            self._finish(item)
        return item

    def _submit(self, item):
        opts, kind, uuid, action = self.opts, self.kind, item["uuid"], item["action"]
        watcher = self.watcher
        # wait_timeout is each item's budget from the send of its action (or, with nothing to send, from its turn) to
        # the end of its waits; the time it waited for a build slot is not charged to it.
        item["_deadline"] = self.clock() + opts.wait_timeout
        if action is None:
            if opts.wait and needs_wait_without_action(kind, opts.state, item["status_before"], opts.healthy):
                item["_wait"] = watcher.wait_status(kind, uuid, target_of(None, opts.state), acted=False,
                                                    before=item["status_before"], healthy=opts.healthy, **_about(item))
            return
        deploys = kind == "application" and action != "stop"
        slot = None
        if deploys and self.slots is not None:
            slot = item.get("_slot")  # taken by the SlotQueue (parallel, rolling)
            if slot is None:  # one at a time: wait here
                slot = self.slot_ref(item)
                if not self.slots.acquire(slot, self.clock() + opts.wait_timeout):
                    slot = False
            if slot is False:
                fail_item(item, CoolifyError("no build slot"), "Timed out: the server freed no build slot for %gs "
                          "(its deployment queue stayed full); nothing was sent." % opts.wait_timeout,
                          short="no build slot")
                return
            item["_deadline"] = self.clock() + opts.wait_timeout
        sent_at = time.time()
        try:
            answer = self.gate.act(kind, uuid, api_action(action), action_params(kind, action, opts))
        except (OutcomeUnknownError, InvalidResponseError) as exc:
            if isinstance(exc, InvalidResponseError) and (exc.status is None or not 200 <= exc.status < 300):
                self._release(slot)
                fail_item(item, exc)
                return
            # Sent, but the answer was lost: never sent again; what it caused is looked for instead.
            self._unknown(item, getattr(exc, "sent_at", None) or sent_at, exc, deploys, slot)
            return
        except CoolifyError as exc:
            self._release(slot)
            if exc.status == 400 and exc.api_message in ALREADY:
                item["reason"] = "already %s (Coolify answered: %s)" % (ALREADY[exc.api_message], exc.api_message)
                item["status_after"] = self.status_for_report(uuid)
                return
            if isinstance(exc, QueueFullError):
                # Coolify refused to queue (not the rate limiter): nothing was queued, and it is never resent.
                fail_item(item, exc, "%s It was not resent." % exc, short="queue full")
                return
            fail_item(item, exc)
            return
        dep_uuid = answer.get("deployment_uuid") if isinstance(answer, dict) else None
        if deploys and not dep_uuid:
            # "Deployment already queued for this commit.": this request queued nothing.
            self._release(slot)
            item["reason"] = "a deployment of this commit was already queued; nothing new was queued"
            if opts.wait:
                self._follow_existing(item)
            return
        item["changed"] = True
        if deploys:
            item["deployment_uuid"] = dep_uuid
            item["_wait"] = watcher.follow_deployment(dep_uuid, uuid, slot=slot, **_about(item),
                                                      until="finished" if opts.wait else "queued")
        elif opts.wait:
            item["_wait"] = watcher.wait_status(kind, uuid, target_of(action, opts.state), before=item["status_before"],
                                                healthy=opts.healthy, **_about(item))
        else:
            item["reason"] = "%s requested (was %s; not waited for)" % (action, item["status_before"] or "unknown")

    def _unknown(self, item, sent_at, exc, deploys, slot):
        item["changed"] = True
        item["_unknown"] = str(exc)
        if deploys:
            item["_wait"] = self.watcher.verify_app_action(item["uuid"], sent_at, slot=slot, **_about(item),
                                                           until="finished" if self.opts.wait else "queued")
        elif self.opts.wait:
            target = target_of(item["action"], self.opts.state)
            item["_wait"] = self.watcher.wait_status(self.kind, item["uuid"], target, before=item["status_before"],
                                                     healthy=self.opts.healthy, **_about(item))
        else:
            fail_item(item, exc, "%s It was not resent, and wait=false does not look for what it did." % exc,
                      short="outcome unknown")

    def _follow_existing(self, item):
        try:
            data = self.gate.application_deployments(item["uuid"], take=5)
        except CoolifyError:
            data = {}
        for dep in data.get("deployments") or ():
            if isinstance(dep, dict) and _status.deployment_is_active(dep.get("status")):
                item["deployment_uuid"] = dep.get("deployment_uuid")
                item["_wait"] = self.watcher.follow_deployment(item["deployment_uuid"], item["uuid"], **_about(item))
                return
        item["_wait"] = self.watcher.wait_status(self.kind, item["uuid"], _status.RUNNING, acted=False,
                                                 healthy=self.opts.healthy, **_about(item))

    def slot_ref(self, item):
        """The server whose build slot the item's action needs (NO_SLOT: none); an unknown one shares "unknown"."""
        if self.slots is None or self.kind != "application" or item["action"] not in ("start", "restart", "deploy"):
            return NO_SLOT
        return item["_server"] if item.get("_server") is not None else "unknown"

    def queue(self):
        """Per-server queues for the submitters (parallel, rolling), so every server builds at once; None without slots."""
        if self.slots is None or self.opts.strategy == "sequential":
            return None
        return SlotQueue(self.slots, lambda outcome: self.slot_ref(outcome.item),
                         lambda outcome, slot: outcome.item.__setitem__("_slot", slot), self.opts.wait_timeout)

    def _release(self, slot):
        if slot is not None:
            self.slots.release(slot)

    def status_for_report(self, uuid):
        """The current status for a report (one read); None when it cannot be read."""
        try:
            return self.gate.get(self.kind, uuid).get("status")
        except (CoolifyError, AttributeError):
            return None

    # -- settling --------------------------------------------------------------------------------------------------

    def step(self, item):
        """Wait for the item's current wait and apply it; True when a follow-up wait was registered."""
        wait = item.pop("_wait", None)
        if wait is None:
            return False
        while not wait.wait(1.0):
            if not self.watcher.alive():
                self.watcher.fail_all("The watcher stopped before this wait was settled.")
        follow_up = settle_from_wait(item, wait, self.kind, self.opts)
        if follow_up:
            # The deployment finished: Coolify writes the status shortly after; wait until it reads as asked.
            item["_wait"] = self.watcher.wait_status(self.kind, item["uuid"], _status.RUNNING, acted=False,
                                                     healthy=self.opts.healthy, lazy=True, **_about(item))
            return True
        if item["failed"] and item.get("status_after") is None and item.get("_gone") is None:
            item["status_after"] = self.status_for_report(item["uuid"])
        self._finish(item)
        return False

    def _finish(self, item):
        item["elapsed_seconds"] = round(max(self.clock() - item.get("_started", self.clock()), 0.0), 3)
        item["_settled"] = True

    def settle_all(self):
        """Apply every wait as soon as it settles, so follow-up status waits start at once, in any order."""
        pending = [item for item in self.items if item.get("_wait")]
        while pending:
            self.watcher.settled.clear()
            for item in pending:
                if not item["_wait"].pending:
                    self.step(item)
            pending = [item for item in pending if item.get("_wait")]
            if pending and not self.watcher.settled.wait(1.0) and not self.watcher.alive():
                self.watcher.fail_all("The watcher stopped before every wait was settled.")

    def cancel_timed_out(self):
        """cancel_on_timeout: cancel this task's deployments still queued or in progress when the wait ran out."""
        by_dep = dict((item.get("deployment_uuid"), item) for item in self.items if item.get("deployment_uuid"))
        for dep_uuid in self.watcher.timed_out_deployments():
            item = by_dep.get(dep_uuid)
            if item is None or not item.get("changed"):
                continue  # a deployment this task only followed (another actor's) is never cancelled
            try:
                self.gate.cancel_deployment(dep_uuid)
            except CoolifyError as exc:
                item["error"] = "%s Cancelling it failed: %s" % (item["error"], exc)
                continue
            item["cancelled"] = True
            item["deployment_status"] = _status.DEPLOYMENT_CANCELLED
            item["error"] = "%s It was cancelled (cancel_on_timeout)." % item["error"]
            item["_short"] = "timed out, cancelled"

    def _progress(self, _snapshot=None, final=False):
        now = self.clock()
        if not final and self._last_progress is not None and now - self._last_progress < self.progress_every:
            return
        self._last_progress = now
        settled = [item for item in self.items if item.get("_settled")]
        failed = sum(1 for item in settled if item.get("failed"))
        total = len(self.items)
        self.on_progress({"total": total, "done": len(settled) - failed, "failed": failed,
                          "pending": total - len(settled)})


def run_lifecycle(client, kind, resources, state, options, check_mode=False, clock=None, sleep=None,
                  on_progress=None, progress_every=PROGRESS_EVERY, servers=None):
    """Plan, then (unless check_mode) act on every resource with bounded fan-out, and wait as asked.

    ``on_progress(counts)`` (optional) is called from the watcher's thread at most every ``progress_every`` seconds
    while the task runs, and once at the end, with ``{total, done, failed, pending}`` item counts.
    ``servers`` (optional) is a ServersAhead already reading the build-slot limits.

    Returns ``{items, summary, msg, changed, failed, diff, warnings}``; ``failed`` already applies max_fail_percentage
    and is true when a rolling run halted.
    """
    opts = validate_options(kind, state, options)
    clock = clock or time.monotonic
    items = [new_item(kind, state, resource, check_mode) for resource in resources]
    for item, resource in zip(items, resources):
        item["_server"] = server_ref(resource)
    halted = False
    warnings = []
    if not check_mode and items:
        # An injected sleep paces the watcher too (tests drive it with a virtual clock); else stop() wakes it.
        run = _Run(client, kind, opts, items, clock, sleep, on_progress, progress_every, servers=servers)
        if opts.strategy != "parallel":
            run.watcher.hurry()  # each item is waited for where it ran: its confirm read is not gathered with others
        run.watcher.start()
        try:
            outcomes = run_batch(items, run.work, strategy=opts.strategy, max_workers=opts.max_workers,
                                 batch_size=opts.batch_size, pause_seconds=opts.pause_seconds,
                                 wave_failed=fail_percentage_exceeded(opts.max_fail_percentage),
                                 sleep=sleep or time.sleep, queue=run.queue())
            halted = bool(getattr(outcomes, "halted", False))
            run.watcher.hurry()
            run.settle_all()
        finally:
            if run.slots is not None:
                run.slots.close()
            run.watcher.stop()
        if opts.cancel_on_timeout:
            run.cancel_timed_out()
        warnings.extend(run.watcher.notes)
        for outcome in outcomes:
            item = outcome.item
            if not outcome.attempted:
                item["skipped"] = True
                item["changed"] = False
                item["status_after"] = item["status_before"]
                item["reason"] = "not attempted (%s)" % (
                    "the rolling run halted after a failed wave" if halted else "the run was interrupted")
            elif outcome.error is not None:
                fail_item(item, outcome.error, "Unexpected %s: %s" % (type(outcome.error).__name__, outcome.error))
            item["_settled"] = True
        if on_progress is not None:
            run._progress(final=True)  # pylint: disable=protected-access
    summary = summarize(items)
    result = {
        "items": items,
        "summary": summary,
        "msg": build_msg(kind, state, items, check_mode=check_mode, waited=opts.wait, halted=halted),
        "changed": any(item["changed"] for item in items),
        "failed": halted or fail_limit_exceeded(summary["failed"], summary["total"], opts.max_fail_percentage),
        "diff": build_diff(items, check_mode=check_mode),
        "warnings": warnings,
    }
    for item in items:
        for key in [key for key in item if key.startswith("_") or key == "planned_status"]:
            item.pop(key)
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
    opts = validate_options(kind, params["state"], params)
    check_selectors([kind], params)
    servers = None
    # Beside the selection's list call it is a second request in flight: only where max_workers leaves room for it.
    if kind == "application" and params["state"] in ALWAYS_ACT and not cm.check_mode and \
            opts.max_workers > 1:
        servers = ServersAhead(cm.client)
    try:
        resources = resolve(cm.client, kind, params)
        result = run_lifecycle(cm.client, kind, resources, params["state"], params, check_mode=cm.check_mode,
                               on_progress=cm.progress, servers=servers)
    finally:
        if servers is not None:
            servers.join()
    for warning in result["warnings"]:
        cm.warn(warning)
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
