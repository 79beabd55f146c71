# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure parts of the lifecycle engine: planning, target checks, back-off, options, summary, msg and diff."""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _lifecycle as lc
from ansible_collections.coolops.coolify.plugins.module_utils import _lifecycle_plan as lp
from ansible_collections.coolops.coolify.plugins.module_utils._errors import ConfigurationError


# --------------------------------------------------------------------------------------------------- planning


@pytest.mark.parametrize("status, action", [
    ("running:healthy", None),
    ("running:unhealthy", None),
    ("running:unknown", None),
    ("running:healthy:excluded", None),
    ("running (healthy)", None),  # legacy form
    ("exited:unhealthy", "start"),
    ("exited", "start"),
    ("restarting:unknown", "start"),
    ("starting:unknown", "start"),  # applications: anything not running is started, as the issue asks
    ("degraded:unhealthy", "start"),
    ("paused:unknown", "start"),
    (None, "start"),
])
def test_plan_started_application(status, action):
    got, why = lp.plan_item("application", "started", status)
    assert got == action
    if action:
        assert why == "currently %s" % (status or "unknown")
    else:
        assert why.startswith("already running (")


@pytest.mark.parametrize("status, action, why", [
    ("running:healthy", None, "already running (running:healthy)"),
    ("starting:unhealthy", None, "already starting (starting:unhealthy)"),  # a start is under way: never a second one
    ("degraded:unhealthy", "start", "currently degraded:unhealthy"),  # Coolify accepts it (no `running` in it)
    ("exited", "start", "currently exited"),
])
def test_plan_started_service(status, action, why):
    assert lp.plan_item("service", "started", status) == (action, why)


@pytest.mark.parametrize("kind", ["application", "service"])
@pytest.mark.parametrize("status, action", [
    ("exited:unhealthy", None),
    ("exited", None),
    ("stopped", None),
    ("running:healthy", "stop"),
    ("degraded:unhealthy", "stop"),
    ("starting:unhealthy", "stop"),
    ("restarting:unknown", "stop"),
])
def test_plan_stopped(kind, status, action):
    got, why = lp.plan_item(kind, "stopped", status)
    assert got == action
    assert why == ("already stopped (%s)" % status if action is None else "currently %s" % status)


@pytest.mark.parametrize("state, action", [("restarted", "restart"), ("deployed", "deploy")])
@pytest.mark.parametrize("status", ["running:healthy", "exited:unhealthy", None])
def test_restart_and_deploy_always_act(state, action, status):
    assert lp.plan_item("application", state, status)[0] == action


def test_plan_unknown_state():
    with pytest.raises(ValueError):
        lp.plan_item("application", "present", "running:healthy")


# --------------------------------------------------------------------------------------------------- targets


@pytest.mark.parametrize("status, target, healthy, expected", [
    ("running:healthy", "running", False, True),
    ("running:unhealthy", "running", False, True),
    ("running:unhealthy", "running", True, False),  # `unhealthy` contains `healthy`: parsed, not substring-matched
    ("running:unknown", "running", True, False),
    ("running:healthy", "running", True, True),
    ("running:healthy:excluded", "running", True, True),
    ("starting:unhealthy", "running", False, False),  # a service start in progress is a transition
    ("degraded:unhealthy", "running", False, False),
    ("exited:unhealthy", "exited", False, True),
    ("exited", "exited", True, True),  # healthy only matters for running
    ("running:healthy", "exited", False, False),
    (None, "running", False, False),
    (None, "exited", False, False),
])
def test_reached(status, target, healthy, expected):
    assert lp.reached(status, target, healthy) is expected


@pytest.mark.parametrize("action, state, target", [
    ("start", "started", "running"), ("restart", "restarted", "running"), ("deploy", "deployed", "running"),
    ("stop", "stopped", "exited"), (None, "stopped", "exited"), (None, "started", "running"),
])
def test_target_of(action, state, target):
    assert lp.target_of(action, state) == target


@pytest.mark.parametrize("kind, state, status, healthy, expected", [
    ("service", "started", "starting:unhealthy", False, True),
    ("application", "started", "starting:unknown", False, False),  # apps in `starting` are started, not waited for
    ("application", "started", "running:unhealthy", True, True),
    ("application", "started", "running:unhealthy", False, False),
    ("application", "started", "running:healthy", True, False),
    ("service", "stopped", "exited", True, False),
])
def test_needs_wait_without_action(kind, state, status, healthy, expected):
    assert lp.needs_wait_without_action(kind, state, status, healthy) is expected


# --------------------------------------------------------------------------------------------------- back-off and params


def _opts(kind="application", state="started", **params):
    return lp.Options(kind, state, params)


@pytest.mark.parametrize("kind, action, params, expected", [
    ("application", "stop", {}, {"docker_cleanup": "true"}),
    ("application", "stop", {"docker_cleanup": False}, {"docker_cleanup": "false"}),
    ("application", "start", {}, None),
    ("application", "start", {"force": True, "instant_deploy": True}, {"force": "true", "instant_deploy": "true"}),
    ("application", "deploy", {"force": True}, {"force": "true"}),
    ("application", "restart", {"force": True}, None),  # Coolify's restart reads no flags
    ("service", "restart", {"latest": True}, {"latest": "true"}),
    ("service", "start", {"latest": True}, None),
    ("service", "stop", {"docker_cleanup": False}, {"docker_cleanup": "false"}),
])
def test_action_params(kind, action, params, expected):
    assert lp.action_params(kind, action, _opts(kind, **params)) == expected


def test_deploy_uses_the_start_endpoint():
    assert lp.api_action("deploy") == "start"
    assert lp.api_action("restart") == "restart"


def test_options_defaults_for_callers_without_batch_params():
    # coolify_env passes its own params, which lack most lifecycle options.
    opts = lp.Options("application", "restarted", {"api_url": "x", "wait": None})
    assert (opts.strategy, opts.max_workers, opts.wait, opts.wait_timeout, opts.healthy, opts.docker_cleanup) == (
        "parallel", 10, True, 600.0, False, True)
    assert opts.poll_interval == lp.DEFAULT_POLL_INTERVAL


@pytest.mark.parametrize("kind, state, params, fragment", [
    ("application", "started", {"strategy": "rolling", "wait": False}, "strategy=rolling needs wait=true"),
    ("application", "started", {"max_workers": 0}, "max_workers must be at least 1"),
    ("application", "started", {"batch_size": 0}, "batch_size must be at least 1"),
    ("application", "started", {"wait_timeout": 0}, "wait_timeout must be greater than 0"),
    ("application", "started", {"poll_interval": -1}, "poll_interval must be greater than 0"),
    ("application", "started", {"max_fail_percentage": 101}, "max_fail_percentage must be between 0 and 100"),
    ("application", "started", {"pause_seconds": -1}, "pause_seconds must not be negative"),
    ("service", "deployed", {}, "state=deployed is not available for services"),
    ("volume", "started", {}, "Unknown resource kind"),
    ("database", "deployed", {}, "state=deployed is not available for databases"),
    ("application", "restarted", {"failure_log_lines": -1}, "failure_log_lines must not be negative"),
])
def test_validate_options_rejects(kind, state, params, fragment):
    with pytest.raises(ConfigurationError) as info:
        lp.validate_options(kind, state, params)
    assert fragment in str(info.value)


def test_validate_options_accepts_rolling_with_wait():
    opts = lp.validate_options("application", "restarted", {"strategy": "rolling", "wait": True, "batch_size": 2})
    assert opts.strategy == "rolling"


@pytest.mark.parametrize("kind, states", [
    ("application", ["started", "stopped", "restarted", "deployed"]),
    ("service", ["started", "stopped", "restarted"]),
    ("database", ["started", "stopped", "restarted"]),
])
def test_argument_spec(kind, states):
    spec = lc.lifecycle_argument_spec(kind)
    assert spec["state"]["choices"] == states
    assert spec["docker_cleanup"]["default"] is True
    assert (spec["failure_log_lines"]["default"], spec["cancel_on_timeout"]["default"]) == (0, False)
    assert ("force" in spec, "instant_deploy" in spec, "latest" in spec) == {
        "application": (True, True, False), "service": (False, False, True), "database": (False, False, False)}[kind]
    with pytest.raises(ValueError):
        lc.lifecycle_argument_spec("volume")


# --------------------------------------------------------------------------------------------------- failure policy


@pytest.mark.parametrize("failed, total, mfp, expected", [
    (0, 10, None, False),
    (1, 10, None, True),
    (1, 10, 10, False),  # exactly the tolerated share
    (2, 10, 10, True),
    (1, 10, 0, True),
    (5, 5, 100, False),
])
def test_fail_limit_exceeded(failed, total, mfp, expected):
    assert lp.fail_limit_exceeded(failed, total, mfp) is expected


def _item(name, changed=False, failed=False, skipped=False, error=None, short=None):
    item = {"name": name, "uuid": name + "-uuid", "changed": changed, "failed": failed, "skipped": skipped, "error": error}
    if short:
        item["_short"] = short
    return item


def test_summarize_counts_each_item_once():
    items = [_item("a", changed=True), _item("b"), _item("c", changed=True, failed=True), _item("d", skipped=True)]
    assert lp.summarize(items) == {"total": 4, "changed": 1, "ok": 2, "failed": 1, "skipped": 1}


def test_msg_real_run_lists_failures():
    items = [_item("web", changed=True)] * 48 + [
        _item("api", changed=True, failed=True, error="Deployment x ended failed.", short="deployment failed"),
        _item("worker", failed=True, error="Coolify API POST ... returned HTTP 500: Server Error.", short="HTTP 500 Server Error")]
    assert lp.build_msg("application", "restarted", items) == (
        "restarted 48 of 50 applications; 2 failed: api (deployment failed), worker (HTTP 500 Server Error)")


def test_msg_check_mode_and_unchanged():
    items = [_item("a", changed=True), _item("b"), _item("c")]
    assert lp.build_msg("application", "started", items, check_mode=True) == "would start 1 of 3 applications (2 already running)"
    assert lp.build_msg("service", "stopped", items) == "stopped 1 of 3 services (2 already stopped)"
    assert lp.build_msg("service", "stopped", items, waited=False) == "stopped 1 of 3 services (2 already stopped, not waited for)"


def test_msg_halted_rolling_run():
    items = [_item("a", failed=True, short="deployment failed"), _item("b", skipped=True)]
    assert lp.build_msg("application", "restarted", items, halted=True) == (
        "restarted 0 of 2 applications; 1 failed: a (deployment failed); "
        "1 not attempted (the rolling run halted after a failed wave)")


def test_msg_lists_at_most_five_failures():
    items = [_item("app%d" % i, failed=True, short="x") for i in range(7)]
    assert lp.build_msg("application", "stopped", items).endswith("app4 (x) and 2 more")


def test_diff_before_after():
    items = [
        {"name": "api", "uuid": "u1", "status_before": "exited:unhealthy", "status_after": "running:healthy", "action": "start",
         "planned_status": "running"},
        {"name": "web", "uuid": "u2", "status_before": "running:healthy", "status_after": None, "action": "restart",
         "planned_status": "running"},
        {"name": "db", "uuid": "u3", "status_before": "running:healthy", "status_after": "running:healthy", "action": None,
         "planned_status": "running:healthy"},
    ]
    diff = lp.build_diff(items)
    assert diff["before"] == {"api (u1)": "exited:unhealthy", "db (u3)": "running:healthy", "web (u2)": "running:healthy"}
    assert diff["after"] == {"api (u1)": "running:healthy", "db (u3)": "running:healthy",
                             "web (u2)": "restart requested (not waited for)"}
    assert list(diff["after"]) == sorted(diff["after"])
    planned = lp.build_diff(items, check_mode=True)
    assert planned["after"] == {"api (u1)": "running", "db (u3)": "running:healthy", "web (u2)": "running"}


def test_new_item_check_mode_reason():
    item = lp.new_item("application", "started", {"uuid": "u", "name": "api", "status": "exited:unhealthy"}, True)
    assert item["reason"] == "would start (currently exited:unhealthy)"
    assert item["changed"] is True and item["status_after"] == "exited:unhealthy"
    item = lp.new_item("application", "started", {"uuid": "u", "name": "api", "status": "running:healthy"}, True)
    assert item["reason"] == "already running (running:healthy)" and item["changed"] is False and item["action"] is None


def test_run_lifecycle_check_mode_never_touches_the_client():
    class NoClient(object):
        def __getattr__(self, name):
            raise AssertionError("check mode used the client: %s" % name)

    resources = [{"uuid": "u1", "name": "api", "status": "exited:unhealthy"},
                 {"uuid": "u2", "name": "web", "status": "running:healthy"}]
    result = lc.run_lifecycle(NoClient(), "application", resources, "started", {}, check_mode=True)
    assert result["changed"] is True and result["failed"] is False
    assert [item["action"] for item in result["items"]] == ["start", None]
    assert result["msg"] == "would start 1 of 2 applications (1 already running)"
    assert all("planned_status" not in item and "_short" not in item for item in result["items"])
    assert result["diff"]["after"] == {"api (u1)": "running", "web (u2)": "running:healthy"}
