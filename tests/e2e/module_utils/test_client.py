# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CoolifyClient over real HTTP against the emulator (the pure tests of URL handling and the pacer are in tests/unit).

Nothing here mocks requests or the client: every HTTP test talks to a real emulator process over loopback, or (for
headers, HTML pages and redirects the emulator does not produce) to a tiny stdlib HTTP server in this file.
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _http
from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._errors import (
    ApiDisabledError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CoolifyError,
    InvalidResponseError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    ValidationError,
)
from ansible_collections.coolops.coolify.plugins.module_utils._fanout import run_batch
from ansible_collections.coolops.coolify.tests.e2e.loopback import ScriptedHandler, serve
from ansible_collections.coolops.coolify.tests.unit.fake_clock import FakeClock


def make_client(emu, token=None, **kwargs):
    kwargs.setdefault("max_retries", 0)
    return CoolifyClient(emu.api_url, token or emu.token, **kwargs)


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# ---------------------------------------------------------------------------------------------------------------------
# A tiny real HTTP server for what the emulator cannot show (request headers, HTML 200 pages, redirects, bad JSON).
# ---------------------------------------------------------------------------------------------------------------------


@pytest.fixture
def capture_server():
    with serve(ScriptedHandler, seen=[], script={}) as server:
        yield server


# ---------------------------------------------------------------------------------------------------------------------
# Over HTTP: headers, URL forms, pooling
# ---------------------------------------------------------------------------------------------------------------------


def test_headers_on_every_request(capture_server):
    client = CoolifyClient(capture_server.url, "5|header-check-token")
    client.list_applications()
    client.resource_action("application", "abc", "restart")
    client.request("POST", "/applications/abc/envs", json={"key": "A", "value": "b"})
    assert [s["method"] for s in capture_server.seen] == ["GET", "POST", "POST"]
    for seen in capture_server.seen:
        headers = dict((k.lower(), v) for k, v in seen["headers"].items())
        assert headers["authorization"] == "Bearer 5|header-check-token"
        assert headers["accept"] == "application/json"
        assert headers["content-type"] == "application/json"
        assert headers["user-agent"] == "coolops.coolify/%s" % _http.COLLECTION_VERSION
    assert capture_server.seen[1]["path"] == "/api/v1/applications/abc/restart"


@pytest.mark.parametrize("suffix", ["", "/", "/api/v1", "/api/v1/"])
def test_every_base_url_form_reaches_the_api(emulator, suffix):
    client = CoolifyClient(emulator.base_url.rstrip("/") + suffix, emulator.token)
    assert client.api_url == emulator.api_url.rstrip("/")
    assert len(client.list_applications()) > 0


def test_pool_is_sized_to_the_fan_out_and_connections_are_reused(emulator):
    client = make_client(emulator, pool_size=6)
    adapter = client._session.get_adapter(client.api_url)
    assert adapter._pool_maxsize == 6
    assert adapter.max_retries.total == 0  # retries are ours
    run_batch(range(60), lambda i: client.get("/version" if i % 2 else "/servers"), max_workers=6)
    pool = adapter.poolmanager.connection_from_url(client.api_url)
    assert pool.num_connections <= 6  # 60 requests over at most 6 kept-alive connections


def test_resource_helpers_against_the_emulator(emulator):
    client = make_client(emulator)
    apps = client.list_applications()
    assert apps and all("uuid" in a for a in apps)
    assert client.get_resource("application", apps[0]["uuid"])["uuid"] == apps[0]["uuid"]
    services = client.list_services()
    assert services and client.get_resource("service", services[0]["uuid"])["uuid"] == services[0]["uuid"]
    servers = client.list_servers()
    resources = client.server_resources(servers[0]["uuid"])
    assert isinstance(resources, list)
    projects = client.list_projects()
    project = client.get_project(projects[0]["uuid"])
    envs = client.project_environments(projects[0]["uuid"])
    assert [e["uuid"] for e in envs] == [e["uuid"] for e in project["environments"]]
    env = client.get_environment(projects[0]["uuid"], envs[0]["name"])
    assert "applications" in env and "services" in env
    assert isinstance(client.list_resources(), list)
    assert isinstance(client.list_deployments(), list)
    history = client.application_deployments(apps[0]["uuid"], take=3)
    assert set(history) == {"count", "deployments"}


def test_actions_are_posted_and_deployments_tracked(emulator):
    client = make_client(emulator)
    app = client.list_applications()[0]
    answer = client.resource_action("application", app["uuid"], "restart")
    assert answer.get("deployment_uuid")
    deployment = client.get_deployment(answer["deployment_uuid"])
    assert deployment["deployment_uuid"] == answer["deployment_uuid"]
    posts = [r for r in emulator.requests_log() if r["method"] != "GET"]
    assert [r["path"] for r in posts] == ["/api/v1/applications/%s/restart" % app["uuid"]]


def test_env_helpers_round_trip(emulator):
    client = make_client(emulator)
    app = client.list_applications()[0]
    bulk = client.bulk_update_envs("application", app["uuid"], [{"key": "COOLOPS_T1", "value": "x"}])
    assert [row["key"] for row in bulk] == ["COOLOPS_T1"]
    rows = [row for row in client.list_envs("application", app["uuid"]) if row["key"] == "COOLOPS_T1"]
    assert rows
    for row in rows:
        client.delete_env("application", app["uuid"], row["uuid"])
    assert not [row for row in client.list_envs("application", app["uuid"]) if row["key"] == "COOLOPS_T1"]


def test_list_deployments_accepts_the_object_keyed_quirk(capture_server):
    body = json.dumps({"1": {"deployment_uuid": "b"}, "0": {"deployment_uuid": "a"}}).encode()
    capture_server.script["/api/v1/deployments"] = (200, "application/json", body, {})
    client = CoolifyClient(capture_server.url, "t")
    assert [d["deployment_uuid"] for d in client.list_deployments()] == ["a", "b"]


def assert_one_sentence(error, method, path, status):
    text = str(error)
    assert text.startswith("Coolify API %s %s " % (method, path)), text
    assert text.endswith("."), text
    assert ". " not in text.rstrip("."), text
    if status is not None:
        assert "HTTP %s" % status in text
    assert error.method == method and error.path == path and error.status == status
    details = error.to_dict()
    assert details["msg"] == text and details["status_code"] == status and details["method"] == method


def test_authentication_error(emulator):
    client = make_client(emulator, token="1|not-the-right-token")
    with pytest.raises(AuthenticationError) as info:
        client.list_applications()
    assert_one_sentence(info.value, "GET", "/applications", 401)
    assert "Unauthenticated" in str(info.value)


def test_permission_denied_error(emulator_factory):
    emu = emulator_factory("--add-token", "2|read-only-token=read@0")
    client = make_client(emu, token="2|read-only-token")
    app = client.list_applications()[0]
    with pytest.raises(PermissionDeniedError) as info:
        client.resource_action("application", app["uuid"], "restart")
    assert not isinstance(info.value, ApiDisabledError)
    assert_one_sentence(info.value, "POST", "/applications/%s/restart" % app["uuid"], 403)
    assert "Missing required permissions: deploy" in str(info.value)


def test_api_disabled_error(emulator_factory):
    emu = emulator_factory("--api-disabled")
    with pytest.raises(ApiDisabledError) as info:
        make_client(emu).list_applications()
    assert isinstance(info.value, PermissionDeniedError)
    assert_one_sentence(info.value, "GET", "/applications", 403)
    assert "API is disabled" in str(info.value)


def test_not_found_error(emulator):
    with pytest.raises(NotFoundError) as info:
        make_client(emulator).get_resource("application", "does-not-exist")
    assert_one_sentence(info.value, "GET", "/applications/does-not-exist", 404)
    assert "Application not found" in str(info.value)


def test_bad_request_error(emulator):
    client = make_client(emulator)
    running = [s for s in client.list_services() if s["status"].startswith("running")]
    assert running, "the seeded fleet has a running service"
    with pytest.raises(BadRequestError) as info:
        client.resource_action("service", running[0]["uuid"], "start")
    assert_one_sentence(info.value, "POST", "/services/%s/start" % running[0]["uuid"], 400)
    assert "Service is already running" in str(info.value)


def test_conflict_error(emulator):
    client = make_client(emulator)
    app = client.list_applications()[0]
    client.request("POST", "/applications/%s/envs" % app["uuid"], json={"key": "COOLOPS_DUP", "value": "1"})
    with pytest.raises(ConflictError) as info:
        client.request("POST", "/applications/%s/envs" % app["uuid"], json={"key": "COOLOPS_DUP", "value": "2"})
    assert_one_sentence(info.value, "POST", "/applications/%s/envs" % app["uuid"], 409)
    assert "already exists" in str(info.value)


def test_validation_error_carries_field_errors(emulator):
    client = make_client(emulator)
    app = client.list_applications()[0]
    with pytest.raises(ValidationError) as info:
        client.request("POST", "/applications/%s/envs" % app["uuid"], json={"key": "1 bad key", "value": "x", "colour": "red"})
    error = info.value
    assert_one_sentence(error, "POST", "/applications/%s/envs" % app["uuid"], 422)
    assert set(error.errors) >= {"key", "colour"}
    assert "key:" in str(error) and error.to_dict()["errors"] == error.errors


def test_rate_limited_error_after_retries_are_exhausted(emulator_factory):
    emu = emulator_factory("--rate-limit", "2", "--rate-window", "120")
    clock = FakeClock()
    client = make_client(emu, max_retries=1, clock=clock, sleep=clock.sleep)
    client.get("/servers")
    client.get("/servers")
    with pytest.raises(RateLimitedError) as info:
        client.list_applications()
    assert_one_sentence(info.value, "GET", "/applications", 429)
    assert 100 <= info.value.retry_after <= 120
    assert client.stats["rate_limited"] == 2 and client.stats["retries"] == 1


def test_server_error(emulator_factory):
    emu = emulator_factory("--fail-path", "^GET /api/v1/servers$")
    clock = FakeClock()
    client = make_client(emu, max_retries=3, clock=clock, sleep=clock.sleep)
    with pytest.raises(ServerError) as info:
        client.list_servers()
    assert_one_sentence(info.value, "GET", "/servers", 500)
    assert client.stats["retries"] == 3  # an idempotent read is retried on a 500, within the bounds


def test_server_error_after_retrying_a_proxy_page(capture_server):
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    capture_server.script["/api/v1/servers"] = (502, "text/html", page, {})
    clock = FakeClock()
    client = CoolifyClient(capture_server.url, "t", max_retries=3, clock=clock, sleep=clock.sleep)
    with pytest.raises(ServerError) as info:
        client.list_servers()
    assert_one_sentence(info.value, "GET", "/servers", 502)
    assert "non-JSON text/html" in str(info.value)
    assert client.stats == {"requests": 4, "retries": 3, "rate_limited": 0}
    assert len(clock.sleeps) == 3 and clock.sleeps[0] < clock.sleeps[2]  # exponential back-off


def test_transport_error_connection_refused_is_retried_then_raised():
    clock = FakeClock()
    client = CoolifyClient("http://127.0.0.1:%d" % free_port(), "t", max_retries=2, clock=clock, sleep=clock.sleep)
    with pytest.raises(TransportError) as info:
        client.resource_action("application", "abc", "restart")  # never sent, so even an action may be retried
    assert not isinstance(info.value, OutcomeUnknownError)
    assert_one_sentence(info.value, "POST", "/applications/abc/restart", None)
    assert "connection refused" in str(info.value)
    assert client.stats["requests"] == 3 and client.stats["retries"] == 2


def test_outcome_unknown_error_on_an_action_read_timeout(emulator):
    emulator.configure(latency_ms=1500)
    client = make_client(emulator, timeout=0.3, max_retries=3)
    with pytest.raises(OutcomeUnknownError) as info:
        client.resource_action("application", "whatever-uuid", "restart")
    assert_one_sentence(info.value, "POST", "/applications/whatever-uuid/restart", None)
    assert "outcome is unknown" in str(info.value)
    assert client.stats["requests"] == 1  # never retried blindly


def test_read_timeout_on_a_get_is_retried(emulator):
    emulator.configure(latency_ms=800)
    clock = FakeClock()
    client = make_client(emulator, timeout=0.2, max_retries=2, clock=clock, sleep=clock.sleep)
    with pytest.raises(TransportError) as info:
        client.list_servers()
    assert not isinstance(info.value, OutcomeUnknownError)
    assert "read timeout" in str(info.value)
    assert client.stats["requests"] == 3


def test_invalid_response_error_for_a_proxy_html_page(capture_server):
    # Something in front of Coolify (or another web site) answers with an HTML 404 page.
    capture_server.script["/api/v1/applications"] = (404, "text/html", b"<html><title>404 Not Found</title></html>", {})
    client = CoolifyClient(capture_server.url, "t", max_retries=0)
    with pytest.raises(InvalidResponseError) as info:
        client.list_applications()
    assert_one_sentence(info.value, "GET", "/applications", 404)
    assert "non-JSON text/html" in str(info.value) and "api_url" in str(info.value)


def test_invalid_response_error_for_html_with_status_200(capture_server):
    capture_server.script["/api/v1/applications"] = (200, "text/html; charset=UTF-8",
                                                     b"<!DOCTYPE html><html><title>Login</title>" + b"x" * 500, {})
    capture_server.script["/api/v1/servers"] = (200, "application/json", b"{not json", {})
    capture_server.script["/api/v1/projects"] = (301, "text/html", b"", {"Location": "https://elsewhere.example/api/v1/projects"})
    client = CoolifyClient(capture_server.url, "t")
    with pytest.raises(InvalidResponseError) as info:
        client.list_applications()
    assert_one_sentence(info.value, "GET", "/applications", 200)
    assert len(str(info.value)) < 300 and "<!DOCTYPE html>" in str(info.value)
    with pytest.raises(InvalidResponseError) as info:
        client.list_servers()
    assert "not valid JSON" in str(info.value)
    with pytest.raises(InvalidResponseError) as info:
        client.list_projects()
    assert "redirected to https://elsewhere.example/api/v1/projects" in str(info.value)


# ---------------------------------------------------------------------------------------------------------------------
# Retries and pacing
# ---------------------------------------------------------------------------------------------------------------------


def test_retry_after_is_honoured_through_the_injected_clock(emulator_factory):
    emu = emulator_factory("--rate-limit", "3", "--rate-window", "40")
    clock = FakeClock()
    waited = []

    def sleep(seconds):
        # Time passes (on the fake clock) and, as if the window had expired, the emulator's limit is lifted.
        waited.append(seconds)
        clock.sleep(seconds)
        emu.configure(rate_limit=1000)

    client = make_client(emu, max_retries=3, clock=clock, sleep=sleep)
    for dummy in range(3):
        client.get("/servers")
    started = clock()
    assert isinstance(client.list_applications(), list)
    statuses = [r["status"] for r in emu.requests_log() if r["path"] == "/api/v1/applications"]
    assert statuses == [429, 200]
    retry_after = 40  # Retry-After of the 429 is the time left in the window (ceil), i.e. 40 s or a bit less
    assert waited[0] >= retry_after - 1
    assert waited[0] <= retry_after + 1.0  # capped jitter on top
    assert clock() - started >= retry_after - 1
    assert client.stats == {"requests": 5, "retries": 1, "rate_limited": 1}


def test_retry_is_bounded_by_max_retry_seconds(emulator_factory):
    emu = emulator_factory("--rate-limit", "1", "--rate-window", "50")
    clock = FakeClock()
    client = make_client(emu, max_retries=10, max_retry_seconds=30, clock=clock, sleep=clock.sleep)
    client.get("/servers")
    with pytest.raises(RateLimitedError):
        client.get("/servers")  # Retry-After 50 s does not fit into 30 s: no retry at all
    assert client.stats["retries"] == 0


def test_pacing_600_requests_against_100_per_2_seconds(emulator_factory):
    """The acceptance test: a batch six times the limit finishes with zero failures and a handful of 429s.

    A 2-second window keeps the shape of Coolify's limiter (six windows' worth of requests, one probe to learn the
    window) in about 12 s of wall clock instead of a minute."""
    emu = emulator_factory("--rate-limit", "100", "--rate-window", "2", "--seed-apps", "3")
    client = make_client(emu, max_retries=5, pool_size=10)
    begin = time.monotonic()
    outcomes = run_batch(range(600), lambda i: client.get("/servers"), max_workers=10)
    duration = time.monotonic() - begin
    failed = [o for o in outcomes if not o.ok]
    stats = emu.stats()
    throttled = stats["by_status"].get("429", 0)
    print("\npacing: %d requests, %d answered 429, %.1f s, client stats %s, pacer %s" % (
        stats["total"], throttled, duration, client.stats, client.pacer.snapshot()))
    assert not failed
    assert throttled <= 5
    assert stats["by_status"].get("200") == 600
    assert duration < 20  # five full windows of waiting, plus the requests themselves


# ---------------------------------------------------------------------------------------------------------------------
# The token never leaks
# ---------------------------------------------------------------------------------------------------------------------


def test_a_unique_marker_token_never_appears_in_errors_or_reprs(emulator_factory):
    marker = "9|MARKER%s" % uuid.uuid4().hex
    secret = marker.split("|", 1)[1]
    emu = emulator_factory("--add-token", "%s=read@0" % marker, "--rate-limit", "4", "--rate-window", "60")
    client = make_client(emu, token=marker)
    errors = []
    for call in (lambda: client.get_resource("application", "nope"),
                 lambda: client.resource_action("application", "nope", "restart"),
                 lambda: client.request("POST", "/applications/nope/envs", json={"key": "A"}),
                 lambda: client.get("/version"),
                 lambda: [client.get("/servers") for dummy in range(10)]):
        try:
            call()
        except CoolifyError as exc:
            errors.append(exc)
    bad_token = make_client(emu, token=marker + "x")
    try:
        bad_token.list_applications()
    except CoolifyError as exc:
        errors.append(exc)
    unreachable = CoolifyClient("http://127.0.0.1:%d" % free_port(), marker, max_retries=0)
    try:
        unreachable.list_servers()
    except CoolifyError as exc:
        errors.append(exc)
    expected = {"NotFoundError", "PermissionDeniedError", "InvalidResponseError", "RateLimitedError",
                "AuthenticationError", "TransportError"}
    assert {type(e).__name__ for e in errors} >= expected
    texts = [client.__repr__(), str(client), repr(client._session.auth), repr(vars(client.pacer))]
    for error in errors:
        texts.extend([str(error), repr(error), json.dumps(error.to_dict()), repr(error.args), repr(vars(error))])
    for text in texts:
        assert secret not in text


def test_values_a_write_sent_are_masked_in_answers_that_quote_them(capture_server):
    """A 4xx may quote the input (Laravel's :input, a firewall page). The client masks what the request sent in the
    raw answer, before messages fold whitespace and cut excerpts, after which no replace (nor no_log) would find it."""
    marker = "MRK%s" % uuid.uuid4().hex[:12]
    value = "  one %s\n two. %s.  " % (marker, marker)  # Coolify trims values: an answer may quote either form
    trimmed = value.strip()
    capture_server.script["/api/v1/applications/app-1/envs"] = (422, "application/json", json.dumps({
        "message": "The value %s is invalid." % trimmed,
        "errors": {"value": ["%s is invalid." % value], trimmed: ["Unknown field."]}}).encode(), {})
    capture_server.script["/api/v1/applications/app-1/envs/bulk"] = (403, "text/html", ("<p>Blocked: %s</p>" % value).encode(), {})
    capture_server.script["/api/v1/services/svc-1/envs"] = (201, "application/json", ("{broken %s" % value).encode(), {})
    client = CoolifyClient(capture_server.url, "1|token-of-this-test", max_retries=0)
    errors = []
    for call in (lambda: client.request("POST", "/applications/app-1/envs", json={"key": "K", "value": value}),
                 lambda: client.bulk_update_envs("application", "app-1", [{"key": "K", "value": value, "comment": None}]),
                 lambda: client.request("POST", "/services/svc-1/envs", json={"key": "K", "value": value})):
        with pytest.raises(CoolifyError) as info:
            call()
        errors.append(info.value)
    assert [type(error) for error in errors] == [ValidationError, InvalidResponseError, InvalidResponseError]
    for error in errors:
        for text in (str(error), repr(error), json.dumps(error.to_dict()), repr(vars(error))):
            assert marker not in text, text
    assert "returned HTTP 422: The value ******** is invalid (********: Unknown field, value: ******** is invalid) (at 127.0.0.1:" in str(errors[0])
    assert "Blocked: ********" in str(errors[1])


def test_a_token_quoted_in_field_errors_is_masked(capture_server):
    """The field errors travel to results as ``errors`` (CoolifyError.to_dict), so they are scrubbed like the message."""
    token = "1|MRK%s" % uuid.uuid4().hex
    capture_server.script["/api/v1/deploy"] = (422, "application/json", json.dumps({
        "message": "Validation failed.", "errors": {"authorization": ["Bearer %s is not valid here." % token]}}).encode(), {})
    client = CoolifyClient(capture_server.url, token, max_retries=0)
    with pytest.raises(ValidationError) as info:
        client.request("POST", "/deploy", params={"uuid": "app-1"}, action=True)
    for text in (str(info.value), json.dumps(info.value.to_dict()), repr(vars(info.value))):
        assert token.split("|")[1] not in text, text
    assert info.value.errors == {"authorization": ["Bearer ******** is not valid here."]}
