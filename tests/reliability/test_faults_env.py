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
    # One failed write (a 500 is not retried); nothing reached app-2, so the rollback has nothing to restore there.
    assert count(api_log(emu), "PATCH", bulk_path(target)) == 1
    assert_no_secret(result)


def test_500_without_rollback_reports_what_was_written(emu, run_module, target):
    emu.configure(fail_paths=["PATCH /api/v1/applications/%s/envs/bulk$" % target])
    result = run_module(coolify_env, env_args(emu.api_url, rollback=False))
    assert result["failed"] and result["changed"]
    assert [entry(result, name)["outcome"] for name in NAMES] == ["written", "failed", "written", "written"]
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert count(api_log(emu), "PATCH", bulk_path(target)) == 1
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
    assert "HTTP %d" % status in entry(result, "app-2")["error"]
    assert len(proxy.attempts("PATCH", bulk_path(target))) == 1 + RETRIES, "bounded retries; nothing to restore there"
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
def test_connection_reset_on_a_write_is_unknown_and_rolled_back(emu, proxy, run_module, target, kind):
    proxy.add_rule(kind, bulk_path(target), method="PATCH", times=1)
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert result["failed"]
    assert "unknown" in entry(result, "app-2")["error"].lower()
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)
    attempts = proxy.attempts("PATCH", bulk_path(target))
    assert attempts[0]["injected"] == kind
    # The write is never resent. After reset_after it had been applied, so the rollback sends one restoring PATCH.
    assert len(attempts) == (2 if kind == "reset_after" else 1), attempts
    assert_no_secret(result)


def test_read_timeout_on_a_write_is_unknown_and_not_resent(emu, proxy, run_module, target):
    proxy.add_rule("delay_after", bulk_path(target), method="PATCH", times=1, seconds=2.5)
    result = run_module(coolify_env, env_args(proxy.api_url, rollback=False, timeout=1))
    assert result["failed"]
    app2 = entry(result, "app-2")
    assert app2["failed"] and "unknown" in app2["error"].lower()
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert count(api_log(emu), "PATCH", bulk_path(target)) == 1, "exactly one PATCH: a timed-out write is never resent"
    assert_no_secret(result)


def test_read_timeout_on_a_write_with_rollback(emu, proxy, run_module, target):
    proxy.add_rule("delay_after", bulk_path(target), method="PATCH", times=1, seconds=2.0)
    result = run_module(coolify_env, env_args(proxy.api_url, timeout=1))
    assert result["failed"]
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


def test_malformed_json_on_a_write_is_rolled_back(emu, proxy, run_module, target):
    proxy.add_rule("bad_json", bulk_path(target), method="PATCH", times=1)
    result = run_module(coolify_env, env_args(proxy.api_url))
    assert result["failed"]
    check_env_entries(result, emu, APP_SECRET, NEW_SECRET)
    assert_all_old(emu)
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
        proxy.add_rule("reset_after", bulk_path(target, "services"), method="PATCH", times=1)
    else:
        proxy.add_rule("hook", bulk_path(uuids[0], "services"), method="PATCH", times=1,
                       hook=lambda method, path: emu.delete_resource(target))
    args = connection(proxy.api_url, names=SERVICE_NAMES, resource_type="service", env={"SMTP_PASSWORD": NEW_SECRET},
                      rollback=True, max_workers=1 if fault == "deleted" else 2)
    result = run_module(coolify_env, args)
    assert result["failed"]
    assert_one_sentence(result["msg"])
    check_env_entries(result, emu, SERVICE_SECRET, NEW_SECRET, key="SMTP_PASSWORD")
    state = emu.state()
    for uuid in uuids:
        assert env_value(state, uuid, "SMTP_PASSWORD") in (SERVICE_SECRET, "deleted")
    assert_no_secret(result)


def test_service_restart_after_rotation(emu, run_module):
    args = connection(emu.api_url, names=SERVICE_NAMES, resource_type="service", env={"SMTP_PASSWORD": NEW_SECRET},
                      restart="changed")
    result = run_module(coolify_env, args)
    assert not result["failed"], result["msg"]
    assert result["summary"]["restarted"] == 3
    check_env_entries(result, emu, SERVICE_SECRET, NEW_SECRET, key="SMTP_PASSWORD")
    check_lifecycle_items("service", {"services": []}, emu)
    assert_no_secret(result)
