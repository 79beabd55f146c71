# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's retry policy (_retry): the pure table, then the transport applying it over a loopback HTTP server.

Actions (start, stop, restart, deploy, any POST) are resent only when the attempt provably did not reach Coolify;
idempotent requests (GET, env bulk PATCH, DELETE) are retried on 500 and 502-504 as well.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _retry
from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._errors import (
    InvalidResponseError,
    OutcomeUnknownError,
    QueueFullError,
    RateLimitedError,
    ServerError,
)
from ansible_collections.coolops.coolify.tests.e2e.loopback import ScriptedHandler, serve

HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
HTML_503 = b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>"
HTML_504 = b"<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>"
QUEUE_FULL = b'{"message":"Deployment queue is full. Please wait for existing deployments to complete."}'
THROTTLED = b'{"message":"Too Many Attempts."}'

# -- the pure table ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method,path,action,expected", [
    ("POST", "/applications/a1/restart", False, True),
    ("POST", "/applications/a1/start", False, True),
    ("GET", "/applications/a1/start", False, True),  # Coolify <= 4.1.2 accepted GET on actions
    ("POST", "/services/s1/stop", False, True),
    ("POST", "/databases/d1/restart", False, True),
    ("POST", "/deploy", False, True),
    ("GET", "/deploy", False, True),
    ("POST", "/applications/a1/envs", False, True),  # a create: every POST is an action
    ("GET", "/applications", False, False),
    ("GET", "/applications/a1", False, False),
    ("PATCH", "/applications/a1/envs/bulk", False, False),
    ("DELETE", "/applications/a1/envs/e1", False, False),
    ("GET", "/servers", True, True),  # the caller can always say so
])
def test_what_is_an_action(method, path, action, expected):
    assert _retry.is_action(method, path, action) is expected


@pytest.mark.parametrize("status,body,remaining,case", [
    (429, {"message": "Too Many Attempts."}, 0, _retry.RATE_LIMITED),
    (429, None, None, _retry.RATE_LIMITED),
    (429, {"message": "Deployment queue is full. Please wait for existing deployments to complete."}, 0, _retry.QUEUE_FULL),
    (429, {"message": "Deployment queue is full. Please wait for existing deployments to complete."}, None, _retry.QUEUE_FULL),
    (429, {"message": "whatever"}, 57, _retry.QUEUE_FULL),  # the throttle passed it, so the controller answered
    (503, {"message": "Service Unavailable"}, None, _retry.MAINTENANCE),
    (503, None, None, _retry.UNAVAILABLE),
    # Only Laravel's maintenance answer exactly proves nothing ran: any other JSON 503 may come from anywhere.
    (503, {"message": "Service Unavailable", "retry": 60}, None, _retry.UNAVAILABLE),
    (503, {"message": "Server busy"}, None, _retry.UNAVAILABLE),
    (500, {"message": "Server Error"}, None, _retry.SERVER_ERROR),
    (502, None, None, _retry.BAD_GATEWAY),
    (504, None, None, _retry.GATEWAY_TIMEOUT),
    # Other proxies' give-ups and unexpected 5xx: the request may still be processed.
    (408, None, None, _retry.PROXY_TIMEOUT),
    (499, None, None, _retry.PROXY_TIMEOUT),
    (520, None, None, _retry.PROXY_TIMEOUT),
    (522, None, None, _retry.PROXY_TIMEOUT),
    (524, None, None, _retry.PROXY_TIMEOUT),
    (599, None, None, _retry.PROXY_TIMEOUT),
    (501, None, None, None),
    (200, {}, None, None),
    (404, {"message": "Not found."}, None, None),
    (422, {"message": "Validation failed."}, None, None),
])
def test_status_cases(status, body, remaining, case):
    assert _retry.status_case(status, body, remaining=remaining) is case


@pytest.mark.parametrize("message,remaining,throttled,case", [
    ("Too Many Attempts.", 0, False, _retry.QUEUE_FULL),  # the headers (no Reset, Retry-After: 60) passed the throttle
    ("Deployment queue is full. Please wait for existing deployments to complete.", 0, True, _retry.QUEUE_FULL),
    ("Too Many Attempts.", 57, True, _retry.RATE_LIMITED),  # a Reset header: the throttle answered
    ("Too Many Attempts.", 0, None, _retry.RATE_LIMITED),
])
def test_a_429_is_judged_by_the_queue_message_then_the_headers_verdict(message, remaining, throttled, case):
    assert _retry.status_case(429, {"message": message}, remaining=remaining, throttled=throttled) is case


def test_a_queue_full_429_is_told_by_its_headers_when_its_message_is_not_the_queue_one(server):
    """No X-RateLimit-Reset, Remaining 0 and Retry-After: 60 (_pacer.is_throttled): the queue's 429, not the throttle."""
    server.script["/api/v1/deploy"] = [(429, "application/json", b'{"message":"Too Many Requests"}',
                                        {"Retry-After": "60", "X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0"})]
    client = client_for(server)
    with pytest.raises(QueueFullError):
        client.request("POST", "/deploy", params={"uuid": "a1"})
    assert requests_seen(server) == [("POST", "/api/v1/deploy")]
    assert client.fake_clock.sleeps == [] and client.pacer.snapshot()["blocked_until"] == 0.0


def test_every_case_is_named_and_explained_and_actions_never_resend_an_unproven_attempt():
    names = [case.name for case in _retry.CASES]
    assert len(names) == len(set(names))
    for case in _retry.CASES:
        assert case.reason.endswith(".") and len(case.reason) > 40, case
        assert case.idempotent in (_retry.RETRY, _retry.FAIL, _retry.UNKNOWN)
        if case.action == _retry.RETRY:
            assert case in (_retry.NOT_SENT, _retry.RATE_LIMITED, _retry.MAINTENANCE), case
    for case in (_retry.BAD_GATEWAY, _retry.GATEWAY_TIMEOUT, _retry.LOST_ANSWER, _retry.SERVER_ERROR, _retry.UNAVAILABLE):
        assert case.decide(True) == _retry.UNKNOWN and case.decide(False) == _retry.RETRY
    assert _retry.QUEUE_FULL.decide(True) == _retry.QUEUE_FULL.decide(False) == _retry.FAIL


# -- the transport applying it -----------------------------------------------------------------------------------------


class FakeClock(object):
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def module_server():
    with serve(ScriptedHandler, seen=[], script={}) as scripted:
        yield scripted


@pytest.fixture
def server(module_server):
    """The module's scripted server, with an empty script and log."""
    module_server.script.clear()
    del module_server.seen[:]
    yield module_server


def requests_seen(server):
    return [(entry["method"], entry["path"].split("?")[0]) for entry in server.seen]


def client_for(server, **kwargs):
    clock = FakeClock()
    kwargs.setdefault("max_retries", 3)
    client = CoolifyClient(server.url, "t", clock=clock, sleep=clock.sleep, wall=lambda: 1700000000.5, **kwargs)
    client.fake_clock = clock
    return client


ANSWERS = {
    "500": (500, "application/json", b'{"message":"Server Error"}', {}),
    "502": (502, "text/html", HTML_502, {}),
    "503-html": (503, "text/html", HTML_503, {}),
    "503-json": (503, "application/json", b'{"message":"Service Unavailable"}', {}),
    "504": (504, "text/html", HTML_504, {}),
    "503-other-json": (503, "application/json", b'{"message":"Service Unavailable","retry_after":30}', {}),
    "524": (524, "text/html", b"<html><title>524: A timeout occurred</title>Cloudflare</html>", {}),
    "408": (408, "text/html", b"<html>408 Request Timeout</html>", {}),
    "429-throttle": (429, "application/json", THROTTLED,
                     {"Retry-After": "2", "X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0"}),
    "429-queue-full": (429, "application/json", QUEUE_FULL,
                       {"Retry-After": "60", "X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0"}),
}

CALLS = {
    "restart": ("POST", "/api/v1/applications/a1/restart", lambda c: c.resource_action("application", "a1", "restart")),
    "deploy": ("POST", "/api/v1/deploy", lambda c: c.request("POST", "/deploy", params={"uuid": "a1"})),
    "service-stop": ("POST", "/api/v1/services/s1/stop", lambda c: c.resource_action("service", "s1", "stop")),
    "database-start": ("POST", "/api/v1/databases/d1/start", lambda c: c.request("POST", "/databases/d1/start")),
    "get": ("GET", "/api/v1/servers", lambda c: c.list_servers()),
    "bulk-patch": ("PATCH", "/api/v1/applications/a1/envs/bulk",
                   lambda c: c.bulk_update_envs("application", "a1", [{"key": "K", "value": "v"}])),
    "delete": ("DELETE", "/api/v1/applications/a1/envs/e1", lambda c: c.delete_env("application", "a1", "e1")),
}
ACTIONS = ("restart", "deploy", "service-stop", "database-start")

# (answer, call kind) -> (attempts that reach the server for one transient fault, error raised when it persists)
EXPECTED = {
    ("500", "action"): (1, OutcomeUnknownError), ("500", "idempotent"): (2, ServerError),
    ("502", "action"): (1, OutcomeUnknownError), ("502", "idempotent"): (2, ServerError),
    ("503-html", "action"): (1, OutcomeUnknownError), ("503-html", "idempotent"): (2, ServerError),
    ("503-json", "action"): (2, ServerError), ("503-json", "idempotent"): (2, ServerError),
    ("504", "action"): (1, OutcomeUnknownError), ("504", "idempotent"): (2, ServerError),
    ("503-other-json", "action"): (1, OutcomeUnknownError), ("503-other-json", "idempotent"): (2, ServerError),
    ("524", "action"): (1, OutcomeUnknownError), ("524", "idempotent"): (2, ServerError),
    ("408", "action"): (1, OutcomeUnknownError), ("408", "idempotent"): (2, InvalidResponseError),
    ("429-throttle", "action"): (2, RateLimitedError), ("429-throttle", "idempotent"): (2, RateLimitedError),
    ("429-queue-full", "action"): (1, QueueFullError), ("429-queue-full", "idempotent"): (1, QueueFullError),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_one_transient_fault(server, answer, call):
    method, path, send = CALLS[call]
    server.script[path] = [ANSWERS[answer]]
    client = client_for(server)
    attempts, error = EXPECTED[(answer, "action" if call in ACTIONS else "idempotent")]
    if attempts == 1:
        with pytest.raises(error) as info:
            send(client)
        if error is OutcomeUnknownError:
            assert info.value.sent_at == 1700000000.5
            assert info.value.status == int(answer[:3])
            assert "outcome is unknown" in str(info.value) and "not sent again" in str(info.value)
    else:
        send(client)  # the second attempt gets the 200
    assert requests_seen(server) == [(method, path)] * attempts


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_a_persistent_fault_is_bounded(server, answer, call):
    method, path, send = CALLS[call]
    server.script[path] = [ANSWERS[answer]] * 10
    client = client_for(server, max_retries=2)
    attempts, error = EXPECTED[(answer, "action" if call in ACTIONS else "idempotent")]
    if method in ("PATCH", "DELETE") and answer in ("500", "502", "503-html", "504", "503-other-json", "524", "408"):
        error = OutcomeUnknownError  # the last attempt of a write may have been applied
    with pytest.raises(error) as info:
        send(client)
    assert "\n" not in str(info.value)
    assert requests_seen(server) == [(method, path)] * (1 if attempts == 1 else 3)
    if error is OutcomeUnknownError:
        # The message says what really happened: an action is never resent, a write was sent within the bounds.
        assert ("it was not sent again" if attempts == 1 else "it was sent 3 times") in str(info.value)


def test_queue_full_does_not_slow_other_requests_but_the_throttle_does(server):
    server.script["/api/v1/deploy"] = [ANSWERS["429-queue-full"]]
    client = client_for(server)
    with pytest.raises(QueueFullError) as info:
        client.request("POST", "/deploy", params={"uuid": "a1"})
    assert info.value.retry_after == 60 and "queue is full" in str(info.value)
    client.list_servers()
    assert client.fake_clock.sleeps == [] and client.pacer.snapshot()["blocked_until"] == 0.0
    assert client.stats["rate_limited"] == 0

    server.script["/api/v1/servers"] = [ANSWERS["429-throttle"]]
    client.list_servers()
    assert client.stats["rate_limited"] == 1
    assert client.pacer.snapshot()["blocked_until"] > client.fake_clock.now - 2.5
    assert sum(client.fake_clock.sleeps) >= 2


def test_a_lost_answer_on_an_action_is_unknown_and_a_get_is_retried():
    """A server that reads the request, then closes the connection without answering (after Coolify processed it)."""
    seen = []

    class Closer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _close(self):
            seen.append((self.command, self.path.split("?")[0]))
            self.close_connection = True  # no status line at all

        do_GET = do_POST = _close

    with serve(Closer) as closer:
        clock = FakeClock()
        client = CoolifyClient(closer.url, "t", max_retries=2, clock=clock, sleep=clock.sleep, wall=time.time)
        before = time.time()
        with pytest.raises(OutcomeUnknownError) as info:
            client.resource_action("service", "s1", "restart")
        assert before <= info.value.sent_at <= time.time()
        assert seen == [("POST", "/api/v1/services/s1/restart")]
        with pytest.raises(Exception):
            client.list_servers()
        assert seen[1:] == [("GET", "/api/v1/servers")] * 3


def test_error_bodies_stay_json_decodable_for_callers(server):
    """The OutcomeUnknownError keeps the structured details a caller reports."""
    server.script["/api/v1/applications/a1/restart"] = [ANSWERS["502"]]
    with pytest.raises(OutcomeUnknownError) as info:
        client_for(server).resource_action("application", "a1", "restart")
    details = info.value.to_dict()
    assert details["error_type"] == "OutcomeUnknownError" and details["status_code"] == 502
    json.dumps(details)


def test_a_delete_resent_after_an_unknown_outcome_that_finds_nothing_has_done_its_work(server):
    server.script["/api/v1/applications/a1/envs/e1"] = [
        ANSWERS["504"], (404, "application/json", b'{"message":"Environment variable not found."}', {})]
    assert client_for(server).delete_env("application", "a1", "e1") is None
    assert requests_seen(server) == [("DELETE", "/api/v1/applications/a1/envs/e1")] * 2


def test_a_first_delete_that_finds_nothing_is_still_an_error(server):
    server.script["/api/v1/applications/a1/envs/e1"] = [
        (404, "application/json", b'{"message":"Environment variable not found."}', {})]
    with pytest.raises(Exception) as info:
        client_for(server).delete_env("application", "a1", "e1")
    assert "404" in str(info.value)
