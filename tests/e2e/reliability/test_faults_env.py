# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault matrix for coolops.coolify.coolify_env: rotate API_KEY on four applications (and on services), with and
without rollback, while one write (or read, or restart) fails.

(a) the task outcome, (b) each resource's reported outcome against the value really stored in the emulator
(check_env_entries), (c) bounded retries per path and no value or token in the result.
"""

from __future__ import annotations


import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_env

# pylint: disable=import-error
from _proxy import HTML_502, HTML_504, HTML_LOGIN, JSON_429, JSON_503
from _support import (
    api_path,
    entry_named,
    APP_NAMES,
    APP_SECRET,
    FAST,
    NEW_SECRET,
    NO_WRITE_TOKEN,
    SERVICE_NAMES,
    SERVICE_SECRET,
    api_log,
    assert_no_secret,
    assert_one_sentence,
    check_env_entries,
    check_lifecycle_items,
    connection,
    count,
    env_value,
    uuids_of,
    writes,
)

NAMES = APP_NAMES[:4]
RETRIES = FAST["max_retries"]


def env_args(api_url, rollback=True, **extra):
    args = connection(api_url, names=NAMES, env={"API_KEY": NEW_SECRET}, rollback=rollback, max_workers=2)
    args.update(extra)
    return args


def entry(result, name):
    return entry_named(result, "resources", name)


def bulk_path(uuid, table="applications"):
    return api_path(table, uuid, "envs", "bulk")


@pytest.fixture
def target(emu):
    """app-2: the second resource of the first wave (max_workers=2), so app-1 is written when it fails."""
    return uuids_of(emu.state(), "applications", ["app-2"])[0]


def assert_all_old(emu, names=NAMES, old=APP_SECRET, table="applications"):
    state = emu.state()
    for uuid in uuids_of(state, table, names):
        assert env_value(state, uuid, "SMTP_PASSWORD" if table == "services" else "API_KEY") == old


def test_500_on_one_write_rolls_back_the_written_ones(emu, run_module, target):
    emu.configure(fail_paths=["PATCH /api/v1/applications/%s/envs/bulk$" % target])
    result = run_module(coolify_env, env_args(emu.api_url))
    assert result["failed"] and not result["changed"]
    assert_one_sentence(result["msg"])
    assert "HTTP 500" in entry(result, "app-2")["error"]
    assert entry(result, "app-1")["outcome"] == "rolled_back"
    assert entry(result, "app-3")["outcome"] == entry(result, "app-4")["outcome"] == "untouched"
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)
    # The bulk PATCH is idempotent, so a 500 is retried within the bounds; the emulator's 500 changed nothing there.
    assert count(api_log(emu), "PATCH", bulk_path(target)) == 1 + RETRIES
    assert_no_secret(result)


def test_500_without_rollback_reports_what_was_written(emu, run_module, target):
    emu.configure(fail_paths=["PATCH /api/v1/applications/%s/envs/bulk$" % target])
    result = run_module(coolify_env, env_args(emu.api_url, rollback=False))
    assert result["failed"] and result["changed"]
    assert [entry(result, name)["outcome"] for name in NAMES] == ["written", "failed", "written", "written"]
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert count(api_log(emu), "PATCH", bulk_path(target)) == 1 + RETRIES
    assert_no_secret(result)


@pytest.mark.parametrize("status,body,content_type", [
    (502, HTML_502, "text/html"),
    (503, JSON_503, "application/json"),
    (504, HTML_504, "text/html"),
], ids=["502-html", "503-json", "504-html"])
def test_gateway_errors_persistent_on_a_write(emu, proxy, run_module, target, status, body, content_type):
    proxy.add_rule("answer", bulk_path(target), method="PATCH", times=1 + RETRIES, status=status, body=body,
                   content_type=content_type)
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert result["failed"]
    app2 = entry(result, "app-2")
    assert "HTTP %d" % status in app2["error"]
    # Bounded retries. After a proxy's 502/504 the write may still land: the rollback rewrites the snapshot anyway and
    # does not claim it restored (a maintenance 503 was never processed: nothing to restore there).
    in_flight = status != 503
    assert len(proxy.attempts("PATCH", bulk_path(target))) == 1 + RETRIES + in_flight
    assert app2["rolled_back"] is not in_flight and (app2["outcome"] == "unknown") is in_flight, app2
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)
    assert_no_secret(result)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_transient_on_a_write(emu, proxy, run_module, target, status):
    proxy.add_rule("answer", bulk_path(target), method="PATCH", times=1, status=status, body=HTML_502)
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert not result["failed"], result["msg"]
    assert result["summary"]["written"] == 4
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert count(api_log(emu), "PATCH", bulk_path(target)) == 1


@pytest.mark.parametrize("kind", ["reset_before", "reset_after"])
def test_connection_reset_once_on_a_write_is_retried_and_written(emu, proxy, run_module, target, kind):
    """The bulk PATCH sets values, so sending it again is safe: a lost answer is retried by the transport, not settled."""
    proxy.add_rule(kind, bulk_path(target), method="PATCH", times=1)
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert not result["failed"], result["msg"]
    assert [entry(result, name)["outcome"] for name in NAMES] == ["written"] * 4
    assert entry(result, "app-2")["settled"] is None, "the retry got an answer: nothing to settle"
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    attempts = proxy.attempts("PATCH", bulk_path(target))
    assert attempts[0]["injected"] == kind and len(attempts) == 2, attempts
    assert count(api_log(emu), "PATCH", bulk_path(target)) == (2 if kind == "reset_after" else 1)
    assert_no_secret(result)


def test_connection_reset_after_every_write_attempt_is_settled_as_written(emu, proxy, run_module, target):
    """Every attempt lands and loses its answer: the transport gives up (outcome unknown), and re-reading the rows
    settles it as written: changed, restarted under restart=changed, never reported as "not changed"."""
    proxy.add_rule("reset_after", bulk_path(target), method="PATCH", times=1 + RETRIES)
    result = run_module(coolify_env, env_args(proxy.api_url, restart="changed"))
    assert not result["failed"], result["msg"]
    app2 = entry(result, "app-2")
    assert app2["outcome"] == "written" and app2["changed"] and app2["settled"] == "written" and app2["restarted"]
    assert result["summary"]["written"] == result["summary"]["restarted"] == 4
    assert any("app-2" in warning and "re-reading" in warning for warning in result["warnings"])
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    attempts = proxy.attempts("PATCH", bulk_path(target))
    assert [attempt["injected"] for attempt in attempts] == ["reset_after"] * (1 + RETRIES), "never resent beyond the bounds"
    assert count(api_log(emu), "POST", api_path("applications", target, "restart")) == 1
    assert_no_secret(result)


def test_connection_reset_before_every_write_attempt_is_unknown_and_rolled_back(emu, proxy, run_module, target):
    proxy.add_rule("reset_before", bulk_path(target), method="PATCH", times=1 + RETRIES)
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert result["failed"]
    assert_one_sentence(result["msg"])
    app2 = entry(result, "app-2")
    # Nothing landed, but a reset after sending cannot prove it never will: unknown, so the snapshot is rewritten, and
    # the rollback does not claim it restored (a late landing would undo it).
    assert app2["settled"] == "unknown" and not app2["rolled_back"] and app2["outcome"] == "unknown", app2
    assert app2["changed"] and app2["not_restored"] == ["API_KEY"] and "unknown" in app2["error"].lower()
    assert entry(result, "app-1")["outcome"] == "rolled_back"
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)
    attempts = proxy.attempts("PATCH", bulk_path(target))
    # Bounded; the restore rewrote the snapshot although the re-read showed it.
    assert [attempt["injected"] for attempt in attempts] == ["reset_before"] * (1 + RETRIES) + [None], attempts
    assert count(api_log(emu), "PATCH", bulk_path(target)) == 1
    assert_no_secret(result)


def test_read_timeout_once_on_a_write_is_retried(emu, proxy, run_module, target):
    # A 3 s read timeout: the retry must get its answer in time even on a loaded machine (1 s was seen to run out).
    proxy.add_rule("delay_after", bulk_path(target), method="PATCH", times=1, seconds=6)
    result = run_module(coolify_env, env_args(proxy.api_url, rollback=False, timeout=3, restart="changed"))
    assert not result["failed"], result["msg"]
    app2 = entry(result, "app-2")
    assert app2["outcome"] == "written" and app2["settled"] is None and app2["restarted"]
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert env_value(emu.state(), target) == NEW_SECRET
    assert count(api_log(emu), "PATCH", bulk_path(target)) == 2, "the idempotent write is sent again once"
    assert count(api_log(emu), "POST", api_path("applications", target, "restart")) == 1
    assert_no_secret(result)


def test_read_timeout_on_every_write_attempt_with_rollback_is_settled_as_written(emu, proxy, run_module, target):
    proxy.add_rule("delay_after", bulk_path(target), method="PATCH", times=1 + RETRIES, seconds=1.5)
    result = run_module(coolify_env, env_args(proxy.api_url, timeout=1))
    assert not result["failed"], result["msg"]
    app2 = entry(result, "app-2")
    assert app2["outcome"] == "written" and app2["changed"] and app2["settled"] == "written"
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert count(api_log(emu), "PATCH", bulk_path(target)) == 1 + RETRIES
    assert_no_secret(result)


@pytest.mark.parametrize("restart", ["none", "changed"])
def test_lost_answers_on_a_write_count_as_written_and_are_restarted(emu, run_module, target, restart):
    """--lose-response: Coolify processes the write in full, then the proxy answers 504 (every attempt)."""
    emu.configure(lose_paths=["PATCH /api/v1/applications/%s/envs/bulk$" % target])
    result = run_module(coolify_env, env_args(emu.api_url, rollback=False, restart=restart))
    assert not result["failed"], result["msg"]
    app2 = entry(result, "app-2")
    assert app2["outcome"] == "written" and app2["changed"] and app2["settled"] == "written"
    assert app2["restarted"] is (restart == "changed")
    assert result["summary"]["written"] == 4 and result["summary"]["changed"] == 4
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert 1 <= count(api_log(emu), "PATCH", bulk_path(target)) <= 1 + RETRIES
    if restart == "changed":
        assert count(api_log(emu), "POST", api_path("applications", target, "restart")) == 1
    assert_no_secret(result)


def test_a_lost_answer_then_a_failure_rolls_back_the_maybe_written_resource(emu, run_module):
    app1, app2 = uuids_of(emu.state(), "applications", ["app-1", "app-2"])
    emu.configure(lose_paths=["PATCH /api/v1/applications/%s/envs/bulk$" % app1],
                  fail_paths=["PATCH /api/v1/applications/%s/envs/bulk$" % app2])
    result = run_module(coolify_env, env_args(emu.api_url, max_workers=1))
    assert result["failed"] and result["changed"]
    app1_entry = entry(result, "app-1")
    # Restored, but a lost attempt may still land later: not claimed rolled back, reported unknown.
    assert app1_entry["settled"] == "written" and app1_entry["outcome"] == "unknown" and not app1_entry["rolled_back"]
    assert app1_entry["not_restored"] == ["API_KEY"] and app1_entry["changed"]
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)
    assert_no_secret(result)


def test_429_storm(emu, run_module):
    emu.configure(rate_limit=4, rate_window=1.0)
    result = run_module(coolify_env, env_args(emu.api_url, max_retries=8))
    assert not result["failed"], result["msg"]
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    log = api_log(emu)
    assert [item for item in log if item["status"] == 429], "no 429 was provoked"
    for uuid in uuids_of(emu.state(), "applications", NAMES):
        assert count(log, "PATCH", bulk_path(uuid), status=201) == 1


def test_429_forever_on_a_write(emu, proxy, run_module, target):
    proxy.add_rule("answer", bulk_path(target), method="PATCH", times=1 + RETRIES, status=429, body=JSON_429,
                   content_type="application/json",
                   headers=[("Retry-After", "1"), ("X-RateLimit-Limit", "200"), ("X-RateLimit-Remaining", "0")])
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert result["failed"] and "429" in entry(result, "app-2")["error"]
    assert len(proxy.attempts("PATCH", bulk_path(target))) == 1 + RETRIES
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)


def test_html_page_on_a_read_fails_before_any_write(emu, proxy, run_module, target):
    proxy.add_rule("answer", r"^/api/v1/applications/%s/envs$" % target, method="GET", status=200, body=HTML_LOGIN,
                   content_type="text/html")
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert result["failed"] and not result["changed"]
    assert_one_sentence(result["msg"])
    assert "nothing was written" in result["msg"]
    assert not writes(api_log(emu))
    assert_no_secret(result)


def test_html_502_page_on_a_write(emu, proxy, run_module, target):
    proxy.add_rule("answer", bulk_path(target), method="PATCH", times=1 + RETRIES, status=502, body=HTML_502)
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert result["failed"] and "502" in entry(result, "app-2")["error"]
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)


def test_malformed_json_on_a_read_fails_before_any_write(emu, proxy, run_module, target):
    proxy.add_rule("bad_json", r"^/api/v1/applications/%s/envs$" % target, method="GET")
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert result["failed"] and "JSON" in result["msg"]
    assert_one_sentence(result["msg"])
    assert not writes(api_log(emu))
    assert_no_secret(result)


def test_malformed_json_on_a_write_is_settled_by_reading_back(emu, proxy, run_module, target):
    proxy.add_rule("bad_json", bulk_path(target), method="PATCH", times=1)
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert not result["failed"], result["msg"]
    assert entry(result, "app-2")["settled"] == "written"
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_no_secret(result)


def test_api_disabled(emu, run_module):
    emu.configure(api_enabled=False)
    result = run_module(coolify_env, env_args(emu.api_url))
    assert result["failed"] and "API is disabled" in result["msg"]
    assert_one_sentence(result["msg"])
    assert len(api_log(emu)) == 1 and not writes(api_log(emu))
    assert_no_secret(result)


def test_token_without_write(emu, run_module):
    result = run_module(coolify_env, env_args(emu.api_url, api_token=NO_WRITE_TOKEN))
    assert result["failed"] and not result["changed"]
    for name in ("app-1", "app-2"):
        assert "write" in entry(result, name)["error"] and "403" in entry(result, name)["error"]
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)
    log = api_log(emu)
    assert not [item for item in writes(log) if item["status"] < 300]
    for uuid in uuids_of(emu.state(), "applications", ["app-1", "app-2"]):
        assert count(log, "PATCH", bulk_path(uuid)) == 1, "a 403 is not retried (and the restore is never sent)"
    assert_no_secret(result)


def test_resource_deleted_mid_batch(emu, proxy, run_module):
    first, doomed = uuids_of(emu.state(), "applications", ["app-1", "app-2"])

    def delete_app_2(method, path):  # pylint: disable=unused-argument
        emu.delete_resource(doomed)

    proxy.add_rule("hook", bulk_path(first), method="PATCH", times=1, hook=delete_app_2)
    result = run_module(coolify_env, env_args(proxy.api_url, max_workers=1))
    assert result["failed"]
    gone = entry(result, "app-2")
    assert gone["failed"] and "404" in gone["error"]
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert entry(result, "app-1")["outcome"] == "rolled_back"
    assert_no_secret(result)


def test_full_deployment_queue_is_never_hit_by_the_restarts(emu, run_module):
    """Build slots keep the restarts within concurrent_builds + deployment_queue_limit per server: all finish."""
    emu.configure(queue_limit=1, concurrent_builds=1, deploy_seconds=0.3)
    result = run_module(coolify_env, env_args(emu.api_url, restart="changed", max_workers=4))
    assert not result["failed"], result["msg"]
    assert_one_sentence(result["msg"])
    assert all(item["restarted"] and not item["rolled_back"] for item in result["resources"]), result["msg"]
    assert not [entry for entry in api_log(emu) if entry["status"] in (404, 429)]
    assert_no_secret(result)


def test_failed_deployment_after_a_rotation_rolls_back(emu, run_module, target):
    emu.configure(deploy_outcomes={target: "failed"})
    result = run_module(coolify_env, env_args(emu.api_url, restart="changed", max_workers=4))
    assert result["failed"]
    app2 = entry(result, "app-2")
    assert app2["failed"] and "failed" in app2["error"]
    for name in NAMES:
        assert entry(result, name)["rolled_back"], entry(result, name)
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)
    # Restarted with the new values, then restarted again with the restored ones.
    state = emu.state()
    for uuid in uuids_of(state, "applications", NAMES):
        assert len([dep for dep in state["deployments"] if dep["application_uuid"] == uuid]) == 2
    assert_no_secret(result)


def test_restarts_report_the_real_state(emu, run_module):
    result = run_module(coolify_env, env_args(emu.api_url, restart="changed", max_workers=4))
    assert not result["failed"], result["msg"]
    assert result["summary"]["restarted"] == 4
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    # The restarts went through the batch engine: one finished deployment per application.
    state = emu.state()
    for uuid in uuids_of(state, "applications", NAMES):
        deployments = [dep for dep in state["deployments"] if dep["application_uuid"] == uuid]
        assert [dep["status"] for dep in deployments] == ["finished"]
    assert_no_secret(result)


@pytest.mark.parametrize("fault", ["500", "reset_after", "deleted"])
def test_service_env_faults(emu, proxy, run_module, fault):
    uuids = uuids_of(emu.state(), "services", SERVICE_NAMES)
    target = uuids[1]
    if fault == "500":
        emu.configure(fail_paths=["PATCH /api/v1/services/%s/envs/bulk$" % target])
    elif fault == "reset_after":
        # Every attempt (the idempotent PATCH is retried within the bounds) is applied and its answer lost.
        proxy.add_rule("reset_after", bulk_path(target, "services"), method="PATCH", times=1 + RETRIES)
    else:
        proxy.add_rule("hook", bulk_path(uuids[0], "services"), method="PATCH", times=1,
                       hook=lambda method, path: emu.delete_resource(target))
    args = connection(proxy.api_url, names=SERVICE_NAMES, resource_type="service", env={"SMTP_PASSWORD": NEW_SECRET},
                      rollback=True, max_workers=1 if fault == "deleted" else 2)
    result = run_module(coolify_env, args)
    check_env_entries(result, emu, SERVICE_SECRET, NEW_SECRET, key="SMTP_PASSWORD")
    state = emu.state()
    assert_no_secret(result)
    if fault == "reset_after":
        # The write landed before the answer was lost: settled as written, nothing to roll back.
        assert not result["failed"], result["msg"]
        assert [env_value(state, uuid, "SMTP_PASSWORD") for uuid in uuids] == [NEW_SECRET] * 3
        return
    assert result["failed"]
    assert_one_sentence(result["msg"])
    for uuid in uuids:
        assert env_value(state, uuid, "SMTP_PASSWORD") in (SERVICE_SECRET, "deleted")


def test_service_restart_after_rotation(emu, run_module):
    args = connection(emu.api_url, names=SERVICE_NAMES, resource_type="service", env={"SMTP_PASSWORD": NEW_SECRET},
                      restart="changed")
    result = run_module(coolify_env, args)
    assert not result["failed"], result["msg"]
    assert result["summary"]["restarted"] == 3
    check_env_entries(result, emu, SERVICE_SECRET, NEW_SECRET, key="SMTP_PASSWORD")
    check_lifecycle_items("service", {"services": []}, emu)
    assert_no_secret(result)


@pytest.mark.parametrize("bad_reads", [2, None], ids=["transient", "persistent"])
def test_the_restore_is_retried_in_rounds_and_lists_what_stays_changed(emu, proxy, run_module, target, bad_reads):
    """app-2's write fails; then app-1's restore reads get a mangled answer (not retried by the transport): twice, or
    for ever. The restore retries in rounds; when it cannot finish, the keys left changed are listed, never values."""
    app1 = uuids_of(emu.state(), "applications", ["app-1"])[0]
    envs_path = api_path("applications", app1, "envs")

    def break_app1_reads(method, path):  # pylint: disable=unused-argument
        proxy.add_rule("bad_json", envs_path, method="GET", times=bad_reads)

    proxy.add_rule("hook", bulk_path(target), method="PATCH", times=1, hook=break_app1_reads)
    emu.configure(fail_paths=["PATCH /api/v1/applications/%s/envs/bulk$" % target])
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert result["failed"]
    assert_one_sentence(result["msg"])
    app1_entry = entry(result, "app-1")
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    if bad_reads:
        assert app1_entry["outcome"] == "rolled_back" and app1_entry["not_restored"] == []
        assert_all_old(emu)
        assert "not restored" not in result["msg"]
    else:
        # Not even the final read worked, so the key is listed as unknown; the value really is still the new one.
        assert app1_entry["outcome"] == "unknown" and app1_entry["not_restored"] == ["API_KEY"]
        assert "API_KEY (unknown)" in app1_entry["error"]
        assert "not restored: app-1 (%s): API_KEY." % app1 in result["msg"]
        assert result["summary"]["keys_not_restored"] == 1
        assert env_value(emu.state(), app1, "API_KEY") == NEW_SECRET
    # Bounded: three rounds, then one read to list what is left.
    assert 3 <= len(proxy.attempts("GET", envs_path)) - 1 <= 4
    assert_no_secret(result)
