# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared watcher, its evidence rules and the per-server build slots, with a fake client and an injected clock."""

from __future__ import annotations

import datetime
import json
import threading

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._evidence import (
    DONE, PENDING, StatusEvidence, log_tail, new_deployment)
from ansible_collections.coolops.coolify.plugins.module_utils._slots import ServerSlots, server_limits
from ansible_collections.coolops.coolify.plugins.module_utils._waits import (
    TAIL_GATHER, WINDOW_GATHER, choose_deployment_reads, choose_status_reads)
from ansible_collections.coolops.coolify.plugins.module_utils._watcher import LOGS_NEED_SENSITIVE, MAX_REREADS, Watcher


class ApiError(Exception):
    def __init__(self, status, message="boom"):
        super(ApiError, self).__init__("HTTP %s %s" % (status, message))
        self.status = status


class Clock(object):
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class FakeClient(object):
    """Deployments by uuid (the list shows the active ones) and resource statuses per kind; every call is logged."""

    def __init__(self):
        self.deployments = {}
        self.statuses = {"application": {}, "service": {}, "database": {}}
        self.app_deployments = {}
        self.calls = []
        self.errors = {}
        self.during_list = None
        self._lock = threading.Lock()

    def _log(self, name, *args):
        with self._lock:
            self.calls.append((name,) + args)
        queue = self.errors.get(name)
        if queue:
            raise queue.pop(0)

    def count(self, name):
        return sum(1 for call in self.calls if call[0] == name)

    def add(self, dep_uuid, status="queued", server_id=1, **extra):
        self.deployments[dep_uuid] = dict(deployment_uuid=dep_uuid, status=status, server_id=server_id, **extra)

    def list_deployments(self):
        self._log("list_deployments")
        rows = [dict(dep) for dep in self.deployments.values() if dep["status"] in ("queued", "in_progress")]
        if self.during_list:
            self.during_list()
        return rows

    def get_deployment(self, dep_uuid):
        self._log("get_deployment", dep_uuid)
        if dep_uuid not in self.deployments:
            raise ApiError(404, "Deployment not found.")
        return dict(self.deployments[dep_uuid])

    def application_deployments(self, uuid, take=10):
        self._log("application_deployments", uuid)
        rows = self.app_deployments.get(uuid, [])
        return {"count": len(rows), "deployments": rows[:take]}

    def _list(self, kind):
        self._log("list_%ss" % kind)
        return [{"uuid": uuid, "status": status} for uuid, status in self.statuses[kind].items()]

    def _get(self, kind, uuid):
        self._log("get_" + kind, uuid)
        if uuid not in self.statuses[kind]:
            raise ApiError(404, "Not found.")
        return {"uuid": uuid, "status": self.statuses[kind][uuid]}

    def list_applications(self):
        return self._list("application")

    def list_services(self):
        return self._list("service")

    def list_databases(self):
        return self._list("database")

    def get_application(self, uuid):
        return self._get("application", uuid)

    def get_service(self, uuid):
        return self._get("service", uuid)

    def get_database(self, uuid):
        return self._get("database", uuid)


def mask(line):
    return line.replace("s3cret", "********")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client():
    return FakeClient()


def make(client, clock, **kwargs):
    kwargs.setdefault("deadline", clock() + 600)
    return Watcher(client, poll_interval=2.0, clock=clock, sleep=clock.sleep, **kwargs)


def servers(*specs):
    return [{"uuid": "srv-%d" % sid, "settings": {"server_id": sid, "concurrent_builds": builds,
                                                  "deployment_queue_limit": limit}}
            for sid, builds, limit in specs]


def log_json(*entries):
    return json.dumps([dict(command=None, output=text, type="stdout", hidden=hidden, batch=1, order=i + 1)
                       for i, (text, hidden) in enumerate(entries)])


# --------------------------------------------------------------------------------------------------- deployments


def test_a_deployment_that_leaves_the_list_gets_exactly_one_final_get(client, clock):
    client.add("d1", "in_progress")
    watcher = make(client, clock)
    wait = watcher.follow_deployment("d1", "app1")
    watcher.poll_once()
    assert wait.pending and wait.result["deployment_status"] == "in_progress"
    assert client.count("get_deployment") == 0
    client.deployments["d1"]["status"] = "finished"
    watcher.poll_once()
    assert wait.state == "done" and wait.result["reason"] == "finished"
    assert client.count("get_deployment") == 1 and client.count("list_deployments") == 2
    assert watcher.poll_once()["requests"] == 0  # nothing left to follow: nothing sent
    assert wait.wait(0)


def test_a_failed_deployment_returns_its_last_visible_lines_masked(client, clock):
    logs = log_json(("step 1", False), ("[CMD]: docker build --secret s3cret", True),
                    ("building\nusing s3cret", False), ("error: exit 1", False))
    client.add("d1", "failed", logs=logs)
    watcher = make(client, clock, failure_log_lines=3, mask=mask)
    wait = watcher.follow_deployment("d1", "app1")
    watcher.poll_once()
    assert wait.state == "failed" and wait.result["reason"] == "failed"
    assert wait.result["log_lines"] == ["building", "using ********", "error: exit 1"]
    assert "d1 ended failed" in wait.result["message"]
    assert watcher.notes == []


def test_without_a_sensitive_token_the_missing_logs_are_noted_once(client, clock):
    client.add("d1", "failed")
    client.add("d2", "failed")
    watcher = make(client, clock, failure_log_lines=5, mask=mask)
    waits = [watcher.follow_deployment(uuid, "app") for uuid in ("d1", "d2")]
    watcher.poll_once()
    assert [w.result["log_lines"] for w in waits] == [[], []]
    assert watcher.notes == [LOGS_NEED_SENSITIVE]


def test_failure_log_lines_without_a_mask_is_refused(client, clock):
    with pytest.raises(ValueError, match="mask"):
        make(client, clock, failure_log_lines=3)


def test_a_deployment_cancelled_by_a_user_fails_with_that_status(client, clock):
    client.add("d1", "queued")
    watcher = make(client, clock)
    wait = watcher.follow_deployment("d1", "app1")
    watcher.poll_once()
    client.deployments["d1"]["status"] = "cancelled-by-user"
    watcher.poll_once()
    assert wait.state == "failed" and wait.result["reason"] == "cancelled-by-user"


def test_a_uuid_never_stored_is_not_queued_and_frees_its_slot(client, clock):
    slots = ServerSlots(servers((1, 2, 25)), clock=clock)
    assert slots.acquire(1, clock() + 1)
    watcher = make(client, clock, slots=slots)
    wait = watcher.follow_deployment("ghost", "app1", slot=1)
    watcher.poll_once()
    assert wait.state == "failed" and wait.result["reason"] == "not queued"
    assert "never stored" in wait.result["message"]
    assert client.count("get_deployment") == 1
    assert slots.snapshot()[1]["ours"] == 0


def test_a_follow_registered_while_the_list_is_in_flight_is_not_judged_absent(client, clock):
    watcher = make(client, clock)
    client.add("d1", "in_progress")
    first = watcher.follow_deployment("d1", "app1")

    def register_late():
        client.add("d2", "queued")  # created by a POST whose answer arrives while the list is on the wire
        late.append(watcher.follow_deployment("d2", "app2"))

    late = []
    client.during_list = register_late
    watcher.poll_once()
    client.during_list = None
    assert first.pending and late[0].pending
    assert client.count("get_deployment") == 0
    watcher.poll_once()
    assert late[0].pending and late[0].result["deployment_status"] == "queued"


def test_wait_false_settles_on_queued_but_keeps_the_slot_until_the_deployment_leaves(client, clock):
    slots = ServerSlots(servers((1, 2, 25)), clock=clock)
    assert slots.acquire("srv-1", clock() + 1)
    client.add("d1", "queued")
    watcher = make(client, clock, slots=slots)
    wait = watcher.follow_deployment("d1", "app1", slot="srv-1", until="queued")
    watcher.poll_once()
    assert wait.state == "done" and wait.result["reason"] == "queued"
    assert slots.snapshot()[1]["ours"] == 1
    client.deployments["d1"]["status"] = "finished"
    watcher.poll_once()
    assert slots.snapshot()[1]["ours"] == 0 and wait.result["reason"] == "queued"
    assert client.count("get_deployment") == 0  # its final status is not needed: no read when it leaves the list


def test_the_task_deadline_fails_pending_waits_and_names_the_deployments_to_cancel(client, clock):
    client.add("d1", "in_progress")
    client.add("d2", "queued")
    client.add("d3", "in_progress")
    watcher = make(client, clock, deadline=clock() + 10)
    waits = [watcher.follow_deployment(uuid, "app") for uuid in ("d1", "d2")]
    watcher.poll_once()
    client.deployments["d1"]["status"] = "finished"
    watcher.poll_once()
    clock.now += 10
    watcher.poll_once()
    assert waits[0].state == "done"
    assert waits[1].state == "failed" and waits[1].result["reason"] == "timed out"
    assert watcher.timed_out_deployments() == ["d2"]  # d3 belongs to someone else: never cancelled


# --------------------------------------------------------------------------------------------------- lost answers


def stamp(seconds):
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_lost_answer_follows_the_deployment_created_after_the_send(client, clock):
    sent = 1_700_000_000.0
    client.app_deployments["app1"] = [
        {"deployment_uuid": "new", "status": "in_progress", "created_at": stamp(sent + 0.4)},
        {"deployment_uuid": "old", "status": "finished", "created_at": stamp(sent - 300)},
    ]
    client.add("new", "in_progress")
    watcher = make(client, clock)
    wait = watcher.verify_app_action("app1", sent)
    watcher.poll_once()
    assert wait.pending and wait.result["verified"] and wait.deployment_uuid == "new"
    client.deployments["new"]["status"] = "finished"
    watcher.poll_once()
    assert wait.state == "done" and wait.result["reason"] == "finished"


def test_a_lost_answer_with_no_new_deployment_fails_outcome_unknown_after_a_few_reads(client, clock):
    sent = 1_700_000_000.0
    client.app_deployments["app1"] = [
        {"deployment_uuid": "before", "status": "in_progress", "created_at": stamp(sent + 0.1)},
        {"deployment_uuid": "old", "status": "finished", "created_at": stamp(sent - 300)},
    ]
    watcher = make(client, clock, verify_reads=3)
    wait = watcher.verify_app_action("app1", sent, known=["before"])
    for attempt in range(2):
        watcher.poll_once()
        assert wait.pending
    watcher.poll_once()
    assert wait.state == "failed" and wait.result["reason"] == "outcome unknown"
    assert client.count("application_deployments") == 3


def test_new_deployment_takes_the_oldest_unknown_one_after_the_send():
    sent = 1_700_000_000.0
    deps = [{"deployment_uuid": "c", "created_at": stamp(sent + 9)},
            {"deployment_uuid": "b", "created_at": stamp(sent + 1)},
            {"deployment_uuid": "a", "created_at": stamp(sent - 30)}]
    assert new_deployment(deps, sent)["deployment_uuid"] == "b"
    assert new_deployment(deps, sent, known={"b", "c"}) is None
    assert new_deployment([{"deployment_uuid": "x", "created_at": "garbage"}], sent) is None


# --------------------------------------------------------------------------------------------------- status waits


def test_a_queued_service_restart_is_not_done_while_the_status_still_reads_running(client, clock):
    client.statuses["service"]["s1"] = "running:healthy"
    watcher = make(client, clock)
    wait = watcher.wait_status("service", "s1", "running", before="running:healthy")
    for queued_poll in range(3):  # the job waits in Coolify's queue
        watcher.poll_once()
        assert wait.pending
    client.statuses["service"]["s1"] = "exited"
    watcher.poll_once()
    assert wait.pending and wait.evidence.evidence
    client.statuses["service"]["s1"] = "starting:unhealthy"
    watcher.poll_once()
    client.statuses["service"]["s1"] = "running:healthy"
    watcher.poll_once()
    assert wait.state == "done" and wait.result["status"] == "running:healthy"


def drain(watcher):
    """Poll with the watcher's own (injected) sleep until nothing is pending, as its background loop does."""
    while True:
        watcher.poll_once()
        if not watcher.pending():
            return
        watcher.sleep(watcher._delay)


def test_a_status_wait_without_evidence_fails_not_observed(client, clock):
    client.statuses["service"]["s1"] = "running:healthy"
    watcher = make(client, clock, deadline=clock() + 6)
    wait = watcher.wait_status("service", "s1", "running", before="running:healthy")
    drain(watcher)
    assert wait.state == "failed" and wait.result["reason"] == "not observed"
    assert "running:healthy before" in wait.result["message"]


def test_a_status_wait_that_left_but_never_arrived_times_out(client, clock):
    client.statuses["database"]["db1"] = "exited:unhealthy"
    watcher = make(client, clock, deadline=clock() + 6)
    wait = watcher.wait_status("database", "db1", "running", before="running:healthy")
    drain(watcher)
    assert wait.result["reason"] == "timed out" and "last status: exited:unhealthy" in wait.result["message"]


def test_a_resource_deleted_while_waiting_fails(client, clock):
    watcher = make(client, clock)
    wait = watcher.wait_status("application", "gone", "exited", before="running:healthy")
    watcher.poll_once()
    assert wait.state == "failed" and wait.result["reason"] == "deleted"


@pytest.mark.parametrize("before, target, healthy, acted, seen, result", [
    ("exited", "running", False, True, ["exited", "running:unknown"], DONE),  # service start: arrival proves it
    ("exited", "running", False, True, ["exited", "exited"], PENDING),
    ("running:healthy", "exited", False, True, ["running:healthy", "exited:unhealthy"], DONE),  # app stop
    ("running:healthy", "running", False, True, ["running:healthy"] * 3, PENDING),  # restart still queued
    ("running:healthy", "running", False, True, ["degraded:unhealthy", "running:healthy"], DONE),
    ("running:unhealthy", "running", True, True, ["running:healthy"], PENDING),  # health alone proves nothing
    ("running:unhealthy", "running", True, True, ["exited", "running:unhealthy", "running:healthy"], DONE),
    ("degraded:unhealthy", "running", False, True, ["running:healthy"], DONE),
    ("exited:unhealthy", "running", False, True, ["running:starting"], DONE),  # database restart of a stopped DB
    (None, "running", False, True, ["running:healthy"], PENDING),  # unknown before: the strict rule
    ("running:unknown", "running", True, False, ["running:healthy"], DONE),  # no action: reaching is enough
])
def test_status_evidence(before, target, healthy, acted, seen, result):
    evidence = StatusEvidence(before, target, healthy=healthy, acted=acted)
    outcome = None
    for status in seen:
        outcome = evidence.observe(status)
    assert outcome == result


def test_log_tail_skips_hidden_and_broken_logs():
    logs = log_json(("a", False), ("b\nc", False), ("hidden", True), ("d", False))
    assert log_tail(logs, 2, mask) == ["c", "d"]
    assert log_tail(logs, 0, mask) == []
    assert log_tail("not json", 3, mask) == []
    assert log_tail(None, 3, mask) == []


# --------------------------------------------------------------------------------------------------- request counts


def test_one_list_call_per_kind_per_poll_whatever_the_item_count(client, clock):
    watcher = make(client, clock)
    for number in range(50):
        client.add("d%d" % number, "in_progress")
        watcher.follow_deployment("d%d" % number, "app%d" % number)
    for number in range(30):
        client.statuses["service"]["s%d" % number] = "running:healthy"
        watcher.wait_status("service", "s%d" % number, "running", before="running:healthy")
    client.statuses["database"]["db1"] = "running:healthy"
    watcher.wait_status("database", "db1", "exited", before="running:healthy")
    for poll_number in range(3):
        poll = watcher.poll_once()
        assert poll["requests"] == 3  # /deployments, /services, one GET /databases/{uuid}
    assert client.count("list_deployments") == 3 and client.count("list_services") == 3
    assert client.count("get_database") == 3 and client.count("get_deployment") == 0
    assert watcher.stats["requests"] == 9 and watcher.stats["bytes"] > 0


def test_errors_stretch_the_interval_and_a_clean_poll_restores_it(client, clock):
    client.add("d1", "in_progress")
    watcher = make(client, clock)
    wait = watcher.follow_deployment("d1", "app1")
    client.errors["list_deployments"] = [ApiError(502), ApiError(500)]
    watcher.poll_once()
    assert watcher._delay == 3.0
    watcher.poll_once()
    assert watcher._delay == 4.5
    watcher.poll_once()
    assert watcher._delay == 2.0 and wait.pending


def test_a_fatal_error_fails_every_wait_that_needed_the_call(client, clock):
    client.add("d1", "in_progress")
    watcher = make(client, clock)
    wait = watcher.follow_deployment("d1", "app1")
    client.errors["list_deployments"] = [ApiError(401, "Unauthenticated.")]
    watcher.poll_once()
    assert wait.state == "failed" and wait.result["reason"] == "error"


def test_the_list_is_swapped_for_per_uuid_reads_only_when_it_is_heavy_and_we_follow_few():
    assert choose_deployment_reads(2, 5_000_000, 20_000, 1 << 20, 2, False) == "per_uuid"
    assert choose_deployment_reads(3, 5_000_000, 20_000, 1 << 20, 2, False) == "list"
    assert choose_deployment_reads(1, 5_000_000, 20_000, 1 << 20, 2, True) == "list"  # a worker waits for a slot
    assert choose_deployment_reads(1, 30_000, 20_000, 1 << 20, 2, False) == "list"
    assert choose_deployment_reads(1, None, 0, 1 << 20, 2, False) == "list"


def test_heavy_foreign_logs_switch_a_small_follow_to_per_uuid_reads(client, clock):
    for number in range(5):
        client.add("foreign%d" % number, "in_progress", logs="x" * 400_000)
    client.add("mine", "in_progress", logs="y" * 10)
    watcher = make(client, clock)
    watcher.follow_deployment("mine", "app1")
    assert watcher.poll_once()["mode"] == "list"
    poll = watcher.poll_once()
    assert poll["mode"] == "per_uuid" and poll["bytes"] < 1000
    assert client.calls[-1] == ("get_deployment", "mine")


def test_status_waits_are_read_by_list_unless_a_few_of_many_rows_cost_less_one_by_one():
    assert choose_status_reads(1, None, 2) == "per_item"  # below status_list_min
    assert choose_status_reads(2, None, 2) == "list"  # the list's size is not known yet
    assert choose_status_reads(3, 30, 2) == "list"
    free = 60.0 / 10 ** 9  # a rate limit far above any pace: requests cost only their round trip
    assert choose_status_reads(3, 30, 2, request_seconds=free) == "list"
    assert choose_status_reads(18, 2000, 2, request_seconds=free) == "per_item"  # a wave's lazy waits among 2000 apps
    assert choose_status_reads(18, 400, 2, request_seconds=free) == "list"
    assert choose_status_reads(300, 2000, 2, request_seconds=free) == "list"
    # Under Coolify's default rate limit (200 a minute: 0.3 s a request) a request is worth about 1000 rows.
    assert choose_status_reads(2, 500, 2, request_seconds=0.3) == "list"
    assert choose_status_reads(18, 2000, 2, request_seconds=0.3) == "list"
    assert choose_status_reads(18, 2000, 2, request_seconds=60.0 / 10 ** 9) == "per_item"


class PricedClient(FakeClient):
    """A fake client whose pacer learnt a rate limit: ``request_seconds`` is the share of it one request takes."""

    def __init__(self, request_seconds):
        super(PricedClient, self).__init__()
        self.price = request_seconds

    def request_seconds(self):
        return self.price


@pytest.mark.parametrize("price, expected", [(None, "list_applications"), (60.0 / 10 ** 9, "get_application"),
                                             (0.3, "list_applications")])
def test_a_few_status_waits_among_many_applications_are_read_one_by_one_without_a_binding_rate_limit(
        clock, price, expected):
    """The first poll reads the list (its size is unknown); afterwards three waits among 500 applications cost three
    small GETs rather than the whole list each poll, unless a rate limit makes every request dear."""
    client = PricedClient(price)
    client.statuses["application"].update(("app%d" % number, "exited") for number in range(500))
    watcher = make(client, clock)
    waits = [watcher.wait_status("application", "app%d" % number, "running", acted=False) for number in range(3)]
    watcher.poll_once()
    assert client.calls == [("list_applications",)] and all(wait.pending for wait in waits)
    del client.calls[:]
    client.statuses["application"].update(app0="running:healthy", app1="running:healthy", app2="running:healthy")
    watcher.poll_once()
    assert all(wait.state == "done" for wait in waits)
    assert set(call[0] for call in client.calls) == {expected}
    assert len(client.calls) == (3 if expected == "get_application" else 1)


def test_a_status_wait_read_on_its_own_fails_deleted_when_its_application_is_gone(clock):
    client = PricedClient(60.0 / 10 ** 9)
    client.statuses["application"].update(("app%d" % number, "exited") for number in range(500))
    watcher = make(client, clock)
    waits = [watcher.wait_status("application", "app%d" % number, "running", acted=False) for number in range(2)]
    watcher.poll_once()  # the list
    del client.statuses["application"]["app1"]
    watcher.poll_once()  # one GET each: app1's answers 404
    assert waits[0].pending and waits[1].state == "failed" and waits[1].result["reason"] == "deleted"
    assert client.calls[-2:] == [("get_application", "app0"), ("get_application", "app1")]


def test_an_unknown_rate_limit_is_priced_as_coolify_s_default_not_as_no_limit():
    """No answer carried X-RateLimit-Limit (a proxy dropped it): Coolify still throttles every route at 200 a minute
    by default, so the price is that, not zero (which read 50 of 2000 applications with 50 GETs a poll)."""
    assert choose_status_reads(50, 2000, 2) == choose_status_reads(50, 2000, 2, request_seconds=0.3) == "list"
    assert choose_status_reads(3, 500, 2) == "list"
    assert choose_status_reads(2, 5000, 2) == choose_status_reads(2, 5000, 2, request_seconds=0.3) == "per_item"


def test_status_waits_send_one_list_a_poll_while_the_rate_limit_is_unknown(clock):
    """50 waits among 2000 applications, and the pacer never saw X-RateLimit-Limit: every poll is one list call, as
    before per-item reads existed, not 50 GETs (a quarter of Coolify's default budget of a minute, each poll)."""
    client = PricedClient(None)
    client.statuses["application"].update(("app%d" % number, "exited") for number in range(2000))
    watcher = make(client, clock)
    waits = [watcher.wait_status("application", "app%d" % number, "running", acted=False) for number in range(50)]
    for _poll in range(3):
        watcher.poll_once()
    assert client.calls == [("list_applications",)] * 3 and all(wait.pending for wait in waits)
    client.statuses["application"].update(("app%d" % number, "running:healthy") for number in range(50))
    watcher.poll_once()
    assert all(wait.state == "done" for wait in waits) and client.calls[3:] == [("list_applications",)]


# --------------------------------------------------------------------------------------------------- slots


def test_server_limits_read_the_settings_and_default_the_rest():
    limits, aliases = server_limits(servers((1, 2, 25), (2, 4, 10)) + [{"uuid": "bare", "id": 9}])
    assert limits == {1: (2, 25), 2: (4, 10), 9: (2, 25)}
    assert aliases == {"srv-1": 1, "srv-2": 2, "bare": 9}


def test_slots_gate_two_builds_plus_a_queue_of_25_until_the_watcher_sees_one_leave(client, clock):
    slots = ServerSlots(servers((1, 2, 25)), clock=clock, step=0.01)
    watcher = make(client, clock, slots=slots)
    for number in range(27):
        assert slots.acquire("srv-1", clock() + 60)
        client.add("d%d" % number, "in_progress" if number < 2 else "queued", server_id=1)
        watcher.follow_deployment("d%d" % number, "app%d" % number, slot="srv-1")
    assert slots.free("srv-1") == 0
    got = []
    blocked = threading.Thread(target=lambda: got.append(slots.acquire("srv-1", clock() + 60)))
    blocked.start()
    while not slots.waiting:
        threading.Event().wait(0.001)
    watcher.poll_once()
    assert not got  # nothing left the list yet
    client.deployments["d0"]["status"] = "finished"
    watcher.poll_once()
    blocked.join(5)
    assert got == [True] and slots.snapshot()[1]["ours"] == 27


def test_other_actors_deployments_shrink_what_the_task_may_use(client, clock):
    slots = ServerSlots(servers((1, 2, 25), (2, 2, 25)), clock=clock)
    for number in range(5):
        client.add("foreign%d" % number, "queued", server_id=1)
    client.add("mine", "queued", server_id=2)
    watcher = make(client, clock, slots=slots)
    assert slots.acquire(2, clock() + 1)
    watcher.follow_deployment("mine", "app1", slot=2)
    watcher.poll_once()
    assert slots.free(1) == 22 and slots.free(2) == 26


def test_a_slot_wait_gives_up_at_the_deadline_and_on_close(clock):
    slots = ServerSlots(servers((1, 1, 1)), clock=clock, step=0.001)
    assert slots.acquire(1, clock() + 5, count=2)
    deadline = clock() + 5
    ticking = threading.Thread(target=lambda: [clock.sleep(1) for tick in range(10)])
    ticking.start()
    assert slots.acquire(1, deadline) is False
    ticking.join()
    results = []
    blocked = threading.Thread(target=lambda: results.append(slots.acquire(1, clock() + 100)))
    blocked.start()
    while not slots.waiting:
        threading.Event().wait(0.001)
    slots.close()
    blocked.join(5)
    assert results == [False]
    assert slots.acquire(1, clock() + 5, count=3) is False  # more than the server could ever hold


def test_an_unknown_server_shares_the_smallest_known_capacity(clock):
    slots = ServerSlots(servers((1, 2, 25), (2, 1, 3)), clock=clock)
    assert slots.capacity("nowhere") == 4
    assert slots.capacity("2") == 4 and slots.key("srv-1") == 1


# --------------------------------------------------------------------------------------------------- threads, progress


def test_many_workers_register_at_once_and_one_poll_settles_them_all(client, clock):
    watcher = make(client, clock)
    per_thread, threads = 50, 20
    for number in range(per_thread * threads):
        client.add("d%d" % number, "finished")
    client.add("busy", "in_progress")
    barrier = threading.Barrier(threads)
    waits = []

    def worker(index):
        barrier.wait()
        for number in range(index * per_thread, (index + 1) * per_thread):
            waits.append(watcher.follow_deployment("d%d" % number, "app%d" % number))

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert watcher.snapshot() == {"registered": 1000, "done": 0, "failed": 0, "pending": 1000}
    poll = watcher.poll_once()
    assert client.count("list_deployments") == 1 and poll["requests"] == 1001
    assert all(w.state == "done" for w in waits) and len({w.deployment_uuid for w in waits}) == 1000


def test_background_thread_settles_waits_registered_by_workers(client):
    client.add("d1", "finished")
    watcher = Watcher(client, poll_interval=0.01, deadline=None).start()
    try:
        wait = watcher.follow_deployment("d1", "app1")
        assert wait.wait(5) and wait.state == "done"
    finally:
        watcher.stop()


def test_progress_is_reported_after_every_poll_with_the_counts(client, clock):
    reports = []
    for number in range(3):
        client.add("d%d" % number, "in_progress")
    watcher = make(client, clock, progress=reports.append)
    for number in range(3):
        watcher.follow_deployment("d%d" % number, "app")
    watcher.poll_once()
    assert reports == [{"registered": 3, "done": 0, "failed": 0, "pending": 3}]
    client.deployments["d0"]["status"] = "finished"
    client.deployments["d1"]["status"] = "failed"
    watcher.poll_once()
    assert reports[-1] == {"registered": 3, "done": 1, "failed": 1, "pending": 1}


def test_lazy_status_waits_are_read_every_few_polls_while_deployments_build(client, clock):
    """The status after a finished deployment only feeds the report: one list call per LAZY_POLLS polls, not per poll,
    while other deployments are still followed; at once when nothing else is pending."""
    from ansible_collections.coolops.coolify.plugins.module_utils._waits import LAZY_POLLS

    client.add("d1", "in_progress")
    client.statuses["application"].update({"a1": "running:healthy", "a2": "running:healthy"})
    watcher = make(client, clock)
    building = watcher.follow_deployment("d1", "app1")
    lazy = [watcher.wait_status("application", uuid, "running", acted=False, lazy=True) for uuid in ("a1", "a2")]
    for dummy in range(LAZY_POLLS - 1):
        watcher.poll_once()
        clock.sleep(2.0)
    assert client.count("list_applications") == 0 and all(wait.pending for wait in lazy)
    watcher.poll_once()
    assert client.count("list_applications") == 1 and all(wait.state == "done" for wait in lazy)
    again = watcher.wait_status("application", "a1", "running", acted=False, lazy=True)
    client.deployments["d1"]["status"] = "finished"
    watcher.poll_once()  # d1 leaves the list: its final read; the lazy wait is not due yet
    assert building.state == "done" and again.pending
    watcher.poll_once()  # nothing else pending: read at once
    assert again.state == "done" and client.count("list_applications") + client.count("get_application") == 2


def test_a_lazy_status_wait_is_read_before_it_would_expire_unread(client, clock):
    client.add("d1", "in_progress")
    client.statuses["application"]["a1"] = "running:healthy"
    watcher = make(client, clock, deadline=clock() + 5)
    watcher.follow_deployment("d1", "app1")
    lazy = watcher.wait_status("application", "a1", "running", acted=False, lazy=True)
    watcher.poll_once()
    assert lazy.state == "done" and client.count("get_application") == 1


def test_an_eager_status_wait_takes_the_lazy_ones_of_its_kind_along(client, clock):
    client.add("d1", "in_progress")
    client.statuses["application"].update({"a1": "running:healthy", "a2": "exited"})
    watcher = make(client, clock)
    watcher.follow_deployment("d1", "app1")
    lazy = watcher.wait_status("application", "a1", "running", acted=False, lazy=True)
    watcher.wait_status("application", "a2", "running", acted=False)
    watcher.poll_once()
    assert lazy.state == "done" and client.count("list_applications") == 1


def test_a_confirm_read_at_the_tail_waits_for_the_actions_on_the_wire_not_for_those_parked_in_the_pacer(client, clock):
    """The last actions' answers come within a round trip: the read due meanwhile waits for them (at most TAIL_GATHER)
    and sees every deployment at once. Actions parked until the next rate-limit window are not on the wire: waiting
    for them would let the deployments already sent leave the list. Before the tail, later sends keep coming: no wait."""
    client.add("d1", "queued")
    on_wire = ["post"]
    client.in_flight = lambda: len(on_wire)
    watcher = make(client, clock)
    watcher.follow_deployment("d1", "app1", until="queued")
    watcher._gather()
    assert clock() == 1000.0
    watcher.last_sends()
    watcher._gather()  # never answered: waits the cap, no longer
    assert clock() == pytest.approx(1000.0 + TAIL_GATHER)
    on_wire.clear()
    watcher._gather()
    assert clock() == pytest.approx(1000.0 + TAIL_GATHER)
    on_wire.append("post")
    watcher.hurry()
    watcher._gather()
    assert clock() == pytest.approx(1000.0 + TAIL_GATHER)
    watcher.poll_once()
    assert client.count("list_deployments") == 1


def test_gets_of_deployments_that_left_the_list_yield_to_a_confirm_read_that_falls_due(client, clock):
    """Each GET of a deployment that left the list takes a round trip; a wait:false follow registered meanwhile is
    seen only by a list read, and only while it is active. Once that read is due the GETs stop; the rest are read
    after it, each still once (under a rate limit, a run of GETs used to push the list past every new follow)."""
    watcher = make(client, clock)
    for number in range(5):
        client.add("old%d" % number, "finished")  # finished: not in the list
        watcher.follow_deployment("old%d" % number, "app%d" % number, until="queued")
    get = client.get_deployment

    def get_in_a_round_trip(dep_uuid):
        clock.sleep(0.3)
        if dep_uuid == "old0":
            client.add("new", "queued")
            watcher.follow_deployment("new", "app-new", until="queued")
        return get(dep_uuid)

    client.get_deployment = get_in_a_round_trip
    clock.sleep(0.01)  # registered before the poll starts: its list read covers them
    watcher.poll_once()
    read = [call[1] for call in client.calls if call[0] == "get_deployment"]
    assert read == ["old0", "old1", "old2"]  # the follow registered at +0.3 s is due at +0.8 s: no GET after that
    fresh = [wait for wait in watcher._waits if wait.deployment_uuid == "new"][0]
    assert fresh.pending
    watcher.poll_once()
    names = [call[0] if call[0] == "list_deployments" else call[1] for call in client.calls]
    assert names == ["list_deployments", "old0", "old1", "old2", "list_deployments", "old3", "old4"]
    assert fresh.state == "done" and fresh.result["reason"] == "queued"
    assert watcher.pending() == 0


def test_in_a_held_rate_limit_window_the_last_actions_are_confirmed_before_any_get(client, clock):
    """While the actions wait for the window to reset, the watcher's reserve is for the list read that confirms the
    window's last actions: no GET of a deployment that left goes first, the read waits for the actions on the wire
    (at most WINDOW_GATHER) and goes at once when they are answered, not half a second later."""
    held, on_wire = {"on": True}, ["post"]
    client.actions_held = lambda: held["on"]
    client.in_flight = lambda: len(on_wire)
    client.add("gone", "finished")
    watcher = make(client, clock)
    watcher.follow_deployment("gone", "app0", until="queued")
    watcher.poll_once()
    assert client.count("list_deployments") == 1 and client.count("get_deployment") == 0  # an action still answers
    client.add("d1", "queued")
    on_wire.clear()
    watcher.follow_deployment("d1", "app1", until="queued")
    assert watcher._due() == clock()  # answered, and no action comes before the reset: read now, not at +0.5 s
    on_wire.append("post")
    assert watcher._due() == 1000.5
    watcher._gather()  # never answered: waits the cap, no longer
    assert clock() == pytest.approx(1000.0 + WINDOW_GATHER)
    on_wire.clear()
    watcher.poll_once()
    assert [call[0] for call in client.calls] == ["list_deployments", "list_deployments", "get_deployment"]
    assert watcher.pending() == 0


def test_outside_a_held_window_a_confirm_read_neither_gathers_nor_comes_early(client, clock):
    client.actions_held = lambda: False
    client.in_flight = lambda: 1
    client.add("d1", "queued")
    watcher = make(client, clock)
    watcher.follow_deployment("d1", "app1", until="queued")
    watcher._gather()
    assert clock() == 1000.0 and watcher._due() == 1000.5


def test_stop_ends_a_tail_gather_at_once(client, monkeypatch):
    """A gather waits on the watcher's wake event (real clock, no injected sleep): stop() ends it and the thread,
    even when the answers it waits for never come and the cap is far away, and no read is started after stop()."""
    from ansible_collections.coolops.coolify.plugins.module_utils import _watcher

    monkeypatch.setattr(_watcher, "TAIL_GATHER", 600.0)
    client.add("d1", "queued")
    asked = threading.Event()
    client.in_flight = lambda: asked.set() or 1  # an action on the wire that never answers
    watcher = Watcher(client, poll_interval=2.0, confirm_after=0.05)
    watcher.last_sends()
    watcher.start()
    watcher.follow_deployment("d1", "app1", until="queued")
    assert asked.wait(30), "the confirm read never came due"
    thread = watcher._thread
    watcher._stop.set()
    watcher._wake.set()
    thread.join(30)
    assert not thread.is_alive() and client.count("list_deployments") == 0


def test_once_every_action_is_sent_a_wait_false_follow_is_read_at_once(client, clock):
    """The confirm read waits half a second to take later registrations along; after the last action there are none."""
    client.add("d1", "queued")
    watcher = make(client, clock)
    watcher.follow_deployment("d1", "app1", until="queued")
    assert watcher._due() == clock() + 0.5
    watcher.hurry()
    assert watcher._due() == clock()


# ------------------------------------------------------------------------------------------ review: lazy status waits


def test_a_lazy_status_wait_is_not_failed_unread_when_errors_stretch_the_interval(client, clock):
    """Errors stretch the interval to 8 polls' worth (16 s), more than the LAZY_POLLS * poll_interval (10 s) that
    lazy_reads looks ahead: a lazy wait skipped at one poll must still be read before its deadline, not expire unread
    ("not observed") while the application reads running:healthy."""
    client.add("d1", "in_progress")
    client.statuses["application"].update({"a0": "running:healthy", "a1": "running:healthy"})
    watcher = make(client, clock)
    watcher.follow_deployment("d1", "app1")
    first = watcher.wait_status("application", "a0", "running", acted=False, lazy=True)
    client.errors["list_deployments"] = [ApiError(502)] * 20
    while first.pending:  # read with the first LAZY_POLLS-th poll
        watcher.poll_once()
        watcher._sleep_until_due()
    assert watcher._delay > 2.0 * 5
    lazy = watcher.wait_status("application", "a1", "running", acted=False, lazy=True, deadline=clock() + 12.0)
    for dummy in range(3):
        watcher.poll_once()
        if not lazy.pending:
            break
        watcher._sleep_until_due()
    assert lazy.state == "done", (lazy.result, client.count("list_applications") + client.count("get_application"))


def test_a_lazy_status_wait_is_not_failed_unread_when_a_poll_waits_for_the_next_rate_limit_window(client, clock):
    """Under the rate limit a poll's request can wait up to a minute for the next window (the pacer): a lazy wait
    skipped at that poll (its deadline more than LAZY_POLLS intervals away) expires at the next poll without one read,
    and the item is reported failed "not observed" although Coolify reads it running:healthy. An eager wait would
    have been read in the same poll and settled done."""
    client.add("d1", "in_progress")
    client.statuses["application"]["a1"] = "running:healthy"
    watcher = make(client, clock)
    watcher._lazy_read_poll = 1  # a lazy read went out with the previous poll
    watcher.stats["polls"] = 1
    watcher.follow_deployment("d1", "app1")
    lazy = watcher.wait_status("application", "a1", "running", acted=False, lazy=True, deadline=clock() + 30.0)
    client.during_list = lambda: clock.sleep(40.0)  # the list call waited for the next window
    for dummy in range(2):
        watcher.poll_once()
        if not lazy.pending:
            break
        watcher._sleep_until_due()
    assert lazy.state == "done", lazy.result


# The held-window rules; a hostile review of 9762b23..386cca6 found the first two cases.


def test_held_window_with_a_hung_action_never_delays_the_final_get_of_a_wait_true_follow(client, clock):
    """wait: true has no confirm read at all, yet _confirm_pending_in_held_window defers the one GET of a deployment
    that left the list whenever the window is held and *any* request is on the wire (here: an action whose answer
    hangs, which also keeps the pacer from probing the next window). The deployment finished; the deadline then
    comes first and the item is reported timed out (last status in_progress) and handed to cancel_on_timeout."""
    held, on_wire = {"on": True}, ["hung-restart"]
    client.actions_held = lambda: held["on"]
    client.in_flight = lambda: len(on_wire)
    watcher = make(client, clock, deadline=clock() + 5.0)
    client.add("d1", "in_progress")
    wait = watcher.follow_deployment("d1", "app1")  # wait: true (until finished)
    watcher.poll_once()
    assert wait.result["deployment_status"] == "in_progress"
    client.deployments["d1"]["status"] = "finished"  # leaves the list; GET /deployments/d1 says finished
    clock.sleep(2.0)
    watcher.poll_once()  # it left the list: its one GET is due now
    clock.sleep(3.0)
    watcher.poll_once()  # the deadline
    assert client.count("get_deployment") == 1, client.calls
    assert wait.state == "done" and wait.result["reason"] == "finished", wait.result
    assert watcher.timed_out_deployments() == []


def test_a_deployment_that_left_the_list_gives_its_build_slot_back_in_a_held_window(client, clock):
    """A server with 1 build + 1 queued slot; both held by this task's deployments, which then finished. The slot of
    each comes back only in Watcher._leave, after its GET; _read_left skips those GETs while the window is held and a
    restart is on the wire, so a worker waiting for the slot (slots.waiting) gets nothing and fails "the server freed
    no build slot ... (its deployment queue stayed full)" although Coolify's queue is empty."""
    client.actions_held = lambda: True
    client.in_flight = lambda: 1  # a third restart (another server) whose answer hangs
    slots = ServerSlots(servers((1, 1, 1)), clock=clock)
    assert slots.acquire(1, clock()) and slots.acquire(1, clock())
    watcher = make(client, clock, slots=slots)
    for dep_uuid in ("d1", "d2"):
        client.add(dep_uuid, "in_progress")
        watcher.follow_deployment(dep_uuid, "app-" + dep_uuid, slot=1)
    watcher.poll_once()
    for dep_uuid in ("d1", "d2"):
        client.deployments[dep_uuid]["status"] = "finished"
    clock.sleep(2.0)
    watcher.poll_once()
    assert slots.free(1) == 2, (slots.snapshot(), client.calls)


class WantedSlots(ServerSlots):
    """Build slots with a worker blocked for one (what ServerSlots.acquire counts while it waits)."""

    @property
    def waiting(self):
        return 1


def held_with_an_action_on_the_wire(client):
    client.actions_held = lambda: True
    client.in_flight = lambda: 1


def test_a_wait_false_follow_whose_wait_runs_out_before_the_next_polls_is_read_in_a_held_window(client, clock):
    """wait: false confirms, so a GET of one that left the list waits for the confirm read, but never past its wait:
    within two poll intervals of its deadline it is read at once."""
    held_with_an_action_on_the_wire(client)
    watcher = make(client, clock)
    client.add("far", "finished")
    client.add("near", "finished")
    far = watcher.follow_deployment("far", "app1", until="queued", deadline=clock() + 60.0)
    near = watcher.follow_deployment("near", "app2", until="queued", deadline=clock() + 1.5)
    watcher.poll_once()
    assert [call for call in client.calls if call[0] == "get_deployment"] == [("get_deployment", "near")]
    assert near.state == "done" and far.pending


def test_a_wait_false_follow_holding_a_wanted_slot_is_read_in_a_held_window(client, clock):
    held_with_an_action_on_the_wire(client)
    slots = WantedSlots(servers((1, 1, 1)), clock=clock)
    assert slots.acquire(1, clock())
    watcher = make(client, clock, slots=slots)
    client.add("d1", "finished")
    watcher.follow_deployment("d1", "app1", slot=1, until="queued")
    watcher.poll_once()
    assert client.count("get_deployment") == 1
    assert slots.free(1) == 2, slots.snapshot()


# Bounds of the put-off (a second hostile review, of 9fba08d, found these cases; docstrings say what it found).


def gets_of(client, dep_uuid):
    return [call for call in client.calls if call == ("get_deployment", dep_uuid)]


def test_a_put_off_follow_is_read_before_it_expires_when_the_watcher_is_backed_off(client, clock):
    """_cannot_wait (_watcher.py:357-364) looks 2 * poll_interval ahead, but after polls with errors the next poll
    comes up to 8 * poll_interval later (_watcher.py:261-262, 469; _sleep_until_due wakes at the deadline itself, where
    _expire (_watcher.py:196-208) fails the wait before any read). A lost-answer item's verify read meets 429s (the
    rate limit this rule exists for), so the watcher is backed off; a wait: false deployment that is queued and
    finished left the list, its GET is put off at 4.4 s before its deadline, and the next poll is at the deadline:
    reported "timed out ... (last deployment status: not read)" and listed for cancel_on_timeout, never read."""
    held_with_an_action_on_the_wire(client)
    client.errors["application_deployments"] = [ApiError(429, "Too Many Attempts.") for dummy in range(10)]
    watcher = make(client, clock)
    watcher.verify_app_action("app-lost", sent_wall=0.0, until="queued")  # its reads meet 429: the back-off
    watcher.poll_once()
    watcher._sleep_until_due()
    watcher.poll_once()
    watcher._sleep_until_due()
    assert watcher._delay == 4.5  # two polls with errors: 2 * 1.5 * 1.5
    client.add("d1", "finished")  # queued, built and left the list between the answer and the next list read
    wait = watcher.follow_deployment("d1", "app1", until="queued", deadline=clock() + 4.4 + 0.1)
    clock.sleep(0.1)
    watcher.poll_once()  # list: d1 left; 4.4 s to its deadline > 2 * poll_interval: put off; delay now 6.75
    for dummy in range(3):
        if not wait.pending:
            break
        watcher._sleep_until_due()
        watcher.poll_once()
    assert gets_of(client, "d1"), (wait.result, client.calls)
    assert wait.state == "done" and wait.result["reason"] == "finished", wait.result  # its GET: it finished
    assert watcher.timed_out_deployments() == []


def test_a_put_off_follow_is_read_before_it_expires_after_a_poll_held_back_by_the_rate_limit(client, clock):
    """The horizon is taken from clock() in _read_left (_watcher.py:361), not from when the next poll can start. In a
    held window the watcher's own later requests wait for the window's reset (here: the GET of the near-deadline
    follow read after the put-off one takes 6 s in the pacer). The far follow, put off with 5 s left, meets its
    deadline before the next poll: timed out, never read, although it finished."""
    held_with_an_action_on_the_wire(client)
    watcher = make(client, clock)
    client.add("far", "finished")
    client.add("near", "finished")
    real_get = client.get_deployment

    def paced_get(dep_uuid):
        clock.sleep(6.0)  # the window's requests are spent: the pacer holds the GET until the reset
        return real_get(dep_uuid)

    client.get_deployment = paced_get
    far = watcher.follow_deployment("far", "app1", until="queued", deadline=clock() + 5.0)
    near = watcher.follow_deployment("near", "app2", until="queued", deadline=clock() + 1.5)
    watcher.poll_once()  # far put off (5 s > 4 s), near read (its GET ends 6 s later)
    assert near.state == "done"
    for dummy in range(3):
        if not far.pending:
            break
        watcher._sleep_until_due()
        watcher.poll_once()
    assert gets_of(client, "far"), (far.result, client.calls)
    assert far.state == "done", far.result


def test_a_near_deadline_follow_behind_a_put_off_one_is_read_though_a_confirm_is_due(client, clock):
    """_read_left (_watcher.py:341-345): a put-off follow still counts as an index, so `index and _confirm_due()`
    returns before the next one is looked at, and _cannot_wait is never asked for it. While a confirm is unread the
    first follow of `left` (far deadline) is put off every poll, and one registered during each list read (the
    window's last actions answering, 0.5 s round trip) makes the confirm due by the time _read_left reaches index 1.
    The follow behind it, whose wait runs out within two intervals, is never read: timed out, not read, although it
    finished. 9fba08d promises the near-deadline GET is never put off; this path (already there before it, where
    nothing at all was read) bypasses that rule. Order in `left` is registration order, deadlines are per item from
    its send (_lifecycle.py:212), so a slow answer registers later with the earlier deadline."""
    client.actions_held = lambda: True
    client.in_flight = lambda: 0
    watcher = make(client, clock)
    client.add("far", "finished")
    client.add("near", "finished")
    far = watcher.follow_deployment("far", "app1", until="queued", deadline=clock() + 60.0)
    near = watcher.follow_deployment("near", "app2", until="queued", deadline=clock() + 3.0)
    counter = {"n": 0}

    def answer_during_list():
        counter["n"] += 1  # one of the window's last actions answers while the list is on the wire
        dep_uuid = "c%d" % counter["n"]
        client.add(dep_uuid, "queued")
        watcher.follow_deployment(dep_uuid, "app-" + dep_uuid, until="queued", deadline=clock() + 60.0)
        clock.sleep(0.5)  # the list's round trip under load

    client.during_list = answer_during_list
    for dummy in range(6):
        if not near.pending:
            break
        watcher.poll_once()
        clock.sleep(0.5)
    assert gets_of(client, "near"), (near.result, client.calls)
    assert near.state == "done", near.result
    assert far.pending or far.state == "done"


def test_without_a_deadline_a_follow_is_put_off_a_few_polls_at_most(client, clock):
    """Watcher(deadline=None) and a follow without deadline (both optional in the API): _cannot_wait
    (_watcher.py:361) has no bound, so while an action hangs on the wire in a held window the finished deployment is
    never read, poll after poll (production always passes the item's deadline: _lifecycle.py:150,212)."""
    held_with_an_action_on_the_wire(client)
    watcher = make(client, clock, deadline=None)
    client.add("d1", "finished")
    wait = watcher.follow_deployment("d1", "app1", until="queued")
    for dummy in range(50):
        watcher.poll_once()
        clock.sleep(2.0)
    assert gets_of(client, "d1"), (wait.result, len(client.calls))
    assert wait.state == "done"


def test_a_slot_a_worker_waits_for_is_read_back_behind_a_put_off_follow_while_confirms_keep_coming(client, clock):
    """The slot side of the cut-off above (_watcher.py:341-342 returned before 343-344): the follow holding the build
    slot a worker waits for (_cannot_wait's slot rule) sits behind a put-off one, and a confirm falls due during each
    list read, so its GET never came and the slot never comes back (_leave, _watcher.py:161-167): the waiting item ends
    "the server freed no build slot" at SlotQueue's timeout although the deployment finished long ago."""

    client.actions_held = lambda: True
    client.in_flight = lambda: 0
    slots = WantedSlots(servers((1, 1, 1)), clock=clock)
    watcher = make(client, clock, slots=slots)
    client.add("far", "finished")
    client.add("slot-holder", "finished")
    watcher.follow_deployment("far", "app1", until="queued", deadline=clock() + 600.0)
    assert slots.acquire(1, clock())
    watcher.follow_deployment("slot-holder", "app2", slot=1, until="queued", deadline=clock() + 600.0)
    counter = {"n": 0}

    def answer_during_list():
        counter["n"] += 1
        dep_uuid = "c%d" % counter["n"]
        client.add(dep_uuid, "queued", server_id=2)
        watcher.follow_deployment(dep_uuid, "app-" + dep_uuid, until="queued", deadline=clock() + 600.0)
        clock.sleep(0.5)

    client.during_list = answer_during_list
    for dummy in range(10):
        watcher.poll_once()
        clock.sleep(0.5)
    assert gets_of(client, "slot-holder"), client.calls
    assert slots.free(1) == 2, slots.snapshot()


def test_a_wait_true_follow_is_never_put_off_even_beside_wait_false_ones(client, clock):
    """_confirms (_watcher.py:107) is set by any wait: false follow and never cleared, and it is asked for the whole
    task, not per follow (_watcher.py:355): once one wait: false follow registered (and was confirmed long ago), a
    wait: true follow's final GET is put off while an action hangs in a held window, against the docstring's "a task
    that waits for its deployments to finish confirms nothing, so its GETs never wait". Production registers one
    kind per task (_lifecycle.py:266-267, 278-279: opts.wait), so this is the API's contract, not a module run."""
    held_with_an_action_on_the_wire(client)
    watcher = make(client, clock)
    client.add("q1", "queued")
    confirmed = watcher.follow_deployment("q1", "app0", until="queued")
    watcher.poll_once()
    assert confirmed.state == "done"
    client.add("d1", "in_progress")
    wait = watcher.follow_deployment("d1", "app1")  # wait: true
    clock.sleep(2.0)
    watcher.poll_once()
    client.deployments["d1"]["status"] = "finished"
    clock.sleep(2.0)
    watcher.poll_once()  # d1 left the list: its one GET, nothing to confirm any more
    assert gets_of(client, "d1"), client.calls
    assert wait.state == "done"


def test_a_follow_whose_read_past_its_deadline_draws_a_rate_limit_429_is_read_again_not_failed_unread(client, clock):
    """Laravel's Retry-After can be a second short, so the pacer's probe for the next window may still meet the old
    one: when that probe is the one GET of a deployment that left the list after its wait ran out, the 429 left it
    "timed out ... (last deployment status: not read)" (and listed for cancel_on_timeout) although it finished. It is
    read again once the pacer lets it, at most MAX_REREADS times; another 429 still fails it unread."""
    client.add("d1", "finished")
    client.add("d2", "finished")
    client.errors["get_deployment"] = throttled(MAX_REREADS)
    watcher = make(client, clock)
    first = watcher.follow_deployment("d1", "app1", until="queued", deadline=clock() + 1.0)
    watcher.poll_once()  # d1 left the list: its GET meets a 429
    assert first.pending and gets_of(client, "d1") == [("get_deployment", "d1")]
    clock.sleep(2.0)
    watcher.poll_once()  # past its deadline, read again: a second 429
    clock.sleep(2.0)
    watcher.poll_once()  # read again: the window has reset
    assert len(gets_of(client, "d1")) == MAX_REREADS + 1
    assert first.state == "done" and first.result["reason"] == "finished", first.result
    assert watcher.timed_out_deployments() == []
    client.errors["get_deployment"] = throttled(MAX_REREADS + 1)
    second = watcher.follow_deployment("d2", "app2", until="queued", deadline=clock() + 1.0)
    for dummy in range(MAX_REREADS + 2):
        watcher.poll_once()
        clock.sleep(2.0)
    assert len(gets_of(client, "d2")) == MAX_REREADS + 1  # bounded: then it fails, honestly unread
    assert second.state == "failed" and "not read" in second.result["message"], second.result


# Re-reads of a failed deployment GET (a hostile review of 032a531, helper-44, found these; docstrings say what it found).


def throttled(count=1):
    return [ApiError(429, "Too Many Attempts.") for dummy in range(count)]


def heavy_foreign_list(client):
    """Other actors' deployments carry their whole logs (read:sensitive): a small follow switches to per-uuid GETs."""
    for number in range(5):
        client.add("foreign%d" % number, "in_progress", logs="x" * 400_000)


def per_poll_gets(client, dep_uuid, poll):
    """Run ``poll`` and return how many GET /deployments/{dep_uuid} it sent."""
    before = len(gets_of(client, dep_uuid))
    poll()
    return len(gets_of(client, dep_uuid)) - before


def test_per_uuid_mode_a_429_makes_the_next_poll_get_the_same_active_deployment_twice(client, clock):
    """In per-uuid mode every follow is read with _read_one each poll, so a 429 there sets read_again although the
    deployment never left the list (it is still in progress). The next poll then reads it in _read_put_off_expired
    AND again in _poll_deployments' per-uuid loop: two GETs of one deployment in one poll, the second one wasted, and
    under the very rate limit that caused the 429."""
    heavy_foreign_list(client)
    client.add("mine", "in_progress", logs="y")
    watcher = make(client, clock)
    watcher.follow_deployment("mine", "app1")
    assert watcher.poll_once()["mode"] == "list"
    client.errors["get_deployment"] = throttled()
    clock.sleep(2.0)
    assert per_poll_gets(client, "mine", watcher.poll_once) == 1  # per-uuid GET: 429
    clock.sleep(2.0)
    sent = per_poll_gets(client, "mine", watcher.poll_once)
    assert sent == 1, "one poll sent %d GETs of the same in-progress deployment: %r" % (sent, client.calls[-3:])


def test_held_past_its_deadline_a_throttled_still_running_deployment_is_read_once_and_handed_to_cancel(client, clock):
    """Held: past the deadline the re-read of a still-running deployment comes first, _expire then times it out and
    _leave drops it from _follows, so the per-uuid loop does not read it again; it is listed for cancel_on_timeout."""
    heavy_foreign_list(client)
    client.add("mine", "in_progress", logs="y")
    watcher = make(client, clock)
    wait = watcher.follow_deployment("mine", "app1", deadline=clock() + 3.0)
    watcher.poll_once()  # list (t=0)
    clock.sleep(2.0)
    client.errors["get_deployment"] = throttled()
    watcher.poll_once()  # per-uuid GET at t=2: 429 -> read_again
    clock.sleep(2.0)  # t=4: past the deadline
    sent = per_poll_gets(client, "mine", watcher.poll_once)
    assert wait.state == "failed" and wait.result["reason"] == "timed out", wait.result
    assert watcher.timed_out_deployments() == ["mine"]  # still running: handed to cancel_on_timeout (held)
    assert sent == 1, "the poll that timed it out sent %d GETs of it" % sent


def test_the_throttled_read_budget_is_spent_by_earlier_per_uuid_429s_so_the_final_read_is_not_read_again(
        client, clock):
    """On 032a531 Wait.failed_reads was never reset after a read succeeded. A long deployment followed per uuid meets a 429 in
    two windows (each window's first request is often the watcher's poll, and Laravel's Retry-After can be a second
    short): both were read again successfully a poll later. It then finishes and leaves; its GET at the last poll
    before the deadline meets a 429 and, the budget being spent long ago, is not read again: the item is reported
    "timed out ... (last deployment status: in_progress)" and handed to cancel_on_timeout, although it finished and
    nothing but that one throttled read stood between it and "finished". The claim "never reported timed out merely
    because its read was throttled" only holds for the first MAX_REREADS 429s of a wait's whole life."""
    assert MAX_REREADS == 2
    heavy_foreign_list(client)
    client.add("mine", "in_progress", logs="y")
    watcher = make(client, clock)
    wait = watcher.follow_deployment("mine", "app1", deadline=clock() + 11.0)
    watcher.poll_once()  # t=0 list (learns the list is heavy)
    for dummy in range(2):  # t=2/6: a 429, then t=4/8: read again, in progress
        clock.sleep(2.0)
        client.errors["get_deployment"] = throttled()
        watcher.poll_once()
        clock.sleep(2.0)
        watcher.poll_once()
        assert wait.pending and wait.result["deployment_status"] == "in_progress"
    client.deployments["mine"]["status"] = "finished"
    clock.sleep(2.0)
    client.errors["get_deployment"] = throttled()
    watcher.poll_once()  # t=10, before the deadline (t=11): its GET meets a 429
    clock.sleep(2.0)
    watcher.poll_once()  # t=12
    assert watcher.timed_out_deployments() == [], "a finished deployment handed to cancel_on_timeout"
    assert wait.state == "done" and wait.result["reason"] == "finished", wait.result


def test_list_mode_a_failed_re_read_is_followed_by_a_second_get_in_the_same_poll(client, clock):
    """List mode: a departed deployment's GET met a 429; the next poll re-reads it first (_read_put_off_expired), and
    when that meets a 429 again it is still in _follows and absent from the list, so _read_left GETs it once more in
    the same poll. Both re-reads of the MAX_REREADS budget are spent within one poll (and one of them is a
    duplicate request): the bound is one poll interval of throttling, not MAX_REREADS polls."""
    client.add("d1", "finished")  # quick: left before any list saw it
    watcher = make(client, clock)
    wait = watcher.follow_deployment("d1", "app1", deadline=clock() + 100.0)
    client.errors["get_deployment"] = throttled(2)
    assert per_poll_gets(client, "d1", watcher.poll_once) == 1  # 429
    clock.sleep(2.0)
    sent = per_poll_gets(client, "d1", watcher.poll_once)  # re-read: 429; then _read_left: GET again
    assert sent == 1, "one poll sent %d GETs of d1 (%r)" % (sent, wait.result)
