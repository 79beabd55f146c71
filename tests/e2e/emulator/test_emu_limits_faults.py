# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rate limiting, the Accept header, latency, fault injection and concurrency."""

from __future__ import annotations

import concurrent.futures
import time

import requests

from emu_helpers import FIXTURE, ROOT  # pylint: disable=import-error


def test_success_responses_carry_rate_limit_headers(api):
    first = api.get("/version")
    second = api.get("/applications")
    assert first.headers["X-RateLimit-Limit"] == "200"
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1


def test_429_with_headers_per_user(start_emulator):
    client = start_emulator("--fixture", FIXTURE, "--rate-limit", "5", "--rate-window", "30")
    for _attempt in range(5):
        assert client.get("/version").status_code == 200
    resp = client.get("/version")
    assert resp.status_code == 429
    assert resp.json() == {"message": "Too Many Attempts."}
    assert 1 <= int(resp.headers["Retry-After"]) <= 30
    assert int(resp.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert resp.headers["X-RateLimit-Limit"] == "5"
    assert resp.headers["X-RateLimit-Remaining"] == "0"
    # every action counts, including 4xx answers after authentication; other users have their own bucket
    assert client.get("/version", token="2|read-only").status_code == 200
    assert client.get("/version", token="4|writer").status_code == 403
    # bad tokens never reach the limiter
    assert client.get("/version", token="nope").status_code == 401


def test_tokens_of_one_user_share_a_bucket(start_emulator):
    client = start_emulator("--fixture", FIXTURE, "--rate-limit", "3")
    for token in ("2|read-only", "10|read-only-too", "2|read-only"):
        assert client.get("/version", token=token).status_code == 200
    assert client.get("/version", token="10|read-only-too").status_code == 429
    assert client.get("/version").status_code == 200


def test_rate_window_resets(start_emulator):
    client = start_emulator("--fixture", FIXTURE, "--rate-limit", "2", "--rate-window", "2")
    client.get("/version")
    client.get("/version")
    assert client.get("/version").status_code == 429
    client.wait_for(lambda: client.get("/version").status_code == 200)


def test_429_is_html_without_accept_json(start_emulator):
    client = start_emulator("--fixture", FIXTURE, "--rate-limit", "1")
    client.get("/version")
    resp = client.get("/version", accept_json=False)
    assert resp.status_code == 429
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "Too Many Requests" in resp.text
    assert resp.headers["Retry-After"]


def test_controller_422_stays_json_without_accept(api):
    resp = api.post("/applications/app-web/envs", json={"key": "1"}, accept_json=False)
    assert resp.status_code == 422 and resp.json()["message"] == "Validation failed."


def test_rate_limit_is_configurable_at_run_time(api):
    api.emu.configure(rate_limit=2)
    api.get("/version")
    api.get("/version")
    assert api.get("/version").status_code == 429


def test_fail_path_answers_500_for_matching_requests_only(start_emulator):
    client = start_emulator("--fixture", FIXTURE, "--fail-path", r"^POST /api/v1/applications/app-api/", "--fail-path", "svc-cache$")
    resp = client.post("/applications/app-api/start")
    assert resp.status_code == 500
    assert resp.json() == {"message": "Server Error"}
    assert client.post("/applications/app-api/start", accept_json=False).headers["Content-Type"].startswith("text/html")
    assert client.get("/applications/app-api").status_code == 200
    assert client.post("/applications/app-web/start").status_code == 200
    assert client.get("/services/svc-cache").status_code == 500
    assert client.get("/services/svc-cache/envs").status_code == 200
    # a failed request changed nothing
    assert client.get("/deployments/applications/app-api").json()["count"] == 0
    log = client.emu.requests_log()
    assert log[0]["status"] == 500 and log[0]["fault"] == "500"
    client.emu.configure(fail_paths=[])
    assert client.post("/applications/app-api/start").status_code == 200


def _outcomes(emu, count):
    session = requests.Session()
    results = []
    for _attempt in range(count):
        try:
            resp = session.get(emu.api_url + "/version", headers={"Authorization": "Bearer " + ROOT}, timeout=10)
            results.append(resp.status_code)
        except requests.ConnectionError:
            results.append("cut")
            session.close()
            session = requests.Session()
    session.close()
    return results


def test_fault_rate_mixes_errors_and_cut_connections_deterministically(start_emulator):
    args = ("--seed-apps", "1", "--fault-rate", "0.5", "--random-seed", "42", "--rate-limit", "100000")
    one = start_emulator(*args)
    two = start_emulator(*args)
    first = _outcomes(one.emu, 60)
    second = _outcomes(two.emu, 60)
    assert first == second
    assert {200, 500, 502, 503, "cut"} <= set(first)
    # admin and health endpoints are never faulted
    one.emu.configure(fault_rate=1.0)
    for _attempt in range(10):
        assert requests.get(one.emu.base_url + "/api/health", timeout=10).status_code == 200
        assert one.emu.stats()["total"] >= 0
    assert set(_outcomes(one.emu, 10)) <= {500, 502, 503, "cut"}


def test_proxy_errors_are_html(start_emulator):
    client = start_emulator("--seed-apps", "1", "--fault-rate", "1", "--random-seed", "1")
    kinds = set()
    for _attempt in range(30):
        try:
            resp = client.get("/version")
        except requests.ConnectionError:
            client.session = requests.Session()
            continue
        kinds.add(resp.status_code)
        if resp.status_code in (502, 503):
            assert resp.headers["Content-Type"].startswith("text/html")
    assert kinds <= {500, 502, 503}


def test_latency_requests_overlap(start_emulator):
    client = start_emulator("--seed-apps", "1", "--latency-ms", "150", "--jitter-ms", "20")
    started = time.monotonic()
    assert client.get("/version").status_code == 200
    assert time.monotonic() - started >= 0.15

    def one(_index):
        return requests.get(client.emu.api_url + "/version", headers={"Authorization": "Bearer " + ROOT}, timeout=30).status_code

    client.emu.reset()
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        assert set(pool.map(one, range(20))) == {200}
    stats = client.emu.stats()
    assert stats["total"] == 20
    assert stats["peak_in_flight"] >= 5


def test_latency_is_configurable(api):
    api.emu.configure(latency_ms=120)
    started = time.monotonic()
    api.get("/version")
    assert time.monotonic() - started >= 0.12


def test_state_is_consistent_under_concurrent_writes(api):
    def create(index):
        return api.as_token(ROOT).post("/applications/app-api/envs", json={"key": "K%d" % index, "value": str(index)}).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        assert set(pool.map(create, range(64))) == {201}
    envs = api.get("/applications/app-api/envs").json()
    assert len(envs) == 128
    assert len({env["uuid"] for env in envs}) == 128

    def dup(_index):
        return api.as_token(ROOT).post("/applications/app-api/envs", json={"key": "SAME", "value": "x"}).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(dup, range(8))) == [201] + [409] * 7
