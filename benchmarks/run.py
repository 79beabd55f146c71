# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark harness (`make bench`): coolify_app_batch against the natural alternatives, on the Coolify emulator.

For each scenario it starts the emulator with a latency and a rate limit, then measures side by side:

* ``parallel``   coolops.coolify.coolify_app_batch state=restarted wait=false max_workers=W (one task);
* ``sequential`` the same task with strategy=sequential;
* ``uri loop``   a ``loop:`` of ansible.builtin.uri POSTs, one per application (what people write today);
* ``limit``      the theoretical limit: max(ceil(N/W) x calls per item x latency, total calls / rate limit)
                 + one list call + the time of an empty playbook run (measured here).

Everything is a measurement; nothing is asserted. The table goes to stdout and to docs/performance.md, the chart to
docs/performance.png, the raw data to benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import fleet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
PLAYBOOKS = os.path.join(BENCH, "playbooks")
VENV = os.environ.get("VENV") or os.path.join(ROOT, ".venv")
PYTHON = os.path.join(VENV, "bin", "python")
# The collection measured: the venv's (a link to this checkout) unless BENCH_COLLECTIONS names another collections
# directory, e.g. an export of an earlier commit for a baseline.
COLLECTIONS = os.environ.get("BENCH_COLLECTIONS") or os.path.join(VENV, "collections")
# The code before the shared watcher (issue 13), which sent no read after the last POST: the N=100, W=20 run is timed
# against it too, interleaved run by run, so "no regression" is measured on the same machine at the same moment.
BEFORE_WATCHER = "74f863b"
CALLS_PER_ITEM = 1  # one POST /applications/{uuid}/restart per application; the list call is counted apart
NO_RATE_LIMIT = 10 ** 9

APPROACHES = ("parallel", "sequential", "uri", "limit")
LABELS = {
    "parallel": "coolify_app_batch (parallel, W=%d)",
    "sequential": "coolify_app_batch (strategy: sequential)",
    "uri": "loop of ansible.builtin.uri",
    "limit": "theoretical limit",
}


def load_harness():
    """tests/emulator/harness.py is stdlib-only and importable as a plain file."""
    path = os.path.join(ROOT, "tests", "emulator", "harness.py")
    spec = importlib.util.spec_from_file_location("coolops_emulator_harness", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def log(message):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------------------------------
# Running playbooks
# ---------------------------------------------------------------------------------------------------------------------


class Runner(object):
    """Runs benchmark playbooks with the venv's ansible-playbook and collects time, result and module peak RSS."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.counter = 0
        tmp = os.path.join(workdir, "ansible-tmp")
        os.makedirs(tmp, exist_ok=True)
        self.env = dict(os.environ)
        self.env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(BENCH, "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "bench_result",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": tmp,
            "ANSIBLE_REMOTE_TEMP": tmp,
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "PATH": os.path.join(VENV, "bin") + os.pathsep + os.environ.get("PATH", ""),
        })

    def run(self, playbook, extra_vars):
        """Run one playbook; returns wall seconds, the task's seconds/status/result and the peak RSS (KiB) of the
        largest process under ansible-playbook: the worker that ran the module inside it, or the module's child."""
        self.counter += 1
        tag = "%03d-%s" % (self.counter, os.path.splitext(os.path.basename(playbook))[0])
        vars_file = os.path.join(self.workdir, tag + "-vars.json")
        result_file = os.path.join(self.workdir, tag + "-result.json")
        out_file = os.path.join(self.workdir, tag + "-stdout.txt")
        variables = dict(extra_vars)
        variables["ansible_python_interpreter"] = PYTHON
        with open(vars_file, "w", encoding="utf-8") as handle:
            json.dump(variables, handle)
        env = dict(self.env, BENCH_RESULT_FILE=result_file)
        command = [os.path.join(VENV, "bin", "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e", "@" + vars_file,
                   os.path.join(PLAYBOOKS, playbook)]
        with open(out_file, "w", encoding="utf-8") as out:
            started = time.perf_counter()
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.workdir)
            peak_kb = 0
            while proc.poll() is None:
                peak_kb = max([peak_kb] + [peak_rss_kb(pid) for pid in descendants(proc.pid)])
                time.sleep(RSS_EVERY)
            wall = time.perf_counter() - started
        tasks = []
        if os.path.exists(result_file):
            with open(result_file, encoding="utf-8") as handle:
                tasks = json.load(handle)
        task = tasks[0] if tasks else {}
        return {"wall": wall, "rc": proc.returncode, "task_seconds": task.get("seconds"), "status": task.get("status"),
                "result": task.get("result") or {}, "rss_kb": peak_kb or None, "stdout": out_file}


RSS_EVERY = 0.1  # seconds between two looks at the playbook's processes


def descendants(pid):
    """The processes below ``pid`` (Linux /proc/<pid>/task/<pid>/children), not ``pid`` itself."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            with open("/proc/%d/task/%d/children" % (parent, parent), encoding="ascii") as handle:
                kids = [int(item) for item in handle.read().split()]
        except (OSError, ValueError):
            continue
        found.extend(kids)
        todo.extend(kids)
    return found


def peak_rss_kb(pid):
    """VmHWM, the peak resident set of a process so far (0 once it is gone)."""
    try:
        with open("/proc/%d/status" % pid, encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


# ---------------------------------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------------------------------


def export_ref(ref, workdir):
    """A collections directory holding the collection as it was at git ``ref``; None when git cannot export it."""
    target = os.path.join(workdir, "ref-collections")
    folder = os.path.join(target, "ansible_collections", "coolops", "coolify")
    os.makedirs(folder, exist_ok=True)
    archive = subprocess.run(["git", "-C", ROOT, "archive", ref], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             check=False)
    if archive.returncode != 0:
        log("no comparison with %s: git archive failed: %s" % (ref, archive.stderr.decode("utf-8", "replace").strip()))
        return None
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    return target


def emulator_args(scenario, apps):
    rate_limit = scenario.get("rate_limit") or NO_RATE_LIMIT
    return ["--seed-apps", apps, "--seed-services", 0, "--seed-servers", 4, "--seed-projects", 4, "--random-seed", 1,
            "--latency-ms", scenario["latency_ms"], "--rate-limit", rate_limit, "--rate-window", scenario.get("rate_window", 60),
            "--queue-limit", 10 ** 6, "--concurrent-builds", 10 ** 6, "--deploy-seconds", 1, "--status-lag-seconds", 0.5]


def count_failed_items(approach, result):
    if approach == "uri":
        items = result.get("results") or []
        return sum(1 for item in items if item.get("failed")), len(items)
    items = result.get("applications") or []
    return sum(1 for item in items if item.get("failed")), len(items)


def measure(runner, emu, approach, scenario, uuids, workers):
    """Reset the emulator, run one approach, read the emulator's counters."""
    emu.reset()
    extra = {"bench_api_url": emu.api_url, "bench_api_token": emu.token, "bench_uuids": uuids}
    if approach == "uri":
        playbook = "uri_loop.yml"
    else:
        playbook = "batch.yml"
        extra.update(bench_strategy="sequential" if approach == "sequential" else "parallel", bench_workers=workers)
    run = runner.run(playbook, extra)
    stats = emu.stats()
    by_status = stats.get("by_status") or {}
    failed, reported = count_failed_items(approach, run["result"])
    row = {
        "approach": approach, "n": len(uuids), "measured": True, "wall": round(run["wall"], 3),
        "task_seconds": run["task_seconds"], "rc": run["rc"], "status": run["status"],
        "requests": stats.get("total"), "http_429": int(by_status.get("429", 0)), "by_status": by_status,
        "peak_in_flight": stats.get("peak_in_flight"), "failed_items": failed, "reported_items": reported,
        "rss_kb": run["rss_kb"], "msg": (run["result"] or {}).get("msg"),
        "stdout": run["stdout"],
    }
    log("%-10s N=%-5d %7.2fs  requests=%s 429s=%s failed=%s rss=%s KiB rc=%s" % (
        approach, len(uuids), run["wall"], row["requests"], row["http_429"], failed, row["rss_kb"], run["rc"]))
    return row


def theoretical_limit(scenario, n, workers, empty_seconds):
    latency = scenario["latency_ms"] / 1000.0
    fanout = math.ceil(n / float(workers)) * CALLS_PER_ITEM * latency
    rate = None
    if scenario.get("rate_limit"):
        rate = scenario["rate_limit"] / float(scenario["rate_window"])
    total_calls = n * CALLS_PER_ITEM + 1
    if rate:
        # Laravel's fixed window: a full window per `limit` calls, the last one not waited out (the bound).
        rate_bound = (math.ceil(total_calls / float(scenario["rate_limit"])) - 1) * scenario["rate_window"]
        return {"approach": "limit", "n": n, "measured": False, "wall": round(max(fanout, rate_bound) + empty_seconds, 3),
                "fanout_seconds": round(fanout, 3), "rate_seconds": round(rate_bound, 3), "requests": total_calls,
                "http_429": 0, "failed_items": 0}
    rate_bound = 0.0
    return {"approach": "limit", "n": n, "measured": False, "wall": round(max(fanout, rate_bound) + latency + empty_seconds, 3),
            "fanout_seconds": round(fanout, 3), "rate_seconds": round(rate_bound, 3), "requests": total_calls,
            "http_429": 0, "failed_items": 0}


def extrapolate(points, n, scenario, extra_requests=0):
    """Linear fit t = a + b*N through the measured (N, seconds) points, bounded below by the rate limit."""
    points = sorted(points)
    (n1, t1), (n2, t2) = points[0], points[-1]
    slope = (t2 - t1) / float(n2 - n1)
    fixed = t1 - slope * n1
    seconds = fixed + slope * n
    if scenario.get("rate_limit"):
        rate = scenario["rate_limit"] / float(scenario["rate_window"])
        seconds = max(seconds, fixed + (n + extra_requests) / rate)
    return round(seconds, 3), round(slope, 5), round(fixed, 3)


# ---------------------------------------------------------------------------------------------------------------------
# Machine facts, soak, report
# ---------------------------------------------------------------------------------------------------------------------


def machine_facts():
    facts = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    facts["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal"):
                    facts["memory_gib"] = round(int(line.split()[1]) / 1024.0 / 1024.0, 1)
                    break
        facts["load_before"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    for name, command in (("ansible_core", [os.path.join(VENV, "bin", "ansible"), "--version"]),
                          ("requests", [PYTHON, "-c", "import requests; print(requests.__version__)"]),
                          ("commit", ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])):
        try:
            text = subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
            facts[name] = text.splitlines()[0] if text else None
        except OSError:
            facts[name] = None
    try:
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "plugins"], capture_output=True, text=True,
                               check=False).stdout.strip()
        facts["plugins_modified"] = bool(dirty)
    except OSError:
        pass
    return facts


def run_soak(harness, apps, runs, batch_size, workers):
    args = ["--seed-apps", apps, "--seed-services", 0, "--seed-servers", 8, "--seed-projects", 4, "--random-seed", 2,
            "--latency-ms", 2, "--rate-limit", NO_RATE_LIMIT, "--queue-limit", 10 ** 6, "--concurrent-builds", 10 ** 6,
            "--deploy-seconds", 0.2, "--status-lag-seconds", 0.1]
    with harness.EmulatorProcess(args=args, python=PYTHON, startup_timeout=60) as emu:
        command = [PYTHON, os.path.join(BENCH, "soak.py"), "--api-url", emu.api_url, "--token", emu.token, "--runs", str(runs),
                   "--batch-size", str(batch_size), "--max-workers", str(workers), "--collections", COLLECTIONS]
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        stats = emu.stats()
    if proc.returncode != 0:
        return {"error": "soak.py exited %d: %s" % (proc.returncode, proc.stderr[-2000:])}
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["wall"] = round(wall, 2)
    report["requests"] = stats.get("total")
    report["by_status"] = stats.get("by_status")
    return report


def rate_limited_lines(scenarios, rows, baseline):
    """The rate-limited runs next to the same runs of an earlier commit (benchmarks/baseline.json)."""
    before = (baseline or {}).get("rate_limited") or {}
    limited = [s for s in scenarios if s.get("rate_limit") and s["id"] in before]
    if not limited:
        return []
    lines = ["## Rate-limited runs against %s" % baseline.get("commit", "an earlier commit"), "",
             "`wait: false`, %g ms latency; *x limit* divides by the fixed-window limit (empty play + (ceil(calls / limit) - 1)"
             % limited[0]["latency_ms"],
             "windows). The earlier commit was measured with `BENCH_COLLECTIONS` pointing at an export of it (%s)." % (
                 baseline.get("rate_limited_measured", "")), "",
             "| N | run | parallel | x limit | 429s | sequential | parallel / sequential |", "|---:|---|---:|---:|---:|---:|---:|"]
    for scenario in limited:
        for label, data in (("before", before[scenario["id"]]), ("now", rows[scenario["id"]])):
            par, seq, limit = data["parallel"], data.get("sequential"), data["limit"]
            lines.append("| %d | %s | %s | %.3f | %s | %s | %s |" % (
                scenario["n"], label, fmt_seconds(par["wall"]), par["wall"] / limit["wall"], par["http_429"],
                fmt_seconds(seq["wall"]) if seq else "n/a", "%.3f" % (par["wall"] / seq["wall"]) if seq else "n/a"))
    lines.append("")
    return lines


def soak_scaling_lines(scaling, soak):
    """Time and memory per application, from one-run soaks and the first run of the long soak."""
    points = [(entry["resources"], entry["runs"][0]) for entry in scaling if not entry.get("error")]
    if soak and not soak.get("error"):
        points.append((soak["resources"], soak["runs"][0]))
    if len(points) < 2:
        return []
    lines = ["## Scaling to %d applications" % points[-1][0], "",
             "One run each (`benchmarks/soak.py`, rolling waves of 250 with `wait: true`, deployments 0.2 s, no rate limit):",
             "", "| applications | run time | per application | RSS after the run | RSS growth per application |",
             "|---:|---:|---:|---:|---:|"]
    base_apps, base_run = points[0]
    for apps, run in points:
        growth = ""
        if apps != base_apps and run["after"]["rss_kb"] and base_run["after"]["rss_kb"]:
            growth = "%.1f KiB" % ((run["after"]["rss_kb"] - base_run["after"]["rss_kb"]) / float(apps - base_apps))
        lines.append("| %d | %s | %.1f ms | %s | %s |" % (
            apps, fmt_seconds(run["seconds"]), 1000.0 * run["seconds"] / apps, fmt_mib(run["after"]["rss_kb"]), growth))
    per_app = [run["seconds"] / apps for apps, run in points]
    verdict = "linear" if max(per_app) <= 1.3 * min(per_app) else "**not linear**"
    lines += ["", "Time per application stays within %.0f%% across sizes (%s)." % (
        100.0 * (max(per_app) / min(per_app) - 1), verdict), ""]
    return lines


def fmt_seconds(value):
    if value is None:
        return "n/a"
    if value >= 100:
        return "%.0f s" % value
    if value >= 10:
        return "%.1f s" % value
    return "%.2f s" % value


def fmt_mib(kib):
    return "n/a" if not kib else "%.0f MiB" % (kib / 1024.0)


def build_table(scenarios, rows, workers):
    lines = ["| scenario | approach | N | wall time | x limit | requests | 429s | failed items | module peak RSS |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for scenario in scenarios:
        sid = scenario["id"]
        limit = rows[sid]["limit"]["wall"]
        for approach in APPROACHES:
            row = rows[sid].get(approach)
            if row is None:
                continue
            label = LABELS[approach] % workers if "%d" in LABELS[approach] else LABELS[approach]
            wall = fmt_seconds(row["wall"])
            if not row.get("measured", True) and approach != "limit":
                wall = "~" + wall + " (extrapolated)"
            ratio = "1.00" if approach == "limit" else "%.2f" % (row["wall"] / limit)
            requests = row.get("requests")
            requests = "n/a" if requests is None else ("~%d" % requests if not row.get("measured", True) and approach != "limit"
                                                       else str(requests))
            if approach == "limit":
                requests = "%s (min.)" % requests
            failed = row.get("failed_items")
            lines.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
                scenario["title"], label, row["n"], wall, ratio, requests,
                row.get("http_429", "n/a") if row.get("measured", True) or approach == "limit" else "n/a",
                "n/a" if failed is None or (not row.get("measured", True) and approach != "limit") else failed,
                fmt_mib(row.get("rss_kb")) if approach != "limit" else ""))
    return "\n".join(lines)


def where_time_goes(scenarios, rows, workers):
    """A few lines splitting the parallel task's wall time at N=100 (or the largest plain N measured)."""
    plain = [s for s in scenarios if not s.get("rate_limit") and rows[s["id"]]["parallel"].get("task_seconds")]
    if not plain:
        return []
    scenario = min(plain, key=lambda s: abs(s["n"] - 100))
    par = rows[scenario["id"]]["parallel"]
    latency = scenario["latency_ms"] / 1000.0
    floor = (1 + math.ceil(scenario["n"] / float(workers))) * latency
    return [
        "Where the time goes (parallel, N=%d): the run took %s; an empty play takes %s and a play with one trivial" % (
            scenario["n"], fmt_seconds(par["wall"]), fmt_seconds(rows["_empty"])),
        "module task %s, so about %s is Ansible packaging and starting a module. The batch task itself took %s (its" % (
            fmt_seconds(rows["_ping"]), fmt_seconds(rows["_ping"] - rows["_empty"]), fmt_seconds(par["task_seconds"])),
        "module runs inside the worker process, see `_in_worker.py`), of which %s is the latency floor (one list" % (
            fmt_seconds(floor)),
        "call and %d waves of %d requests at %g ms); the rest is imports, the confirm read and per-request work, on" % (
            math.ceil(scenario["n"] / float(workers)), workers, scenario["latency_ms"]),
        "two cores shared with the emulator.",
        "",
    ]


def before_watcher_note(before, bound):
    """The same run of the code before the watcher, timed in turn with this one (see --compare-ref)."""
    if not before:
        return ""
    return ("; the code at %s (before the watcher; no read after the last POST), timed in turn with it: %.3fx (median %s "
            "of %s)" % (before["ref"], before["wall"] / bound, fmt_seconds(before["wall"]),
                        ", ".join("%.2f" % run for run in before["runs"])))


def check_targets(rows, scenarios, workers):  # pylint: disable=too-many-locals
    """The issue's targets, evaluated (never asserted); returns a list of (target, verdict, detail)."""
    checks = []
    by_n = {scenario["n"]: scenario["id"] for scenario in scenarios if not scenario.get("rate_limit")}
    if 100 in by_n:
        sid = by_n[100]
        par, limit, uri = rows[sid]["parallel"], rows[sid]["limit"], rows[sid].get("uri")
        ratio = par["wall"] / limit["wall"]
        runs = par.get("runs") or [par["wall"]]
        module_floor = limit["wall"] - rows["_empty"] + rows["_ping"]
        checks.append(("at most 1.3x the limit at N=100", ratio <= 1.3,
                       "%.3fx (median %s of %d runs: %s; limit %s). For context: %.2fx the limit plus the start-up of one "
                       "trivial module task (%s with ansible.builtin.ping instead of %s for the empty play)" % (
                           ratio, fmt_seconds(par["wall"]), len(runs), ", ".join("%.2f" % run for run in runs),
                           fmt_seconds(limit["wall"]), par["wall"] / module_floor, fmt_seconds(rows["_ping"]),
                           fmt_seconds(rows["_empty"]))))
        if uri:
            speedup = uri["wall"] / par["wall"]
            checks.append(("at least 20x faster than the uri loop at N=100", speedup >= 20,
                           "%.1fx (%s against %s)" % (speedup, fmt_seconds(par["wall"]), fmt_seconds(uri["wall"]))))
        floor = (1 + math.ceil(100 / float(workers))) * scenarios[0]["latency_ms"] / 1000.0
        bound = rows["_ping"] + floor
        checks.append(("N=100 at %g ms, W=%d: at most 1.1x one ping task plus the network floor" % (
            scenarios[0]["latency_ms"], workers), par["wall"] <= 1.1 * bound,
            "%.3fx (%s against %s: a play with one ansible.builtin.ping task, %s, plus %s of latency: one list call and "
            "%d waves of %d)%s" % (par["wall"] / bound, fmt_seconds(par["wall"]), fmt_seconds(bound),
                                   fmt_seconds(rows["_ping"]), fmt_seconds(floor), math.ceil(100 / float(workers)), workers,
                                   before_watcher_note(rows[sid].get("before_watcher"), bound))))
    for scenario in scenarios:
        if scenario.get("rate_limit"):
            par, seq, limit = (rows[scenario["id"]].get(key) for key in ("parallel", "sequential", "limit"))
            share = par["http_429"] / float(par["requests"] or 1)
            ratio = par["wall"] / limit["wall"]
            ok = (par["failed_items"] == 0 and par["reported_items"] == scenario["n"] and share <= 0.01 and ratio <= 1.05
                  and (seq is None or par["wall"] <= seq["wall"]))
            checks.append(("rate-limited N=%d (%d per %g s): <= 1.05x the fixed-window limit, <= 1%% 429s, no failed item, "
                           "parallel no slower than sequential" % (scenario["n"], scenario["rate_limit"], scenario["rate_window"]),
                           ok, "%.3fx (%s against %s); the task alone %.3fx (%s against %s of windows); %d 429s in %d requests "
                           "(%.2f%%); %d failed of %d reported; sequential %s" % (
                               ratio, fmt_seconds(par["wall"]), fmt_seconds(limit["wall"]),
                               (par["task_seconds"] or 0) / limit["rate_seconds"], fmt_seconds(par["task_seconds"]),
                               fmt_seconds(limit["rate_seconds"]), par["http_429"], par["requests"],
                               100 * share, par["failed_items"], par["reported_items"],
                               fmt_seconds(seq["wall"]) if seq else "not measured")))
    if 1000 in by_n and 100 in by_n and 10 in by_n:
        p10, p100, p1000 = (rows[by_n[n]]["parallel"] for n in (10, 100, 1000))
        empty = rows["_empty"]
        waves = {n: math.ceil(n / float(workers)) for n in (10, 100, 1000)}
        per_wave_small = (p100["wall"] - p10["wall"]) / max(1, waves[100] - waves[10])
        per_wave_large = (p1000["wall"] - p100["wall"]) / max(1, waves[1000] - waves[100])
        time_ok = per_wave_large <= 1.25 * per_wave_small + 0.02
        detail = ("time per wave of %d: %.0f ms from N=10 to 100, %.0f ms from N=100 to 1000 (latency %d ms; fixed cost %s)" % (
            workers, 1000 * per_wave_small, 1000 * per_wave_large, scenarios[0]["latency_ms"], fmt_seconds(empty)))
        mem = ""
        mem_ok = True
        if p10.get("rss_kb") and p100.get("rss_kb") and p1000.get("rss_kb"):
            small = (p100["rss_kb"] - p10["rss_kb"]) / 90.0
            large = (p1000["rss_kb"] - p100["rss_kb"]) / 900.0
            mem_ok = large <= max(1.25 * small, 0) + 8.0
            mem = "; memory per extra item: %.1f KiB from N=10 to 100, %.1f KiB from N=100 to 1000 (%s at N=1000)" % (
                small, large, fmt_mib(p1000["rss_kb"]))
        checks.append(("N=1000: time and memory grow linearly, not worse", time_ok and mem_ok, detail + mem))
    return checks


def draw_chart(path, scenarios, rows, workers, fleet_rows=(), baseline=None):  # pylint: disable=too-many-locals
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
        import matplotlib.ticker  # pylint: disable=import-outside-toplevel
    except ImportError:
        log("matplotlib is not installed: no chart (scripts/bench.sh installs it)")
        return False
    plain = [scenario for scenario in scenarios if not scenario.get("rate_limit")]
    limited = [scenario for scenario in scenarios if scenario.get("rate_limit")]
    panels = 1 + (1 if limited else 0) + (1 if fleet_rows else 0)
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 5), squeeze=False)
    axis = axes[0][0]
    styles = {"parallel": ("tab:green", "o"), "sequential": ("tab:orange", "s"), "uri": ("tab:red", "^"),
              "limit": ("tab:gray", "x")}
    for approach in APPROACHES:
        points = [(rows[s["id"]][approach]["n"], rows[s["id"]][approach]["wall"], rows[s["id"]][approach].get("measured", True))
                  for s in plain if approach in rows[s["id"]]]
        if not points:
            continue
        color, marker = styles[approach]
        label = LABELS[approach] % workers if "%d" in LABELS[approach] else LABELS[approach]
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        axis.plot(xs, ys, color=color, linestyle=":" if approach == "limit" else "-", linewidth=1.2, alpha=0.6)
        measured = [p for p in points if p[2] or approach == "limit"]
        guessed = [p for p in points if not p[2] and approach != "limit"]
        axis.scatter([p[0] for p in measured], [p[1] for p in measured], color=color, marker=marker, label=label, zorder=3)
        if guessed:
            axis.scatter([p[0] for p in guessed], [p[1] for p in guessed], facecolors="none", edgecolors=color, marker=marker,
                         label="%s, extrapolated" % label, zorder=3)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _pos: "%g" % value))
    axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _pos: "%g" % value))
    axis.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axis.set_xlabel("applications restarted (N)")
    axis.set_ylabel("wall time of ansible-playbook (s)")
    axis.set_title("Restart N apps, %d ms API latency" % plain[0]["latency_ms"] if plain else "")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    if limited:
        axis = axes[0][1]
        names = ("parallel", "sequential", "limit")
        width = 0.8 / len(names)
        for offset, name in enumerate(names):
            values = [rows[s["id"]][name]["wall"] if name in rows[s["id"]] else 0 for s in limited]
            axis.bar([i + offset * width for i in range(len(limited))], values, width, color=styles[name][0],
                     label={"parallel": "parallel (W=%d)" % workers, "limit": "fixed-window limit"}.get(name, name))
        axis.set_xticks([i + width for i in range(len(limited))])
        axis.set_xticklabels(["N=%d" % s["n"] for s in limited])
        axis.set_ylabel("wall time (s)")
        axis.set_title("Rate limit %d per %g s, wait: false" % (limited[0]["rate_limit"], limited[0]["rate_window"]))
        axis.grid(True, axis="y", alpha=0.3)
        axis.legend(fontsize=8)
    if fleet_rows:
        axis = axes[0][panels - 1]
        groups = [("before", row) for row in (baseline or {}).get("fleet", [])] + [("now", row) for row in fleet_rows]
        xs = range(len(groups))
        axis.bar([x - 0.2 for x in xs], [row["task_seconds"] for _label, row in groups], 0.4, color="tab:green",
                 label="task time")
        axis.bar([x + 0.2 for x in xs], [row["limit"] for _label, row in groups], 0.4, color="tab:gray",
                 label="build-slot limit")
        for x, (_label, row) in zip(xs, groups):
            axis.annotate("%.2fx\n%.1f req/app" % (row["ratio"], row["requests_per_app"]), (x, row["task_seconds"]),
                          ha="center", va="bottom", fontsize=8)
        axis.set_xticks(list(xs))
        axis.set_xticklabels(["%s\nN=%d" % (label, row["n"]) for label, row in groups])
        axis.set_ylabel("seconds")
        axis.set_title("Fleet: restart and wait (2 builds, queue 25 per server)")
        axis.grid(True, axis="y", alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_report(path, chart_name, facts, scenarios, rows, checks, soak, workers, command, started, finished,
                 repeats_used=3, measure_up_to=100, extra=()):
    table = build_table(scenarios, rows, workers)
    lines = [
        "# Performance",
        "",
        "<!-- Written by benchmarks/run.py (`make bench`); edit the harness, not this file. -->",
        "",
        "How long `coolops.coolify.coolify_app_batch` takes to restart N applications, against the two things people",
        "do today (one at a time, or a `loop:` of `ansible.builtin.uri`) and against the theoretical limit. Every number",
        "below was measured by `%s` on %s (%s to %s UTC) against the Coolify emulator; numbers marked" % (
            command, started.strftime("%Y-%m-%d"), started.strftime("%H:%M"), finished.strftime("%H:%M")),
        "*extrapolated* were not run (see [Method](#method)).",
        "",
        "The machine (%s cores) was shared with other work while it ran: the 1-minute load average was %s at the start and %s" % (
            facts.get("cores"), facts.get("load_before"), facts.get("load_after")),
        "at the end. Absolute seconds move with that load, start-up times most; request counts, 429s and the ratios of",
        "long runs to their limits move much less, so read those first.",
        "",
        "![wall time against N, log-log](%s)" % chart_name,
        "",
        "## Targets",
        "",
        "| target | met | measured |",
        "|---|---|---|",
    ]
    for name, verdict, detail in checks:
        lines.append("| %s | %s | %s |" % (name, "yes" if verdict else "**no**", detail))
    lines += ["", "## Results", "", table, ""]
    breakdown = where_time_goes(scenarios, rows, workers)
    if breakdown:
        lines += breakdown
    lines += [
        "Columns: *wall time* is the whole `ansible-playbook` run (start-up included) as a user sees it; *x limit* divides it",
        "by the scenario's theoretical limit; *requests* is what the emulator received (`/_emulator/stats`), list and",
        "version calls included; *429s* are the rate-limit answers it sent; *failed items* are the items the task reported",
        "failed; *module peak RSS* is the peak resident memory of the process that ran the module (for the uri loop: of",
        "the largest of its per-item processes).",
        "",
    ]
    lines += list(extra)
    if soak:
        lines += ["## Soak: %s resources in rolling waves" % soak.get("resources", "?"), ""]
        if soak.get("error"):
            lines += ["The soak run failed: `%s`" % soak["error"], ""]
        else:
            lines += [
                "One Python process ran the module's real `main()` %d times in a row; each run restarted every application" % len(soak["runs"]),
                "with `strategy: rolling`, `batch_size: %d`, `max_workers: %d` and `wait: true` (emulator latency 2 ms," % (
                    soak["batch_size"], soak["max_workers"]),
                "deployments 0.2 s). Open file descriptors (sockets among them), threads and RSS of that process, measured",
                "after `gc.collect()`:",
                "",
                "| moment | fds | sockets | Python threads | OS threads | RSS | run time | failed items |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
                "| before the first run | %d | %d | %d | %s | %s | | |" % (
                    soak["baseline"]["fds"], soak["baseline"]["sockets"], soak["baseline"]["threads"],
                    soak["baseline"]["os_threads"], fmt_mib(soak["baseline"]["rss_kb"])),
            ]
            for run in soak["runs"]:
                after = run["after"]
                lines.append("| after run %d | %d | %d | %d | %s | %s | %s | %s |" % (
                    run["run"], after["fds"], after["sockets"], after["threads"], after["os_threads"], fmt_mib(after["rss_kb"]),
                    fmt_seconds(run["seconds"]), (run.get("summary") or {}).get("failed", "n/a")))
            base, final = soak["baseline"], soak["final"]
            leaked = final["fds"] - base["fds"], final["sockets"] - base["sockets"], final["threads"] - base["threads"]
            verdict = "no leak" if leaked == (0, 0, 0) else "**leak**: %+d fds, %+d sockets, %+d threads" % leaked
            lines += ["", "Verdict: %s of file descriptors, sockets or threads (%d API requests in %s): every run ends with" % (
                verdict, soak.get("requests") or 0, fmt_seconds(soak["wall"])),
                "the counts it started with, so the fan-out's worker threads ended and the client closed its connection pool."]
            rss = [base["rss_kb"]] + [run["after"]["rss_kb"] for run in soak["runs"]]
            if all(rss):
                growth = ", ".join("%+.1f MiB" % ((rss[i + 1] - rss[i]) / 1024.0) for i in range(len(rss) - 1))
                lines.append("Resident memory change per run (RSS is not a leak test by itself: Python's allocator keeps freed "
                             "arenas): %s." % growth)
            lines.append("")
    empty = rows["_empty"]
    lines += [
        "## Method",
        "",
        "* **Emulator.** `tests/emulator` (a threaded stdlib HTTP server with Coolify's behaviour) on loopback, started per",
        "  scenario with `--latency-ms` (added to every API request), `--rate-limit`/`--rate-window` (Laravel's fixed",
        "  window per user; %s per window when a scenario has no limit) and a deployment queue large enough that every" % NO_RATE_LIMIT,
        "  restart is really queued. It is reset (`POST /_emulator/reset`: seed, counters, rate-limit buckets) before",
        "  every measurement. Emulator and Ansible share the machine's cores.",
        "* **Approaches.** `benchmarks/playbooks/batch.yml` runs one `coolops.coolify.coolify_app_batch` task with",
        "  `state: restarted`, `wait: false`, the N uuids and `max_workers: %d` (parallel) or `strategy: sequential`;" % workers,
        "  `benchmarks/playbooks/uri_loop.yml` runs one `ansible.builtin.uri` POST per uuid with `loop:`. All run with",
        "  `ansible-playbook -i localhost, -c local` and the venv's interpreter.",
        "* **Wall time** is measured around the `ansible-playbook` process; a small callback",
        "  (`benchmarks/callback_plugins/bench_result.py`) records the task's own duration and result (failed items).",
        "  The parallel task is timed %d times for N up to %d (the table shows the median run) and once above." % (
            repeats_used, measure_up_to),
        "  At N=100 each of those runs is followed by the same run of the collection as it was at an earlier commit",
        "  (`--compare-ref`, an export made with `git archive`), so the two are compared on the same machine at the same",
        "  moment; start-up times on a shared machine move by a factor of three within a day.",
        "* **Theoretical limit** = max(ceil(N / W) x %d call per item x latency, (N x %d + 1) / rate limit) + one list call" % (
            CALLS_PER_ITEM, CALLS_PER_ITEM),
        "  (one latency) + the median wall time of an empty playbook run (`benchmarks/playbooks/empty.yml`, measured: %s)." % (
            fmt_seconds(empty)),
        "  The per-item call is the POST; the module's other reads (selector resolution, version) count against it.",
        "* **Extrapolation.** Running the uri loop beyond N=100, and the sequential strategy at N=1000, would take minutes",
        "  and shows nothing new, so they are extrapolated with a straight line through their measured N=10 and N=100",
        "  points (time = fixed + N x per item), never below the rate-limit bound. Extrapolated cells say so. The",
        "  sequential strategy is measured in the rate-limited case, where the limit, not the latency, sets its pace.",
        "* **Peak memory.** While a playbook runs, the harness reads the peak RSS (`VmHWM`) of every process below",
        "  ansible-playbook every 0.1 s and keeps the largest. For the batch modules that is the worker process, which",
        "  runs the module inside it (a fork of ansible-playbook, so it includes the controller's own memory); for the",
        "  uri loop, a worker or a module process (a 3-item run: each item is its own process).",
        "* **Requests and 429s** come from the emulator's own counters, not from the client.",
        "* **Soak** (`benchmarks/soak.py`) imports the collection and calls `coolify_app_batch.main()` repeatedly in one",
        "  process, recording `/proc/self/fd`, `threading.active_count()` and `/proc/self/status` before and after each run.",
        "",
        "## Machine",
        "",
        "| fact | value |",
        "|---|---|",
    ]
    for key in ("cpu", "cores", "memory_gib", "platform", "python", "ansible_core", "requests", "commit", "plugins_modified",
                "load_before", "load_after"):
        if key in facts:
            lines.append("| %s | %s |" % (key.replace("_", " "), facts[key]))
    lines += [
        "",
        "*load before/after* is the 1-minute load average when the run started and ended (other work on the machine",
        "slows every approach alike).",
        "",
        "Reproduce: `make bench` (about six minutes on 2 cores; `scripts/bench.sh --help` lists the knobs). Raw data:",
        "`benchmarks/results/latest.json` (git-ignored).",
        "",
    ]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    return table


# ---------------------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark coolify_app_batch against a uri loop on the Coolify emulator.")
    parser.add_argument("--sizes", default="10,100,1000", help="N values at --latency-ms without a rate limit")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--rate-limited", default="300:100:10,600:100:10",
                        help="N:LIMIT:WINDOW[,...] for the rate-limited cases ('' to skip)")
    parser.add_argument("--measure-up-to", type=int, default=100,
                        help="run the uri loop and sequential up to this N (sequential also in the rate-limited case)")
    parser.add_argument("--repeats", type=int, default=5, help="timing runs of the parallel task for N <= --measure-up-to")
    parser.add_argument("--fleet", default="100,500",
                        help="N values of the fleet scenario (restart and wait under Coolify's build slots; '' to skip)")
    parser.add_argument("--fleet-only", action="store_true",
                        help="run only the fleet scenario; print and save its rows, leave docs/performance.md alone")
    parser.add_argument("--soak", type=int, default=2000, help="applications in the soak run (0 to skip)")
    parser.add_argument("--soak-runs", type=int, default=3)
    parser.add_argument("--soak-scale", default="500,1000",
                        help="application counts of one-run soaks, to show time and memory grow linearly up to --soak")
    parser.add_argument("--compare-ref", default=BEFORE_WATCHER,
                        help="git ref whose collection the N=100 run is also timed with, interleaved ('' to skip)")
    parser.add_argument("--baseline", default=os.path.join(BENCH, "baseline.json"),
                        help="fleet rows measured on an earlier commit, shown next to the new ones")
    parser.add_argument("--report", default=os.path.join(ROOT, "docs", "performance.md"))
    parser.add_argument("--chart", default=os.path.join(ROOT, "docs", "performance.png"))
    parser.add_argument("--results", default=os.path.join(BENCH, "results"))
    args = parser.parse_args(argv)

    harness = load_harness()
    os.makedirs(args.results, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="run-", dir=args.results)
    runner = Runner(workdir)
    started = datetime.datetime.now(datetime.timezone.utc)
    facts = machine_facts()
    log("machine: %s, %s cores; work dir %s" % (facts.get("cpu"), facts.get("cores"), workdir))

    fleet_sizes = [int(item) for item in args.fleet.split(",") if item.strip()]
    if args.fleet_only:
        rows = [fleet.measure_fleet(runner, harness, PYTHON, n, log=log) for n in fleet_sizes]
        with open(os.path.join(args.results, "fleet-latest.json"), "w", encoding="utf-8") as handle:
            json.dump({"facts": facts, "fleet": rows}, handle, indent=1, default=str)
        for name, verdict, detail in fleet.fleet_checks(rows):
            print("%-4s %s: %s" % ("ok" if verdict else "MISS", name, detail))
        return 0

    scenarios = []
    for n in [int(item) for item in args.sizes.split(",") if item.strip()]:
        scenarios.append({"id": "n%d" % n, "n": n, "latency_ms": args.latency_ms,
                          "title": "N=%d, %g ms" % (n, args.latency_ms)})
    for spec in [item for item in args.rate_limited.split(",") if item.strip()]:
        n, limit, window = spec.split(":")
        scenarios.append({"id": "rl%s" % n, "n": int(n), "latency_ms": args.latency_ms, "rate_limit": int(limit),
                          "rate_window": float(window),
                          "title": "N=%s, %g ms, %s req / %s s" % (n, args.latency_ms, limit, window)})

    # The fixed cost: median of five empty runs (after one warm-up); for context, one trivial module task.
    runner.run("empty.yml", {})
    empties = [runner.run("empty.yml", {})["wall"] for _run in range(5)]
    empty_seconds = statistics.median(empties)
    log("empty playbook: %s (runs: %s)" % (fmt_seconds(empty_seconds), ", ".join("%.2f" % e for e in empties)))
    pings = [runner.run("ping.yml", {})["wall"] for _run in range(5)]
    ping_seconds = statistics.median(pings)
    log("one ansible.builtin.ping task: %s (runs: %s)" % (fmt_seconds(ping_seconds), ", ".join("%.2f" % e for e in pings)))

    rows = {"_empty": round(empty_seconds, 3), "_ping": round(ping_seconds, 3)}
    ref_runner = None
    if args.compare_ref:
        ref_collections = export_ref(args.compare_ref, workdir)
        if ref_collections is not None:
            os.makedirs(os.path.join(workdir, "ref"), exist_ok=True)
            ref_runner = Runner(os.path.join(workdir, "ref"))
            ref_runner.env["ANSIBLE_COLLECTIONS_PATH"] = ref_collections
    uri_rss = None
    for scenario in scenarios:
        n = scenario["n"]
        log("scenario %s: starting the emulator with %d applications" % (scenario["title"], n))
        with harness.EmulatorProcess(args=emulator_args(scenario, n), python=PYTHON, startup_timeout=60) as emu:
            status, _headers, apps = emu.request("GET", "/applications")
            if status != 200:
                raise SystemExit("the emulator did not list its applications: HTTP %s" % status)
            uuids = [app["uuid"] for app in apps][:n]
            data = {"limit": theoretical_limit(scenario, n, args.workers, empty_seconds)}
            if scenario.get("rate_limit"):
                # The rate limit dominates (about a minute): one run.
                data["parallel"] = measure(runner, emu, "parallel", scenario, uuids, args.workers)
            else:
                # The median of --repeats for small N; the memory is that of the median run.
                repeats = args.repeats if n <= args.measure_up_to else 1
                timed, before = [], []
                for _run in range(repeats):
                    timed.append(measure(runner, emu, "parallel", scenario, uuids, args.workers))
                    if ref_runner is not None and n == 100:
                        before.append(measure(ref_runner, emu, "parallel", scenario, uuids, args.workers)["wall"])
                timed.sort(key=lambda row: row["wall"])
                data["parallel"] = timed[len(timed) // 2]
                data["parallel"]["runs"] = [row["wall"] for row in timed]
                if before:
                    data["before_watcher"] = {"ref": args.compare_ref, "wall": statistics.median(before),
                                              "runs": sorted(before)}
            if n <= args.measure_up_to or scenario.get("rate_limit"):
                data["sequential"] = measure(runner, emu, "sequential", scenario, uuids, args.workers)
            if n <= args.measure_up_to:
                data["uri"] = measure(runner, emu, "uri", scenario, uuids, args.workers)
                if uri_rss is None:
                    uri_rss = measure(runner, emu, "uri", scenario, uuids[:3], args.workers)["rss_kb"]
                data["uri"]["rss_kb"] = uri_rss
        rows[scenario["id"]] = data

    # Extrapolate the slow approaches beyond --measure-up-to from the measured plain-latency points.
    for approach in ("sequential", "uri"):
        points = [(rows[s["id"]][approach]["n"], rows[s["id"]][approach]["wall"]) for s in scenarios
                  if approach in rows[s["id"]] and not s.get("rate_limit")]
        if len(points) < 2:
            continue
        measured_rows = [rows[s["id"]][approach] for s in scenarios if approach in rows[s["id"]] and not s.get("rate_limit")]
        overhead = max(0, measured_rows[-1]["requests"] - measured_rows[-1]["n"])
        for scenario in scenarios:
            if approach in rows[scenario["id"]]:
                continue
            seconds, slope, fixed = extrapolate(points, scenario["n"], scenario, overhead)
            rows[scenario["id"]][approach] = {
                "approach": approach, "n": scenario["n"], "measured": False, "wall": seconds, "per_item": slope, "fixed": fixed,
                "requests": scenario["n"] + overhead, "http_429": None, "failed_items": None,
                "rss_kb": uri_rss if approach == "uri" else None}

    fleet_rows = []
    for n in fleet_sizes:
        log("fleet scenario: %d applications, waiting for their deployments" % n)
        fleet_rows.append(fleet.measure_fleet(runner, harness, PYTHON, n, log=log))

    scaling = []
    for apps in [int(item) for item in args.soak_scale.split(",") if item.strip()]:
        log("soak scaling: %d applications, one run" % apps)
        scaling.append(run_soak(harness, apps, 1, 250, args.workers))
    soak = None
    if args.soak:
        log("soak: %d applications, %d runs in one process" % (args.soak, args.soak_runs))
        soak = run_soak(harness, args.soak, args.soak_runs, 250, args.workers)
        log("soak: %s" % json.dumps({k: soak.get(k) for k in ("baseline", "final", "wall", "error")}))

    finished = datetime.datetime.now(datetime.timezone.utc)
    checks = check_targets(rows, scenarios, args.workers) + fleet.fleet_checks(fleet_rows)
    baseline = None
    if args.baseline and os.path.exists(args.baseline):
        with open(args.baseline, encoding="utf-8") as handle:
            baseline = json.load(handle)
    chart_ok = draw_chart(args.chart, scenarios, rows, args.workers, fleet_rows, baseline)
    command = "make bench"
    facts["load_after"] = round(os.getloadavg()[0], 2)
    table = write_report(args.report, os.path.basename(args.chart) if chart_ok else "(no chart: matplotlib missing)", facts,
                         scenarios, rows, checks, soak, args.workers, command, started, finished,
                         repeats_used=args.repeats, measure_up_to=args.measure_up_to,
                         extra=(rate_limited_lines(scenarios, rows, baseline) + fleet.report_lines(fleet_rows, baseline)
                                + soak_scaling_lines(scaling, soak)))
    raw = {"facts": facts, "scenarios": scenarios, "rows": rows, "checks": checks, "soak": soak, "fleet": fleet_rows,
           "soak_scaling": scaling,
           "started": started.isoformat(), "finished": finished.isoformat(), "workdir": workdir}
    with open(os.path.join(args.results, "latest.json"), "w", encoding="utf-8") as handle:
        json.dump(raw, handle, indent=1, default=str)
    shutil.copy(os.path.join(args.results, "latest.json"), os.path.join(workdir, "results.json"))

    print(table)
    print()
    for name, verdict, detail in checks:
        print("%-4s %s: %s" % ("ok" if verdict else "MISS", name, detail))
    if soak and not soak.get("error"):
        print("soak: baseline %s, final %s" % (json.dumps(soak["baseline"]), json.dumps(soak["final"])))
    print()
    print("wrote %s%s (%.0f s in all)" % (args.report, " and " + args.chart if chart_ok else "",
                                          (finished - started).total_seconds()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
