# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_shared_env over HTTP against the emulator: edge cases of a rotation (from hostile review D).

The world: team keys used by running applications, a service and a database, plus one application that the operator
stopped (status exited:unhealthy).
"""

from __future__ import annotations

import json

import pytest

# pylint: disable=import-error
from _support import EMULATOR_FLAGS, MARK, ROOT_TOKEN, connection, load_harness
from test_shared_env import _app, _api, _uuid, restarts_by_name, started_with

OLD = "%s-edge-old" % MARK
NEW = "%s-edge-new" % MARK


def world():
    apps = [
        _app("uses-key", "shop", "edge-01", [{"key": "A", "value": "{{team.KEY}}"}]),
        _app("uses-key2", "shop", "edge-01", [{"key": "A", "value": "{{team.KEY_2}}"}]),
        _app("uses-spaces", "blog", "edge-01", [{"key": "A", "value": "x-{{   team.KEY   }}-y"}]),
        dict(_app("stopped-user", "blog", "edge-01", [{"key": "A", "value": "{{team.STOPPED_ONLY}}"}]),
             status="exited:unhealthy"),
    ]
    services = [{"name": "svc-compose", "project": "blog", "environment": "production", "server": "edge-01",
                 "status": "running:healthy", "applications": [{"name": "web", "image": "nginx:1.27"}],
                 "envs": [{"key": "B", "value": "{{team.KEY}}"}]}]
    return {
        "teams": [{"id": 0, "name": "Root Team"}],
        "tokens": [{"token": ROOT_TOKEN, "abilities": ["root"], "user": 1}],
        "servers": [{"name": "edge-01", "ip": "10.1.0.1"}],
        "projects": [{"name": "shop", "environments": ["production"]}, {"name": "blog", "environments": ["production"]}],
        "applications": apps,
        "services": services,
        "databases": [{"name": "db-ref", "type": "postgresql", "project": "blog", "environment": "production",
                       "server": "edge-01", "status": "running:healthy"}],
    }


@pytest.fixture(scope="module")
def edge_emulator(tmp_path_factory):
    path = tmp_path_factory.mktemp("shared_edges") / "world.json"
    path.write_text(json.dumps(world()), encoding="utf-8")
    with load_harness().EmulatorProcess(args=("--fixture", str(path)) + EMULATOR_FLAGS, token=ROOT_TOKEN) as emulator:
        yield emulator


@pytest.fixture
def emu(edge_emulator):
    edge_emulator.reset()
    for key, value in (("KEY", OLD), ("KEY_2", OLD + "2"), ("STOPPED_ONLY", OLD + "s")):
        _api(edge_emulator, "POST", "/team/envs", {"key": key, "value": value})
    _api(edge_emulator, "POST", "/databases/%s/envs" % _uuid(edge_emulator, "databases", "db-ref"),
         {"key": "R", "value": "{{team.KEY}}"})
    yield edge_emulator


def run(run_module, emu, check_mode=False, **extra):
    from ansible_collections.coolops.coolify.plugins.modules import coolify_shared_env  # pylint: disable=import-outside-toplevel
    args = connection(emu.api_url, level="team", env={"KEY": NEW}, restart="changed", rollback=True,
                      strategy="rolling", batch_size=3)
    args.update(extra)
    return run_module(coolify_shared_env, args, check_mode=check_mode)


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_stopped_user_is_reported_and_not_started_by_a_rotation(run_module, emu, check_mode):
    result = run(run_module, emu, check_mode=check_mode, env={"STOPPED_ONLY": NEW})
    assert not result["failed"], result["msg"]
    assert restarts_by_name(emu) == {}, result["restarted"]
    assert result["restarted"] == [], result
    entry = [ref for ref in result["references"] if ref["name"] == "stopped-user"][0]
    assert entry["restart"] is False and entry["reason"] == "not running (exited:unhealthy)", entry
    assert entry["changed_keys"] == ["STOPPED_ONLY"], entry
    assert [text for text in result.get("warnings", []) if "not running" in text and "stopped-user" in text], result
    assert result["summary"]["to_restart"] == 0, result["summary"]
    assert MARK not in json.dumps(result)


def test_running_users_still_restart_beside_a_stopped_one(run_module, emu):
    result = run(run_module, emu, env={"KEY": NEW, "STOPPED_ONLY": NEW})
    assert not result["failed"], result["msg"]
    assert sorted(restarts_by_name(emu)) == ["db-ref", "svc-compose", "uses-key", "uses-spaces"], result["restarted"]
    reasons = dict((ref["name"], ref["reason"]) for ref in result["references"])
    assert reasons["stopped-user"] == "not running (exited:unhealthy)" and reasons["uses-key"] is None, reasons


def test_a_partial_rollback_restarts_again_the_users_of_the_restored_keys(run_module, emu):
    """KEY and KEY_2 rotate; uses-key2 (after uses-key) fails; restoring KEY works, restoring KEY_2 does not.

    uses-key was restarted onto NEW and KEY is back to OLD in Coolify: it must be restarted again, or it runs a value
    Coolify no longer holds (for a password: one the database no longer accepts). KEY is reported rolled_back, KEY_2
    not restored.
    """
    from _proxy import FaultProxy, JSON_503  # pylint: disable=import-outside-toplevel
    state = emu.state()
    key2_id = [row["id"] for row in state["shared_envs"] if row["key"] == "KEY_2" and row["type"] == "team"][0]
    emu.configure(deploy_outcomes={_uuid(emu, "applications", "uses-key2"): "failed"})
    with FaultProxy(emu.base_url) as proxy:
        armed = []

        def arm(_method, _path):
            if not armed:
                armed.append(True)
                proxy.add_rule("answer", "/api/v1/team/envs/%s$" % key2_id, method="PATCH", status=503, body=JSON_503,
                               content_type="application/json")
        proxy.add_rule("hook", r"/restart$", method="POST", hook=arm)
        result = run(run_module, emu, env={"KEY": NEW, "KEY_2": NEW + "2"}, api_url=proxy.api_url, batch_size=1)
    assert result["failed"], result
    entries = dict((entry["name"], entry) for entry in result["restarted"])
    assert entries["uses-key"]["restarted"] and entries["uses-key"]["restarted_again"], entries
    assert not entries["uses-key2"]["restarted_again"], entries
    state = emu.state()
    assert [row["value"] for row in state["shared_envs"] if row["key"] == "KEY" and row["type"] == "team"] == [OLD]
    assert "uses-key" not in started_with(state, NEW), result["msg"]
    assert "uses-key" in started_with(state, OLD), result["msg"]
    outcomes = dict((entry["key"], entry["outcome"]) for entry in result["variables"])
    assert outcomes["KEY"] == "rolled_back" and outcomes["KEY_2"] == "failed", outcomes
    assert "not restored: KEY_2" in result["msg"], result["msg"]
    assert result["summary"]["restarted_again"] == 1, result["summary"]
    assert MARK not in json.dumps(result)
