# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure parts of the transport, in milliseconds: URL handling, Retry-After parsing, secret stripping, the pacer fed with
the headers Coolify sends (fake clock, no HTTP), and configuration errors raised before any request."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _pacer
from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._errors import ConfigurationError
from ansible_collections.coolops.coolify.plugins.module_utils._http import normalize_api_url
from ansible_collections.coolops.coolify.plugins.module_utils._pacer import RateLimitPacer
from ansible_collections.coolops.coolify.plugins.module_utils._redact import strip_sensitive
from ansible_collections.coolops.coolify.tests.unit.fake_clock import FakeClock

# ---------------------------------------------------------------------------------------------------------------------
# Pure: URL handling, Retry-After parsing, secret stripping
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given, expected", [
    ("https://coolify.example.com", "https://coolify.example.com/api/v1"),
    ("https://coolify.example.com/", "https://coolify.example.com/api/v1"),
    ("https://coolify.example.com/api/v1", "https://coolify.example.com/api/v1"),
    ("https://coolify.example.com/api/v1/", "https://coolify.example.com/api/v1"),
    ("http://127.0.0.1:8000/api/v1/", "http://127.0.0.1:8000/api/v1"),
    ("  HTTPS://Coolify.Example.com:8443  ", "https://coolify.example.com:8443/api/v1"),
    ("https://example.com//api//v1//", "https://example.com/api/v1"),
    ("https://example.com/?x=1#frag", "https://example.com/api/v1"),
    ("http://[::1]:8000", "http://[::1]:8000/api/v1"),
])
def test_normalize_api_url(given, expected):
    assert normalize_api_url(given) == expected


@pytest.mark.parametrize("given, fragment", [
    ("coolify.example.com", "no scheme"),
    ("ftp://coolify.example.com", "scheme 'ftp'"),
    ("https://", "no host"),
    ("", "empty"),
    (None, "empty"),
    ("https://user:s3cret@coolify.example.com", "credentials"),
    ("user:s3cret@coolify.example.com", "credentials"),  # no scheme: urlsplit reads "user" as one and finds no host
    ("https://coolify.example.com/api/v2", "has the path /api/v2, but Coolify's API is only at /api/v1"),
    ("https://coolify.example.com/api", "has the path /api,"),
    ("https://example.com/coolify/", "has the path /coolify,"),
    ("http://h:8000/api/v1/applications", "has the path /api/v1/applications,"),
])
def test_normalize_api_url_rejects(given, fragment):
    with pytest.raises(ConfigurationError) as info:
        normalize_api_url(given)
    assert fragment in str(info.value)
    assert "s3cret" not in str(info.value)
    assert str(info.value).endswith(".") and str(info.value).count(". ") == 0


def test_parse_retry_after():
    parse = _pacer.parse_retry_after
    assert parse("7") == 7.0
    assert parse(" 2.5 ") == 2.5
    assert parse("-3") == 0.0
    assert parse(None) is None and parse("") is None and parse("soon") is None
    assert parse("Wed, 21 Oct 2015 07:28:00 GMT", now_wall=1445412470.0) == pytest.approx(10.0)


def test_strip_sensitive_removes_secrets_recursively():
    data = [{
        "uuid": "a1", "name": "api", "status": "running:healthy", "fqdn": "https://api.example.com",
        "http_basic_auth_password": "pw", "manual_webhook_secret_github": "s", "dockerfile": "FROM x",
        "docker_compose_raw": "services: {}", "custom_labels": "x", "private_key_id": 3,
        "destination": {"server": {"name": "edge", "settings": {
            "sentinel_token": "t", "sentinel_custom_url": "u", "logdrain_axiom_api_key": "k", "is_usable": True}}},
        "databases": [{"name": "db", "postgres_password": "pw", "internal_db_url": "postgres://u:pw@db/x"}],
        "environment_variables": [{"key": "A", "value": "v"}], "use_build_secrets": True,
    }]
    clean = strip_sensitive(data)
    assert clean == [{
        "uuid": "a1", "name": "api", "status": "running:healthy", "fqdn": "https://api.example.com",
        "destination": {"server": {"name": "edge", "settings": {"is_usable": True}}},
        "databases": [{"name": "db"}], "use_build_secrets": True,
    }]
    assert data[0]["dockerfile"] == "FROM x"  # the input is untouched


# ---------------------------------------------------------------------------------------------------------------------
# Pure: the pacer, fed with the headers Coolify sends (fake clock, no HTTP)
# ---------------------------------------------------------------------------------------------------------------------


def ok_headers(limit, remaining):
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}


def throttled_headers(limit, retry_after):
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0", "Retry-After": str(retry_after)}


def test_pacer_sends_freely_while_budget_remains():
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep)
    for remaining in range(9, 2, -1):
        pacer.before_request()
        pacer.after_response(200, ok_headers(10, remaining))
    assert clock.sleeps == []
    assert pacer.snapshot()["budget"] == 3


def test_pacer_probes_once_learns_the_window_and_then_waits_for_predicted_resets():
    """Fixed window of 10 requests per 60 s, sequential requests: exactly one 429 while learning, none after."""
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep, margin=0.25)
    server = {"count": 0, "reset": None}
    throttled = []

    def serve():
        now = clock()
        if server["reset"] is None or now >= server["reset"]:
            server["count"], server["reset"] = 0, now + 60.0
        if server["count"] >= 10:
            throttled.append(now)
            return 429, throttled_headers(10, int(-(-(server["reset"] - now) // 1)))
        server["count"] += 1
        return 200, ok_headers(10, 10 - server["count"])

    for dummy in range(45):
        pacer.before_request()
        clock.now += 0.1  # the request takes 100 ms
        status, headers = serve()
        pacer.after_response(status, headers)
        if status == 429:
            pacer.before_request()  # the client's retry goes through the pacer again
            clock.now += 0.1
            status, headers = serve()
            pacer.after_response(status, headers)
        assert status == 200
    assert len(throttled) == 1
    assert pacer.snapshot()["window"] == pytest.approx(60.0, abs=1.0)


def test_pacer_blocks_every_thread_after_a_429_until_retry_after():
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep)
    pacer.before_request()
    pacer.after_response(429, throttled_headers(100, 7))
    start = clock()
    pacer.before_request()
    assert clock() - start >= 7.0
    assert sum(clock.sleeps) >= 7.0


def test_pacer_ignores_an_application_level_429():
    """POST /deploy's 'queue is full' 429 passed the throttle (Remaining > 0): nobody else must wait."""
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep)
    pacer.before_request()
    headers = ok_headers(200, 150)
    headers["Retry-After"] = "60"
    pacer.after_response(429, headers)
    pacer.before_request()
    assert clock.sleeps == []


def test_pacer_without_rate_limit_headers_never_waits():
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep)
    for dummy in range(50):
        pacer.before_request()
        pacer.after_response(200, {})
    assert clock.sleeps == []


def test_configuration_error():
    with pytest.raises(ConfigurationError):
        CoolifyClient("coolify.example.com", "t")
    with pytest.raises(ConfigurationError) as info:
        CoolifyClient("https://coolify.example.com", "  ")
    assert "token" in str(info.value)
    with pytest.raises(ConfigurationError):
        CoolifyClient("https://coolify.example.com", "t").resource_action("application", "x", "explode")


@pytest.mark.parametrize("token", ["7|abc\ndef-marker", "7|abc\r\ndef-marker", "7|abc\x00def-marker"])
def test_a_token_with_a_control_character_is_refused_without_quoting_it(token):
    # http.client would refuse the header with a ValueError quoting the token whole (tests/e2e/reliability).
    with pytest.raises(ConfigurationError) as info:
        CoolifyClient("https://coolify.example.com", token)
    assert "api_token" in str(info.value) and "marker" not in str(info.value)


def test_strip_sensitive_masks_credentials_embedded_in_urls():
    data = {"git_repository": "https://deploy:ghp-url-secret-marker@github.com/acme/shop.git",
            "fqdn": "https://shop.example.com,http://admin:pw-marker@internal.example.com:8080/x",
            "note": "mail ops@example.com", "ssh": "git@github.com:acme/shop.git"}
    clean = strip_sensitive(data)
    assert clean["git_repository"] == "https://********@github.com/acme/shop.git"
    assert clean["fqdn"] == "https://shop.example.com,http://********@internal.example.com:8080/x"
    assert clean["note"] == data["note"] and clean["ssh"] == data["ssh"]  # no URL userinfo: left alone
    assert "marker" not in json.dumps(clean)
