# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault matrix for coolops.coolify.coolify_app_batch (state=restarted, wait=true) against the emulator.

For every fault class: (a) the task outcome is right, (b) every item's reported state matches the emulator's state
and request log (check_lifecycle_items), (c) retries stay bounded and no marker secret appears in the result.
"""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch

# pylint: disable=import-error
from _proxy import HTML_502, HTML_504, HTML_LOGIN, JSON_429, JSON_503
from _support import (
    LifecycleFaults,
    APP_NAMES,
    FAST,
    NO_WRITE_TOKEN,
    READ_TOKEN,
    api_log,
    assert_no_secret,
    assert_one_sentence,
    check_lifecycle_items,
    connection,
    count,
    uuids_of,
    writes,
)

NAMES = APP_NAMES[:4]
RETRIES = FAST["max_retries"]


# Every fault is aimed at app-2 (the ``target`` fixture gives its uuid); the others must end finished.
SUITE = LifecycleFaults("applications", NAMES, "app-2", finished=lambda entry: entry["deployment_status"] == "finished")
restart_args, item, action_path, assert_others_fine = SUITE.restart_args, SUITE.item, SUITE.action_path, SUITE.assert_others_fine
target = SUITE.target_fixture()


def test_500_on_one_action_fails_that_item_only(emu, run_module, target):
    emu.configure(fail_paths=["POST /api/v1/applications/%s/restart$" % target])
    result = run_module(coolify_app_batch, restart_args(emu.api_url))
    assert result["failed"] and result["summary"]["failed"] == 1 and result["summary"]["ok"] == 3
    assert "app-2" in result["msg"]
    assert_one_sentence(result["msg"])
    assert "HTTP 500" in item(result, "app-2")["error"]
    assert_others_fine(result)
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    assert count(log, "POST", action_path(target)) == 1, "a 500 on an action must not be retried"
    assert not [dep for dep in state["deployments"] if dep["application_uuid"] == target]
    assert_no_secret(result)


def test_503_json_from_the_api_is_proof_of_no_processing_so_it_is_retried_within_bounds(emu, proxy, run_module, target):
    """Laravel's maintenance answer comes before routing: the one gateway answer that allows resending an action."""
    proxy.add_rule("answer", action_path(target), method="POST", status=503, body=JSON_503, content_type="application/json")
    result = run_module(coolify_app_batch, restart_args(proxy.api_url))
    assert result["failed"] and result["summary"]["failed"] == 1
    error = item(result, "app-2")["error"]
    assert "HTTP 503" in error
    assert_one_sentence(error)
    assert len(proxy.attempts("POST", action_path(target))) == 1 + RETRIES
    assert_others_fine(result)
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    assert count(log, "POST", action_path(target)) == 0, "the proxy answered; nothing reached Coolify"
    assert not [dep for dep in state["deployments"] if dep["application_uuid"] == target]
    assert_no_secret(result)


def test_503_json_once_then_the_action_goes_through_once(emu, proxy, run_module, target):
    proxy.add_rule("answer", action_path(target), method="POST", times=1, status=503, body=JSON_503,
                   content_type="application/json")
    result = run_module(coolify_app_batch, restart_args(proxy.api_url))
    assert not result["failed"], result["msg"]
    assert result["summary"] == {"total": 4, "changed": 4, "ok": 4, "failed": 0, "skipped": 0}
    assert len(proxy.attempts("POST", action_path(target))) == 2
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    assert count(log, "POST", action_path(target)) == 1
    assert len([dep for dep in state["deployments"] if dep["application_uuid"] == target]) == 1


@pytest.mark.parametrize("times", [1, None], ids=["once", "always"])
@pytest.mark.parametrize("status,body", [(502, HTML_502), (503, HTML_502), (504, HTML_504)],
                         ids=["502-html", "503-html", "504-html"])
def test_gateway_page_on_an_action_is_an_unknown_outcome_never_resent(emu, proxy, run_module, target, status, body,
                                                                      times):
    """A proxy's page does not prove the request was not processed: the action is sent once and not called a success."""
    proxy.add_rule("answer", action_path(target), method="POST", times=times, status=status, body=body,
                   content_type="text/html")
    result = run_module(coolify_app_batch, restart_args(proxy.api_url))
    assert len(proxy.attempts("POST", action_path(target))) == 1, "an action without proof of no processing is never resent"
    entry = item(result, "app-2")
    assert entry["failed"] and result["failed"], entry  # the proxy kept it from Coolify: nothing happened to observe
    assert "HTTP %d" % status in entry["error"] and "unknown" in entry["error"].lower(), entry["error"]
    assert "<html" not in entry["error"].lower()
    assert_others_fine(result)
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    assert count(log, "POST", action_path(target)) == 0
    assert not [dep for dep in state["deployments"] if dep["application_uuid"] == target]
    assert_no_secret(result)


@pytest.mark.parametrize("kind", ["reset_before", "reset_after"])
def test_connection_reset_on_an_action_is_verified_never_resent(emu, proxy, run_module, target, kind):
    proxy.add_rule(kind, action_path(target), method="POST")
    result = run_module(coolify_app_batch, restart_args(proxy.api_url))
    entry = item(result, "app-2")
    if kind == "reset_after":
        # Coolify processed it: the deployment created at or after the send is found and followed.
        assert not result["failed"] and not entry["failed"] and entry["changed"], entry
        assert "The answer was lost; the deployment it created was found." in entry["reason"]
    else:
        assert result["failed"] and result["summary"]["failed"] == 1
        assert "unknown" in entry["error"].lower() and "outcome unknown" in result["msg"]
    assert len(proxy.attempts("POST", action_path(target))) == 1, "an action whose answer was lost must not be resent"
    assert_others_fine(result)
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    happened = [dep for dep in state["deployments"] if dep["application_uuid"] == target]
    assert len(happened) == (1 if kind == "reset_after" else 0)
    assert count(log, "POST", action_path(target)) == (1 if kind == "reset_after" else 0)
    assert_no_secret(result)


def test_emulator_cut_off_faults_mixed_keep_every_item_honest(emu, run_module):
    """The emulator's own random faults (500, 502, 503 and cut-off connections) on every request."""
    emu.configure(fault_rate=0.2)
    result = run_module(coolify_app_batch, connection(emu.api_url, names=APP_NAMES, state="restarted", max_retries=3))
    emu.configure(fault_rate=0.0)
    state, log = check_lifecycle_items("application", result, emu, expect_items=len(APP_NAMES))
    faults = [entry for entry in log if entry.get("fault")]
    assert faults, "the emulator injected no fault"
    for uuid in uuids_of(state, "applications", APP_NAMES):
        # 500s, proxy pages and cut-offs never prove that an action was not processed: one attempt at most.
        assert count(log, "POST", action_path(uuid)) <= 1, "an action was resent after an unproven fault"
    assert result["failed"] == bool(result["summary"]["failed"])
    assert_one_sentence(result["msg"])
    assert_no_secret(result)


def test_read_timeout_on_an_action_is_reported_unknown_and_sent_once(emu, proxy, run_module, target):
    proxy.add_rule("delay_after", action_path(target), method="POST", seconds=2.5)
    result = run_module(coolify_app_batch, restart_args(proxy.api_url, timeout=1))
    entry = item(result, "app-2")
    # No answer in time, but Coolify acted: the deployment it created is found and followed instead of a resend.
    assert not result["failed"] and entry["changed"], entry
    assert "The answer was lost; the deployment it created was found." in entry["reason"]
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    assert count(log, "POST", action_path(target)) == 1, "exactly one POST: a timed-out action is never resent"
    assert len([dep for dep in state["deployments"] if dep["application_uuid"] == target]) == 1
    assert_others_fine(result)
    assert_no_secret(result)


def test_429_storm_from_the_rate_limiter_ends_with_every_item_done(emu, run_module):
    emu.configure(rate_limit=6, rate_window=1.0)
    args = connection(emu.api_url, names=APP_NAMES, state="restarted", max_retries=8, poll_interval=0.3)
    result = run_module(coolify_app_batch, args)
    assert not result["failed"], result["msg"]
    assert result["summary"]["ok"] == len(APP_NAMES)
    state, log = check_lifecycle_items("application", result, emu, expect_items=len(APP_NAMES))
    limited = [entry for entry in log if entry["status"] == 429]
    assert limited, "no 429 was provoked; the storm did not happen"
    assert len(limited) <= len(log) // 3, "the pacer should keep 429s rare: %d of %d" % (len(limited), len(log))
    for uuid in uuids_of(state, "applications", APP_NAMES):
        assert count(log, "POST", action_path(uuid), status=200) == 1
        assert count(log, "POST", action_path(uuid)) <= 1 + 8


def test_429_that_never_ends_fails_the_item_after_bounded_retries(emu, proxy, run_module, target):
    proxy.add_rule("answer", action_path(target), method="POST", status=429, body=JSON_429, content_type="application/json",
                   headers=[("Retry-After", "1"), ("X-RateLimit-Limit", "200"), ("X-RateLimit-Remaining", "0")])
    result = run_module(coolify_app_batch, restart_args(proxy.api_url))
    assert result["failed"] and result["summary"]["failed"] == 1
    assert "429" in item(result, "app-2")["error"]
    assert len(proxy.attempts("POST", action_path(target))) == 1 + RETRIES
    check_lifecycle_items("application", result, emu, expect_items=4)
    assert_no_secret(result)


def test_html_error_page_from_a_proxy_on_the_list_fails_before_any_write(emu, proxy, run_module):
    proxy.add_rule("answer", r"^/api/v1/applications$", method="GET", status=200, body=HTML_LOGIN,
                   content_type="text/html; charset=UTF-8")
    result = run_module(coolify_app_batch, restart_args(proxy.api_url))
    assert result["failed"] and not result["changed"]
    assert_one_sentence(result["msg"])
    assert "non-JSON" in result["msg"] or "HTML" in result["msg"] or "html" in result["msg"]
    assert not writes(api_log(emu))
    assert not [entry for entry in proxy.log if entry["method"] != "GET"]
    assert_no_secret(result)


def test_malformed_json_on_the_list_fails_before_any_write(emu, proxy, run_module):
    proxy.add_rule("bad_json", r"^/api/v1/applications$", method="GET")
    result = run_module(coolify_app_batch, restart_args(proxy.api_url))
    assert result["failed"] and not result["changed"]
    assert_one_sentence(result["msg"])
    assert "JSON" in result["msg"]
    assert not writes(api_log(emu))
    assert_no_secret(result)


def test_malformed_json_on_an_action_is_not_resent_and_not_called_a_success(emu, proxy, run_module, target):
    proxy.add_rule("bad_json", action_path(target), method="POST")
    result = run_module(coolify_app_batch, restart_args(proxy.api_url))
    entry = item(result, "app-2")
    # A 2xx whose body was mangled is no answer: the deployment it created is looked for, never resent.
    assert not entry["failed"] and "The answer was lost; the deployment it created was found." in entry["reason"]
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    assert count(log, "POST", action_path(target)) == 1
    assert len(proxy.attempts("POST", action_path(target))) == 1
    assert_no_secret(result)


def test_api_disabled_fails_at_the_first_call_with_nothing_written(emu, run_module):
    emu.configure(api_enabled=False)
    result = run_module(coolify_app_batch, restart_args(emu.api_url))
    assert result["failed"] and not result["changed"]
    assert_one_sentence(result["msg"])
    assert "API is disabled" in result["msg"]
    log = api_log(emu)
    assert not writes(log)
    # A 403 is not retried. The selection's list call fails the task; restarted also reads the build-slot limits beside
    # it (_lifecycle.ServersAhead), a read that is sent once too, and ended before the module returns.
    sent = sorted((entry["method"], entry["path"]) for entry in log)
    assert sent == [("GET", "/api/v1/applications"), ("GET", "/api/v1/servers")]
    assert_no_secret(result)


def test_refused_selection_waits_for_the_slow_early_servers_read_and_never_resends_it(emu, proxy, run_module):
    """The early GET /servers answers after the selection failed (slow, then 500): the module returns only once it
    ended, so no thread of the task outlives it, and the read was sent once."""
    emu.configure(fail_paths=[r"^GET /api/v1/servers"])
    proxy.add_rule("hook", r"^/api/v1/servers$", method="GET", hook=lambda method, path: time.sleep(0.8))
    result = run_module(coolify_app_batch, connection(proxy.api_url, names=[APP_NAMES[0], "no-such-app"],
                                                      state="restarted", max_retries=3))
    assert result["failed"] and "unknown names: no-such-app" in result["msg"]
    assert not [thread for thread in threading.enumerate() if thread.name == "coolify-servers-ahead"]
    assert len(proxy.attempts("GET", r"^/api/v1/servers$")) == 1


def test_token_without_deploy_fails_every_item_and_changes_nothing(emu, run_module):
    result = run_module(coolify_app_batch, restart_args(emu.api_url, api_token=READ_TOKEN))
    assert result["failed"] and result["summary"]["failed"] == 4, result
    for entry in result["applications"]:
        assert "deploy" in entry["error"] and "403" in entry["error"], entry["error"]
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    assert not state["deployments"]
    for uuid in uuids_of(state, "applications", NAMES):
        assert count(log, "POST", action_path(uuid)) == 1, "a 403 is not retried"
    assert_no_secret(result)


def test_token_without_deploy_still_may_read(emu, run_module):
    result = run_module(coolify_app_batch, restart_args(emu.api_url, api_token=NO_WRITE_TOKEN))
    assert not result["failed"], result["msg"]
    check_lifecycle_items("application", result, emu, expect_items=4)


def test_application_deleted_mid_batch(emu, proxy, run_module):
    first, doomed = uuids_of(emu.state(), "applications", ["app-1", "app-3"])

    def delete_app_3(method, path):  # pylint: disable=unused-argument
        emu.delete_resource(doomed)

    proxy.add_rule("hook", action_path(first), method="POST", times=1, hook=delete_app_3)
    result = run_module(coolify_app_batch, restart_args(proxy.api_url, strategy="sequential"))
    assert result["failed"] and result["summary"]["failed"] == 1
    entry = item(result, "app-3")
    assert entry["failed"] and "404" in entry["error"]
    assert entry["status_after"] is None
    assert_others_fine(result, broken=("app-3",))
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    assert doomed not in {row["uuid"] for row in state["applications"]}
    assert count(log, "POST", action_path(doomed)) == 1
    assert_no_secret(result)


def test_full_deployment_queue_is_never_hit(emu, run_module):
    """Build slots: at most concurrent_builds + deployment_queue_limit of the task's deployments per server, so
    Coolify never answers "queue full" (or a uuid it never stored), and every restart finishes."""
    emu.configure(queue_limit=1, concurrent_builds=1, deploy_seconds=0.3)
    result = run_module(coolify_app_batch, restart_args(emu.api_url, max_workers=4))
    state, log = check_lifecycle_items("application", result, emu, expect_items=4)
    assert not result["failed"], result["msg"]
    for entry in result["applications"]:
        deployments = [dep for dep in state["deployments"] if dep["application_uuid"] == entry["uuid"]]
        assert len(deployments) == 1 and deployments[0]["status"] == "finished"
    assert len(writes(log)) == 4
    assert not [entry for entry in log if entry["status"] == 404]  # no never-stored uuid was handed out
    assert count(log, "GET", r"/servers$") == 1
    assert_no_secret(result)
