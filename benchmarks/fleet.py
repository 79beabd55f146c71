# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet scenario of `make bench`: restart N applications and wait for their deployments, on an emulator with
Coolify's own limits (build slots and a deployment queue per server, 200 requests a minute).

Measured per run: wall time against the build-slot limit (the slowest server's ceil(apps / concurrent builds) build
waves x deployment seconds), API requests per application (by route), rate-limit 429s, queue-full answers (429 on
/deploy, or a restart answered with a deployment uuid that was never stored) and the bytes of one
``GET /deployments`` answer while the fleet builds (sampled by a second user, who has a rate-limit bucket of his own;
his requests are taken out of every count).
"""

from __future__ import annotations

import collections
import json
import math
import threading
import time
import urllib.request

FLEET = {"servers": 4, "concurrent_builds": 2, "queue_limit": 25, "rate_limit": 200, "rate_window": 60,
         "deploy_seconds": 6, "latency_ms": 20}
SAMPLER_TOKEN = "9|bench-deployments-sampler"
SAMPLE_EVERY = 2.0
TARGETS = {"ratio": 1.15, "requests_per_app": 2.5, "rate_limited": 0, "queue_full": 0}


def emulator_args(n, cfg=None):
    cfg = dict(FLEET, **(cfg or {}))
    return ["--seed-apps", n, "--seed-services", 0, "--seed-servers", cfg["servers"], "--seed-projects", 4,
            "--random-seed", 1, "--latency-ms", cfg["latency_ms"], "--rate-limit", cfg["rate_limit"],
            "--rate-window", cfg["rate_window"], "--queue-limit", cfg["queue_limit"],
            "--concurrent-builds", cfg["concurrent_builds"], "--deploy-seconds", cfg["deploy_seconds"],
            "--status-lag-seconds", 0.5, "--add-token", SAMPLER_TOKEN + "=root"]


class Sampler(threading.Thread):
    """Reads GET /deployments every few seconds with its own token; records the answer's size and length."""

    def __init__(self, api_url, every=SAMPLE_EVERY):
        super(Sampler, self).__init__(name="bench-deployments-sampler", daemon=True)
        self.url = api_url + "/deployments"
        self.every = every
        self.stop_event = threading.Event()
        self.samples = []  # (bytes, deployments listed)
        self.sent = 0

    def run(self):
        while not self.stop_event.wait(self.every):
            request = urllib.request.Request(self.url, headers={"Accept": "application/json",
                                                                "Authorization": "Bearer " + SAMPLER_TOKEN})
            self.sent += 1
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # nosec - loopback emulator
                    raw = answer.read()
            except OSError:
                continue
            try:
                listed = len(json.loads(raw.decode("utf-8")))
            except ValueError:
                listed = None
            self.samples.append((len(raw), listed))

    def stop(self):
        self.stop_event.set()
        self.join(10)

    def summary(self):
        busy = [size for size, listed in self.samples if listed]
        return {"samples": len(self.samples), "max_bytes": max(busy) if busy else 0,
                "mean_bytes": int(sum(busy) / len(busy)) if busy else 0,
                "max_listed": max([listed or 0 for _size, listed in self.samples] or [0])}


def wait_timeout(limit):
    """The task's wait_timeout: well past the target (1.15x the limit), so a run that misses it still ends in minutes."""
    return int(math.ceil(1.5 * limit)) + 60


def build_slot_limit(state, uuids, cfg=None):
    """Seconds Coolify itself needs: the slowest server's ceil(apps / concurrent builds) waves x deployment seconds."""
    cfg = dict(FLEET, **(cfg or {}))
    wanted = set(uuids)
    per_server = collections.Counter(app["server_uuid"] for app in state["applications"] if app["uuid"] in wanted)
    waves = max(int(math.ceil(count / float(cfg["concurrent_builds"]))) for count in per_server.values())
    return waves * cfg["deploy_seconds"], waves, dict(per_server)


def count_requests(log, state, sampler_sent):
    """Requests by route without the sampler's, rate-limit 429s and queue-full answers, from the emulator's log."""
    routes = collections.Counter()
    rate_limited = deploy_429 = 0
    restart_ok = 0
    for entry in log:
        route = entry.get("route") or "%s %s" % (entry.get("method"), entry.get("path"))
        routes[route] += 1
        if entry.get("status") == 429:
            if route.endswith("/deploy"):
                deploy_429 += 1  # Coolify's queue-full answer (a throttled /deploy would be counted here too)
            else:
                rate_limited += 1
        elif entry.get("status") == 200 and route.endswith(("/restart", "/start")) and entry.get("method") == "POST":
            restart_ok += 1
    routes["GET /api/v1/deployments"] -= sampler_sent
    if routes["GET /api/v1/deployments"] <= 0:
        del routes["GET /api/v1/deployments"]
    stored = len(state.get("deployments") or [])
    # A restart answered 200 with a uuid that was never stored is a queue-full answer (API-NOTES §6.3).
    never_stored = max(0, restart_ok - stored)
    return {"requests": sum(routes.values()), "by_route": dict(routes.most_common()), "rate_limited": rate_limited,
            "queue_full": never_stored + deploy_429, "deployments_stored": stored}


def measure_fleet(runner, harness, python, n, cfg=None, log=print):
    """Start an emulator with N applications and Coolify's limits, run playbooks/fleet.yml once, return one row."""
    cfg = dict(FLEET, **(cfg or {}))
    with harness.EmulatorProcess(args=emulator_args(n, cfg), python=python, startup_timeout=120) as emu:
        status, _headers, apps = emu.request("GET", "/applications")
        if status != 200:
            raise SystemExit("the emulator did not list its applications: HTTP %s" % status)
        uuids = [app["uuid"] for app in apps][:n]
        limit, waves, per_server = build_slot_limit(emu.state(), uuids, cfg)
        emu.reset()
        sampler = Sampler(emu.api_url)
        sampler.start()
        started = time.perf_counter()
        run = runner.run("fleet.yml", {"bench_api_url": emu.api_url, "bench_api_token": emu.token, "bench_uuids": uuids,
                                       "bench_wait_timeout": wait_timeout(limit)})
        wall = time.perf_counter() - started
        sampler.stop()
        counts = count_requests(emu.requests_log(), emu.state(), sampler.sent)
    result = run["result"] or {}
    items = result.get("applications") or []
    summary = result.get("summary") or {}
    task = run["task_seconds"] or wall
    row = {
        "n": n, "wall": round(wall, 2), "task_seconds": task, "rc": run["rc"], "limit": limit, "waves": waves,
        "per_server": per_server, "ratio": round(task / limit, 3), "requests_per_app": round(counts["requests"] / float(n), 2),
        "failed_items": sum(1 for item in items if item.get("failed")), "reported_items": len(items),
        "summary": summary, "msg": result.get("msg"), "rss_kb": run["rss_kb"], "deployments_poll": sampler.summary(),
        "stdout": run["stdout"], "config": cfg, "wait_timeout": wait_timeout(limit),
    }
    row.update(counts)
    log("fleet N=%d: task %.1fs against a build-slot limit of %ds (%.2fx); %d requests (%.2f per app); %d rate-limit 429s; "
        "%d queue-full; failed %d; GET /deployments up to %d bytes" % (
            n, task, limit, row["ratio"], row["requests"], row["requests_per_app"], row["rate_limited"], row["queue_full"],
            row["failed_items"], row["deployments_poll"]["max_bytes"]))
    return row


def fleet_checks(rows):
    """(name, met, detail) per fleet size, against the issue's targets."""
    checks = []
    for row in rows:
        met = (row["ratio"] <= TARGETS["ratio"] and row["requests_per_app"] <= TARGETS["requests_per_app"]
               and row["rate_limited"] == 0 and row["queue_full"] == 0 and row["failed_items"] == 0)
        detail = ("%.2fx the build-slot limit (%.1f s against %d waves x %g s = %d s); %.2f requests per app; %d rate-limit "
                  "429s; %d queue-full answers; %d failed items" % (
                      row["ratio"], row["task_seconds"], row["waves"], row["config"]["deploy_seconds"], row["limit"],
                      row["requests_per_app"], row["rate_limited"], row["queue_full"], row["failed_items"]))
        checks.append(("fleet N=%d: <= %.2fx build-slot limit, <= %.1f requests/app, 0 rate-limit 429s, 0 queue-full" % (
            row["n"], TARGETS["ratio"], TARGETS["requests_per_app"]), met, detail))
    return checks


def _row_line(label, row):
    poll = row.get("deployments_poll") or {}
    return "| %s | %d | %.1f s | %d s (%d waves) | %.2f | %d | %.2f | %d | %d | %s | %d |" % (
        label, row["n"], row["task_seconds"], row["limit"], row["waves"], row["ratio"], row["requests"],
        row["requests_per_app"], row["rate_limited"], row["queue_full"],
        "%d / %d B (%d listed)" % (poll.get("max_bytes", 0), poll.get("mean_bytes", 0), poll.get("max_listed", 0))
        if poll else "n/a", row["failed_items"])


def report_lines(rows, baseline=None):
    """The fleet section of docs/performance.md."""
    if not rows:
        return []
    cfg = rows[0]["config"]
    lines = [
        "## Fleet: restart and wait under Coolify's own limits",
        "",
        "N applications on %d servers, each server building %d deployments at once with a queue of %d, %d requests per %g s," % (
            cfg["servers"], cfg["concurrent_builds"], cfg["queue_limit"], cfg["rate_limit"], cfg["rate_window"]),
        "%g s deployments, %g ms latency; one `coolify_app_batch` task with `state: restarted`, `wait: true` and the" % (
            cfg["deploy_seconds"], cfg["latency_ms"]),
        "module's defaults (`benchmarks/playbooks/fleet.yml`). The *build-slot limit* is what Coolify itself needs: the",
        "busiest server's ceil(apps / concurrent builds) build waves x %g s. Targets: at most %.2fx that limit, at most %.1f" % (
            cfg["deploy_seconds"], TARGETS["ratio"], TARGETS["requests_per_app"]),
        "requests per application, no rate-limit 429 and no queue-full answer.",
        "",
        "| run | N | task time | build-slot limit | x limit | requests | per app | rate-limit 429s | queue-full | "
        "GET /deployments max / mean | failed items |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row in (baseline or {}).get("fleet", []):
        lines.append(_row_line("before (%s)" % baseline.get("commit", "earlier"), row))
    for row in rows:
        lines.append(_row_line("now", row))
    lines += ["", "Requests by route (now):", ""]
    for row in rows:
        lines.append("* N=%d: %s" % (row["n"], ", ".join("%s %d" % (route, count) for route, count in row["by_route"].items())))
    for row in (baseline or {}).get("fleet", []):
        lines.append("* before, N=%d: %s" % (row["n"], ", ".join(
            "%s %d" % (route, count) for route, count in row["by_route"].items())))
    lines += [
        "",
        "*task time* is the task's own duration (the callback's), *requests* what the emulator received from the",
        "module. *queue-full* counts 429s on `/deploy` and restarts answered with a deployment uuid that was never",
        "stored (Coolify's answer when a server's queue is full). *GET /deployments* is the size of that list while the",
        "fleet builds, read every %g s by a second user with the same abilities (its requests are not counted above)." % SAMPLE_EVERY,
        "",
    ]
    return lines
