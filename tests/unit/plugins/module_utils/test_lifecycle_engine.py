# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""run_lifecycle with a fake client: the database kind, lost answers of queued jobs, progress, and the item results
of every watcher outcome. The statuses a fake resource reports are scripted per read."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _lifecycle as lc
from ansible_collections.coolops.coolify.plugins.module_utils import _lifecycle_plan as lp
from ansible_collections.coolops.coolify.plugins.module_utils._errors import BadRequestError, OutcomeUnknownError
from ansible_collections.coolops.coolify.plugins.module_utils._waits import Wait

FAST = {"poll_interval": 0.01, "wait_timeout": 2}


class FakeClient(object):
    """Resources per kind whose status follows a script once an action was received (one step per read)."""

    def __init__(self, kind, statuses):
        self.kind = kind
        self.statuses = dict(statuses)
        self.scripts = {}
        self.actions = []
        self.reads = 0
        self.lose = set()
        self.refuse = {}
        self._lock = threading.Lock()

    def script(self, uuid, *steps):
        self.scripts[uuid] = list(steps)

    def _step(self, uuid):
        steps = self.scripts.get(uuid)
        if steps and any(action[1] == uuid for action in self.actions):
            self.statuses[uuid] = steps.pop(0)
        return self.statuses[uuid]

    def resource_action(self, kind, uuid, action, params=None):
        with self._lock:
            self.actions.append((kind, uuid, action, params))
        if uuid in self.refuse:
            raise BadRequestError("POST refused", status=400, api_message=self.refuse[uuid])
        if uuid in self.lose:
            raise OutcomeUnknownError("POST /%ss/%s/%s: no answer, so its outcome is unknown." % (kind, uuid, action),
                                      sent_at=0)
        return {"message": "%s request queued." % action}

    def get_resource(self, kind, uuid):
        assert kind == self.kind
        with self._lock:
            self.reads += 1
            return {"uuid": uuid, "status": self._step(uuid)}

    def _list(self):
        with self._lock:
            self.reads += 1
            return [{"uuid": uuid, "status": self._step(uuid)} for uuid in list(self.statuses)]

    list_databases = list_services = list_applications = _list


def resources(client):
    return [{"uuid": uuid, "name": "db-%s" % uuid, "status": status} for uuid, status in client.statuses.items()]


# --------------------------------------------------------------------------------------------------- databases


def test_database_restart_is_done_after_its_stop_phase_was_seen():
    client = FakeClient("database", {"a": "running:healthy", "b": "running:healthy"})
    client.script("a", "running:healthy", "exited:unhealthy", "running:starting", "running:healthy")
    client.script("b", "exited:unhealthy", "running:healthy")
    # healthy: running:starting (the health check's start period) is running but not yet healthy.
    result = lc.run_lifecycle(client, "database", resources(client), "restarted", dict(FAST, healthy=True))
    assert not result["failed"], result["msg"]
    assert [item["status_after"] for item in result["items"]] == ["running:healthy", "running:healthy"]
    assert [action[:3] for action in client.actions] == [("database", "a", "restart"), ("database", "b", "restart")]
    assert result["msg"] == "restarted 2 of 2 databases"


def test_database_restart_that_never_leaves_running_is_not_observed():
    client = FakeClient("database", {"a": "running:healthy"})
    result = lc.run_lifecycle(client, "database", resources(client), "restarted", dict(FAST, wait_timeout=0.3))
    item = result["items"][0]
    assert result["failed"] and item["failed"] and item["changed"]
    assert item["error"].startswith("Not observed:") and result["msg"].endswith("(not observed)")


def test_database_already_stopped_answer_is_unchanged_and_stop_sends_docker_cleanup():
    client = FakeClient("database", {"a": "running:healthy", "b": "running:healthy"})
    client.refuse["b"] = "Database is already stopped."
    client.script("a", "exited:unhealthy")
    result = lc.run_lifecycle(client, "database", resources(client), "stopped", dict(FAST, docker_cleanup=False))
    a, b = result["items"]
    assert not result["failed"] and a["changed"] and a["status_after"] == "exited:unhealthy"
    assert not b["changed"] and b["reason"] == "already stopped (Coolify answered: Database is already stopped.)"
    assert client.actions[0][3] == {"docker_cleanup": "false"}


def test_database_kind_in_argument_spec_and_options():
    spec = lc.batch_module_argument_spec("database")
    assert spec["state"]["choices"] == ["started", "stopped", "restarted"]
    assert "force" not in spec and "latest" not in spec and spec["uuids"]["aliases"] == ["database_uuids"]
    assert lp.action_params("database", "restart", lp.Options("database", "restarted", {})) is None


# --------------------------------------------------------------------------------------------------- lost answers


def test_lost_answer_of_a_queued_job_is_done_only_with_the_transition_observed():
    client = FakeClient("service", {"a": "running:healthy", "b": "running:healthy"})
    client.lose.update({"a", "b"})
    client.script("a", "exited", "starting:unhealthy", "running:healthy")  # the restart did happen
    result = lc.run_lifecycle(client, "service", resources(client), "restarted", dict(FAST, wait_timeout=0.5))
    a, b = result["items"]
    assert not a["failed"] and "The answer was lost; a change caused by the request was seen." in a["reason"]
    assert b["failed"] and "outcome is unknown" in b["error"] and "It was not resent" in b["error"]
    assert result["msg"].endswith("1 failed: db-b (outcome unknown)")
    assert len(client.actions) == 2  # never resent


def test_lost_answer_with_wait_false_fails_outcome_unknown_at_once():
    client = FakeClient("service", {"a": "exited"})
    client.lose.add("a")
    result = lc.run_lifecycle(client, "service", resources(client), "started", dict(FAST, wait=False))
    item = result["items"][0]
    assert item["failed"] and item["changed"] and "wait=false does not look" in item["error"]
    assert client.reads <= 1  # at most the status read for the report


# --------------------------------------------------------------------------------------------------- progress


def test_progress_is_called_with_counts_and_once_at_the_end():
    client = FakeClient("service", dict(("s%d" % i, "exited") for i in range(4)))
    for uuid in client.statuses:
        client.script(uuid, "exited", "exited", "running:healthy")
    seen = []
    result = lc.run_lifecycle(client, "service", resources(client), "started", FAST, on_progress=seen.append,
                              progress_every=0.0)
    assert not result["failed"]
    assert seen[-1] == {"total": 4, "done": 4, "failed": 0, "pending": 0}
    assert all(sum(counts[key] for key in ("done", "failed", "pending")) == 4 for counts in seen)


# --------------------------------------------------------------------------------------------------- item results


def _settled(what, state, reason, **result):
    wait = Wait(what, "u1", deployment_uuid=result.get("deployment_uuid"))
    wait.state = state
    wait.result.update(result, reason=reason)
    return wait


def _item(action="restart"):
    item = lp.new_item("application", "restarted", {"uuid": "u1", "name": "web", "status": "running:healthy"}, False)
    item["action"] = action
    item["changed"] = True
    return item


@pytest.mark.parametrize("reason, message, short, changed", [
    ("not queued", "Coolify answered with deployment d1, which it never stored.", "not queued", False),
    ("failed", "Deployment d1 ended failed.", "deployment failed", True),
    ("cancelled-by-user", "Deployment d1 ended cancelled-by-user.", "deployment cancelled-by-user", True),
    ("timed out", "Timed out waiting for deployment d1 to finish (last deployment status: queued).",
     "timed out waiting for deployment d1 to finish", True),
])
def test_settle_from_wait_failures(reason, message, short, changed):
    item = _item()
    opts = lp.Options("application", "restarted", {"failure_log_lines": 2, "wait_timeout": 30})
    follow = lp.settle_from_wait(item, _settled("deployment", "failed", reason, message=message, deployment_uuid="d1",
                                                log_lines=["x"]), "application", opts)
    assert follow is False and item["failed"] and item["_short"] == short and item["changed"] is changed
    assert item["log_lines"] == ["x"] and item["deployment_uuid"] == "d1"
    if reason == "timed out":
        assert item["error"].startswith("Timed out after 30s waiting for deployment d1")


def test_settle_from_wait_finished_asks_for_the_status_and_queued_reports_it():
    opts = lp.Options("application", "restarted", {})
    item = _item()
    assert lp.settle_from_wait(item, _settled("deployment", "done", "finished", deployment_uuid="d1"), "application", opts)
    item = _item()
    opts = lp.Options("application", "restarted", {"wait": False})
    assert not lp.settle_from_wait(item, _settled("deployment", "done", "queued", deployment_uuid="d1",
                                                  deployment_status="queued"), "application", opts)
    assert item["reason"] == "restart queued (deployment d1 queued; not waited for)" and not item["failed"]


def test_server_ref_prefers_the_destinations_server_id():
    assert lp.server_ref({"destination": {"server_id": 3, "server": {"uuid": "s3"}}}) == 3
    assert lp.server_ref({"destination": {"server": {"uuid": "s3"}}}) == "s3"
    assert lp.server_ref({"name": "x"}) is None
