# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input: the task fails with a one-sentence error before any write, and the emulator's log shows zero writes.

Covers selectors (unknown, ambiguous, empty, duplicate, out of scope), env keys and values, conflicting options,
and api_url problems (no scheme, wrong scheme, unreachable host, credentials in the URL), for coolify_app_batch,
coolify_service_batch and coolify_env. TLS with a self-signed certificate is in test_tls.py.
"""

from __future__ import annotations

import socket

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch, coolify_env, coolify_service_batch

# pylint: disable=import-error
from _support import (
    NEW_SECRET,
    ROOT_TOKEN,
    api_log,
    assert_refused,
    connection,
    count,
    uuids_of,
    writes,
)

MODULES = {"app": coolify_app_batch, "service": coolify_service_batch, "env": coolify_env}


def base_args(which, api_url, **extra):
    if which == "app":
        args = connection(api_url, state="restarted")
    elif which == "service":
        args = connection(api_url, state="restarted")
    else:
        args = connection(api_url, env={"API_KEY": NEW_SECRET})
    args.update(extra)
    return args


# -- selectors ---------------------------------------------------------------------------------------------------------

SELECTOR_CASES = [
    ("app", {"names": ["no-such-app"]}, ["no-such-app"]),
    ("app", {"uuids": ["doesnotexist000000000000"]}, ["doesnotexist000000000000"]),
    ("app", {"names": ["twin"]}, ["twin", "ambiguous"]),
    ("app", {"names": []}, ["names=[]", "given but empty"]),
    ("app", {"names": [""]}, ["names=['']", "given but empty"]),
    ("app", {"tags": ["no-such-tag"]}, ["no-such-tag"]),
    ("app", {"names": ["app-1", "no-such-app"]}, ["no-such-app"]),
    ("app", {"names": ["app-1", "app-1"]}, ["repeated in names", "app-1"]),
    ("app", {"uuids": ["", "doesnotexist000000000000"]}, ["empty entry in uuids"]),
    ("service", {"names": ["svc-1", "svc-1"]}, ["repeated in names", "svc-1"]),
    ("env", {"names": ["app-1", "app-1"]}, ["repeated in names", "app-1"]),
    ("app", {"project": "no-such-project"}, ["no-such-project"]),
    ("app", {"project": "shop", "environment": "nowhere"}, ["nowhere"]),
    ("app", {"names": ["app-1"], "project": "shop", "environment": "staging"}, ["app-1"]),
    ("app", {"server": "no-such-server"}, ["no-such-server"]),
    ("service", {"names": ["no-such-service"]}, ["no-such-service"]),
    ("service", {"names": []}, ["names=[]", "given but empty"]),
    ("service", {"tags": ["rel"]}, ["tag"]),
    ("service", {"names": ["svc-1"], "server": "edge-02"}, ["svc-1"]),
    ("env", {"names": ["no-such-app"]}, ["no-such-app"]),
    ("env", {"names": ["twin"]}, ["twin"]),
    ("env", {"names": []}, ["names=[]", "given but empty"]),
    ("env", {"names": ["svc-1"], "resource_type": "service", "tags": ["rel"]}, ["tag"]),
]


@pytest.mark.parametrize("which,selectors,needles", SELECTOR_CASES,
                         ids=["%s-%s" % (case[0], "-".join("%s=%s" % item for item in sorted(case[1].items()))) for case in SELECTOR_CASES])
def test_bad_selectors_fail_before_any_write(emu, run_module, which, selectors, needles):
    result = run_module(MODULES[which], base_args(which, emu.api_url, **selectors))
    assert_refused(result, emu, *needles)


def test_every_offender_is_listed_in_one_error(emu, run_module):
    result = run_module(coolify_app_batch, base_args("app", emu.api_url, names=["ghost-1", "twin", "ghost-2"]))
    assert_refused(result, emu, "ghost-1", "ghost-2", "twin")


@pytest.mark.parametrize("which", ["app", "service", "env"])
def test_overlapping_selectors_act_once(emu, run_module, which):
    """A resource selected twice, by name and by uuid, is acted on exactly once (a repeat inside one list is refused above)."""
    table = "services" if which == "service" else "applications"
    name = "svc-1" if which == "service" else "app-1"
    uuid = uuids_of(emu.state(), table, [name])[0]
    extra = {"names": [name], "uuids": [uuid]}
    if which == "env":
        extra["resource_type"] = "application"
    result = run_module(MODULES[which], base_args(which, emu.api_url, **extra))
    log = api_log(emu)
    assert not result["failed"], result["msg"]
    key = "resources" if which == "env" else table
    assert [item["uuid"] for item in result[key]] == [uuid]
    if which == "env":
        assert count(log, "PATCH", r"/%s/%s/envs/bulk$" % (table, uuid)) == 1
    else:
        assert count(log, "POST", r"/%s/%s/restart$" % (table, uuid)) == 1
    assert len(writes(log)) == 1


# -- env keys, values and options --------------------------------------------------------------------------------------

ENV_CASES = [
    ({"1BAD": "x"}, ["1BAD"]),
    ({"BAD KEY": "x"}, ["BAD KEY"]),
    ({"BAD-KEY": "x"}, ["BAD-KEY"]),
    ({"K" * 256: "x"}, ["longer than 255"]),
    ({"GOOD": "x", "ÄPFEL": "y"}, ["ÄPFEL"]),
    ({"PORT": 8080}, ["PORT", "int"]),
    ({"DEBUG": True}, ["DEBUG", "bool"]),
    ({"RATIO": 1.5}, ["RATIO", "float"]),
    ({"LIST": ["a", "b"]}, ["LIST"]),
    ({"NESTED": {"value": 5}}, ["NESTED"]),
    ({"NOVALUE": {"is_literal": True}}, ["NOVALUE", "value"]),
    ({"FLAG": {"value": "x", "is_literal": "maybe"}}, ["FLAG", "is_literal"]),
    ({"EXTRA": {"value": "x", "colour": "red"}}, ["EXTRA", "colour"]),
    ({"NOTE": {"value": "x", "comment": "c" * 300}}, ["NOTE"]),
    ({"SERVICE_FQDN_APP": "https://x.example.com"}, ["SERVICE_FQDN_APP"]),
]


@pytest.mark.parametrize("env,needles", ENV_CASES, ids=["env-%d" % index for index in range(len(ENV_CASES))])
def test_bad_env_input_fails_before_any_write(emu, run_module, env, needles):
    result = run_module(coolify_env, connection(emu.api_url, names=["app-1", "app-2"], env=env))
    assert_refused(result, emu, *needles)


def test_bad_env_among_good_ones_writes_nothing_anywhere(emu, run_module):
    env = {"A_OK": "1", "B_OK": NEW_SECRET, "C BAD": "x"}
    result = run_module(coolify_env, connection(emu.api_url, names=["app-1", "app-2", "app-3"], env=env))
    assert_refused(result, emu, "C BAD")


CONFLICT_CASES = [
    ("app", {"names": ["app-1"], "strategy": "rolling", "wait": False}, ["rolling", "wait"]),
    ("app", {"names": ["app-1"], "max_workers": 0}, ["max_workers"]),
    ("app", {"names": ["app-1"], "batch_size": 0}, ["batch_size"]),
    ("app", {"names": ["app-1"], "max_fail_percentage": 150}, ["max_fail_percentage"]),
    ("app", {"names": ["app-1"], "wait_timeout": 0}, ["wait_timeout"]),
    ("app", {"names": ["app-1"], "state": "exploded"}, ["state"]),
    ("app", {"environment": "production"}, ["project"]),
    ("service", {"names": ["svc-1"], "strategy": "rolling", "wait": False}, ["rolling"]),
    ("service", {"names": ["svc-1"], "state": "deployed"}, ["state"]),
    ("env", {"names": ["svc-1"], "resource_type": "service", "scope": "preview"}, ["preview"]),
    ("env", {"names": ["app-1"], "restart": "changed", "strategy": "rolling", "wait": False}, ["rolling"]),
    ("env", {"names": ["app-1"], "state": "absent", "prune": True}, ["prune"]),
]


@pytest.mark.parametrize("which,extra,needles", CONFLICT_CASES, ids=["conflict-%d" % index for index in range(len(CONFLICT_CASES))])
def test_conflicting_options_fail_before_any_write(emu, run_module, which, extra, needles):
    result = run_module(MODULES[which], base_args(which, emu.api_url, **extra))
    assert_refused(result, emu, *needles)


# -- api_url -----------------------------------------------------------------------------------------------------------


def closed_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


URL_CASES = [
    ("coolify.example.com", ["no scheme"]),
    ("127.0.0.1:8000/api/v1", ["scheme"]),
    ("ftp://127.0.0.1/api/v1", ["ftp"]),
    ("https://admin:hunter2@127.0.0.1/api/v1", ["credentials"]),
    ("https://", ["host"]),
    ("", ["empty"]),
]


@pytest.mark.parametrize("which", ["app", "service", "env"])
@pytest.mark.parametrize("url,needles", URL_CASES, ids=["url-%d" % index for index in range(len(URL_CASES))])
def test_bad_api_url_fails_with_one_sentence(emu, run_module, which, url, needles):
    extra = {"names": ["svc-1"] if which == "service" else ["app-1"]}
    result = run_module(MODULES[which], base_args(which, url, **extra))
    assert_refused(result, emu, *needles)
    assert "hunter2" not in result["msg"]
    assert not api_log(emu), "nothing may reach the API"


@pytest.mark.parametrize("which", ["app", "service", "env"])
def test_unreachable_host_fails_with_one_sentence(emu, run_module, which):
    extra = {"names": ["svc-1"] if which == "service" else ["app-1"]}
    port = closed_port()
    result = run_module(MODULES[which], base_args(which, "http://127.0.0.1:%d" % port, **extra))
    assert_refused(result, emu, "connection refused", "at 127.0.0.1:%d" % port, "check api_url")
    assert not api_log(emu)


@pytest.mark.parametrize("which", ["app", "service", "env"])
@pytest.mark.parametrize("path", ["/api/v2", "/api", "/coolify", "/api/v1/applications"])
def test_api_url_with_another_path_is_refused_saying_what_is_expected(emu, run_module, which, path):
    """Issue 11: /api/v2 was sent to /api/v2/api/v1/... and the error read "returned HTTP 404"."""
    extra = {"names": ["svc-1"] if which == "service" else ["app-1"]}
    result = run_module(MODULES[which], base_args(which, emu.base_url.rstrip("/") + path, **extra))
    assert_refused(result, emu, "has the path %s" % path, "/api/v1", "api_url")
    assert not api_log(emu), "nothing may be sent to a guessed address"


@pytest.mark.parametrize("which", ["app", "service", "env"])
def test_http_errors_name_the_host_and_the_option_to_check(emu, run_module, which):
    extra = {"names": ["svc-1"] if which == "service" else ["app-1"], "api_token": ROOT_TOKEN[:-4] + "ffff"}
    result = run_module(MODULES[which], base_args(which, emu.api_url, **extra))
    host = emu.api_url.split("://", 1)[1].split("/", 1)[0]
    assert_refused(result, emu, "HTTP 401", "at %s" % host, "check api_token")


def test_wrong_token_fails_with_one_sentence_and_no_token(emu, run_module):
    wrong = ROOT_TOKEN[:-4] + "ffff"
    result = run_module(coolify_app_batch, base_args("app", emu.api_url, names=["app-1"], api_token=wrong))
    assert_refused(result, emu, "401")
    assert wrong not in result["msg"] and wrong.split("|")[1] not in str(result)
