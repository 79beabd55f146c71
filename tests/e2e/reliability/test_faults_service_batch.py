# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault matrix for coolops.coolify.coolify_service_batch (state=restarted, wait=true) against the emulator.

Same three checks as for applications. Services have no deployment record, so "what really happened" is the
emulator's request log (an accepted action) and the service status in /_emulator/state. The deployment queue does
not apply to services (Coolify queues no deployment for a service action), so that class is covered by the
application and env suites only.
"""

from __future__ import annotations


import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_service_batch

# pylint: disable=import-error
from _proxy import HTML_502, HTML_504, HTML_LOGIN, JSON_429, JSON_503
from _support import (
    LifecycleFaults,
    FAST,
    READ_TOKEN,
    SERVICE_NAMES,
    api_log,
    assert_no_secret,
    assert_one_sentence,
    check_lifecycle_items,
    connection,
    count,
    uuids_of,
    writes,
)

RETRIES = FAST["max_retries"]
# wait_timeout of the runs where svc-2's restart outcome stays unknown (nothing of it reaches Coolify): the module
# watches svc-2 until then. The other services' restarts take 0.6 s (job delay and status lag).
UNKNOWN_WAIT = 3


# Every fault is aimed at svc-2 (the ``target`` fixture gives its uuid); the others must end running.
SUITE = LifecycleFaults("services", SERVICE_NAMES, "svc-2", finished=lambda entry: entry["status_after"].startswith("running"))
restart_args, item, action_path, assert_others_fine = SUITE.restart_args, SUITE.item, SUITE.action_path, SUITE.assert_others_fine
target = SUITE.target_fixture()


def assert_lost_answer_honest(entry):
    """Coolify processed an action whose answer was lost: done only with the transition it caused observed, else
    failed as an unknown outcome (whether the transition shows between two polls is a matter of timing)."""
    if entry["failed"]:
        assert "unknown" in entry["error"].lower(), entry
    else:
        assert entry["changed"] and "The answer was lost; a change caused by the request was seen." in entry["reason"]


def test_500_on_one_action(emu, run_module, target):
    emu.configure(fail_paths=["POST /api/v1/services/%s/restart$" % target])
    result = run_module(coolify_service_batch, restart_args(emu.api_url, wait_timeout=UNKNOWN_WAIT))
    assert result["failed"] and result["summary"]["failed"] == 1
    assert "svc-2" in result["msg"] and "HTTP 500" in item(result, "svc-2")["error"]
    assert_one_sentence(result["msg"])
    assert_others_fine(result)
    _state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    assert count(log, "POST", action_path(target)) == 1
    assert_no_secret(result)


def test_503_json_from_the_api_is_retried_within_bounds(emu, proxy, run_module, target):
    """Laravel's maintenance answer comes before routing: the one gateway answer that allows resending an action."""
    proxy.add_rule("answer", action_path(target), method="POST", status=503, body=JSON_503, content_type="application/json")
    result = run_module(coolify_service_batch, restart_args(proxy.api_url))
    assert result["failed"] and result["summary"]["failed"] == 1
    assert "HTTP 503" in item(result, "svc-2")["error"]
    assert len(proxy.attempts("POST", action_path(target))) == 1 + RETRIES
    assert_others_fine(result)
    _state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    assert count(log, "POST", action_path(target)) == 0
    assert_no_secret(result)


def test_503_json_once_then_the_action_goes_through_once(emu, proxy, run_module, target):
    proxy.add_rule("answer", action_path(target), method="POST", times=1, status=503, body=JSON_503,
                   content_type="application/json")
    result = run_module(coolify_service_batch, restart_args(proxy.api_url))
    assert not result["failed"], result["msg"]
    assert result["summary"]["ok"] == 3
    assert len(proxy.attempts("POST", action_path(target))) == 2
    _state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    assert count(log, "POST", action_path(target), status=200) == 1


@pytest.mark.parametrize("times", [1, None], ids=["once", "always"])
@pytest.mark.parametrize("status,body", [(502, HTML_502), (503, HTML_502), (504, HTML_504)],
                         ids=["502-html", "503-html", "504-html"])
def test_gateway_page_on_an_action_is_never_resent(emu, proxy, run_module, target, status, body, times):
    proxy.add_rule("answer", action_path(target), method="POST", times=times, status=status, body=body,
                   content_type="text/html")
    result = run_module(coolify_service_batch, restart_args(proxy.api_url, wait_timeout=UNKNOWN_WAIT))
    assert len(proxy.attempts("POST", action_path(target))) == 1, "an action without proof of no processing is never resent"
    entry = item(result, "svc-2")
    assert entry["failed"] and result["failed"], entry  # the proxy kept it from Coolify: no restart to observe
    assert "HTTP %d" % status in entry["error"] and "unknown" in entry["error"].lower(), entry["error"]
    assert_others_fine(result)
    _state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    assert count(log, "POST", action_path(target)) == 0
    assert_no_secret(result)


@pytest.mark.parametrize("kind", ["reset_before", "reset_after"])
def test_connection_reset_on_an_action(emu, proxy, run_module, target, kind):
    proxy.add_rule(kind, action_path(target), method="POST")
    result = run_module(coolify_service_batch, restart_args(proxy.api_url, wait_timeout=UNKNOWN_WAIT))
    if kind == "reset_before":
        # Coolify never saw it, and no transition appears: "outcome unknown", never done, never resent.
        assert result["failed"] and result["summary"]["failed"] == 1
        assert "unknown" in item(result, "svc-2")["error"].lower() and "outcome unknown" in result["msg"]
    else:
        assert_lost_answer_honest(item(result, "svc-2"))
    assert len(proxy.attempts("POST", action_path(target))) == 1
    assert_others_fine(result)
    _state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    assert count(log, "POST", action_path(target)) == (1 if kind == "reset_after" else 0)
    assert_no_secret(result)


def test_emulator_random_faults(emu, run_module):
    emu.configure(fault_rate=0.2)
    result = run_module(coolify_service_batch, restart_args(emu.api_url, max_retries=3))
    emu.configure(fault_rate=0.0)
    state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    for uuid in uuids_of(state, "services", SERVICE_NAMES):
        # 500s, proxy pages and cut-offs never prove that an action was not processed: one attempt at most.
        assert count(log, "POST", action_path(uuid)) <= 1, "an action was resent after an unproven fault"
    assert_one_sentence(result["msg"])
    assert_no_secret(result)


def test_read_timeout_on_an_action(emu, proxy, run_module, target):
    proxy.add_rule("delay_after", action_path(target), method="POST", seconds=2.5)
    result = run_module(coolify_service_batch, restart_args(proxy.api_url, timeout=1))
    assert_lost_answer_honest(item(result, "svc-2"))
    _state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    assert count(log, "POST", action_path(target)) == 1
    assert_no_secret(result)


def test_429_storm(emu, run_module):
    # Polls wait for the limiter too: a restart must stay visible (not running) for longer than that.
    emu.configure(rate_limit=4, rate_window=1.0, status_lag_seconds=1.0)
    result = run_module(coolify_service_batch, restart_args(emu.api_url, max_retries=8, poll_interval=0.3))
    assert not result["failed"], result["msg"]
    state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    assert [entry for entry in log if entry["status"] == 429], "no 429 was provoked"
    for uuid in uuids_of(state, "services", SERVICE_NAMES):
        assert count(log, "POST", action_path(uuid), status=200) == 1


def test_429_forever(emu, proxy, run_module, target):
    proxy.add_rule("answer", action_path(target), method="POST", status=429, body=JSON_429, content_type="application/json",
                   headers=[("Retry-After", "1"), ("X-RateLimit-Limit", "200"), ("X-RateLimit-Remaining", "0")])
    emu.configure(status_lag_seconds=1.5)  # the other restarts must stay visible while the limiter holds every poll
    result = run_module(coolify_service_batch, restart_args(proxy.api_url))
    assert result["failed"] and "429" in item(result, "svc-2")["error"]
    assert len(proxy.attempts("POST", action_path(target))) == 1 + RETRIES
    check_lifecycle_items("service", result, emu, expect_items=3)


def test_html_page_on_the_list(emu, proxy, run_module):
    proxy.add_rule("answer", r"^/api/v1/services$", method="GET", status=200, body=HTML_LOGIN, content_type="text/html")
    result = run_module(coolify_service_batch, restart_args(proxy.api_url))
    assert result["failed"] and not result["changed"]
    assert_one_sentence(result["msg"])
    assert not writes(api_log(emu))


def test_malformed_json_on_the_list(emu, proxy, run_module):
    proxy.add_rule("bad_json", r"^/api/v1/services$", method="GET")
    result = run_module(coolify_service_batch, restart_args(proxy.api_url))
    assert result["failed"] and "JSON" in result["msg"]
    assert_one_sentence(result["msg"])
    assert not writes(api_log(emu))


def test_malformed_json_on_an_action(emu, proxy, run_module, target):
    proxy.add_rule("bad_json", action_path(target), method="POST")
    result = run_module(coolify_service_batch, restart_args(proxy.api_url))
    assert_lost_answer_honest(item(result, "svc-2"))
    _state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    assert count(log, "POST", action_path(target)) == 1
    assert_no_secret(result)


def test_api_disabled(emu, run_module):
    emu.configure(api_enabled=False)
    result = run_module(coolify_service_batch, restart_args(emu.api_url))
    assert result["failed"] and "API is disabled" in result["msg"]
    assert_one_sentence(result["msg"])
    assert len(api_log(emu)) == 1 and not writes(api_log(emu))


def test_token_without_deploy(emu, run_module):
    result = run_module(coolify_service_batch, restart_args(emu.api_url, api_token=READ_TOKEN))
    assert result["failed"] and result["summary"]["failed"] == 3
    _state, log = check_lifecycle_items("service", result, emu, expect_items=3)
    assert not [entry for entry in log if entry["method"] == "POST" and entry["status"] == 200]
    assert_no_secret(result)


def test_service_deleted_mid_batch(emu, proxy, run_module):
    first, doomed = uuids_of(emu.state(), "services", ["svc-1", "svc-3"])

    def delete_svc_3(method, path):  # pylint: disable=unused-argument
        emu.delete_resource(doomed)

    proxy.add_rule("hook", action_path(first), method="POST", times=1, hook=delete_svc_3)
    result = run_module(coolify_service_batch, restart_args(proxy.api_url, strategy="sequential"))
    assert result["failed"] and result["summary"]["failed"] == 1
    entry = item(result, "svc-3")
    assert "404" in entry["error"] and entry["status_after"] is None
    assert_others_fine(result, broken=("svc-3",))
    check_lifecycle_items("service", result, emu, expect_items=3)


def test_already_running_on_start_is_unchanged_not_failed(emu, proxy, run_module, target):
    """The plan says start (status read as exited), but Coolify answers 400 Service is already running."""
    emu.configure(fail_paths=[])
    stopped = run_module(coolify_service_batch, connection(emu.api_url, names=["svc-2"], state="stopped"))
    assert not stopped["failed"], stopped["msg"]

    def start_behind_our_back(method, path):  # pylint: disable=unused-argument
        emu.request("POST", "/services/%s/start" % target)
        time_limit = 50
        while time_limit and "running" not in emu.request("GET", "/services/%s" % target)[2].get("status", ""):
            time_limit -= 1
            __import__("time").sleep(0.05)

    proxy.add_rule("hook", action_path(target, "start"), method="POST", times=1, hook=start_behind_our_back)
    result = run_module(coolify_service_batch, connection(proxy.api_url, names=["svc-2"], state="started"))
    entry = item(result, "svc-2")
    assert not entry["failed"] and not result["failed"], entry
    assert "already running" in entry["reason"]
    check_lifecycle_items("service", result, emu, expect_items=1)
