# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the emulator is never the bottleneck: concurrency under latency, and raw throughput.

Run: `python3 tests/emulator/perf.py [--seconds 3] [--processes 2] [--threads 4]`
(a) with --latency-ms 100, 100 concurrent requests must finish in well under a second in total;
(b) with no latency, keep-alive clients in several processes measure requests per second.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import threading
import time
from urllib.parse import urlsplit

try:
    from . import harness
except ImportError:  # run as a script: this directory is sys.path[0]
    import harness  # pylint: disable=import-error


def _get(conn, path, token):
    conn.request("GET", path, headers={"Authorization": "Bearer " + token, "Accept": "application/json"})
    resp = conn.getresponse()
    resp.read()
    return resp.status


def concurrent_latency(count=100, latency_ms=100):
    """Wall time of `count` simultaneous requests against an emulator adding `latency_ms` to each."""
    with harness.EmulatorProcess(args=("--seed-apps", "5", "--latency-ms", str(latency_ms), "--rate-limit", "100000")) as emu:
        parts = urlsplit(emu.base_url)
        conns = [http.client.HTTPConnection(parts.hostname, parts.port, timeout=30) for _conn in range(count)]
        for conn in conns:
            conn.connect()
        barrier = threading.Barrier(count + 1)
        statuses = []

        def worker(conn):
            barrier.wait()
            statuses.append(_get(conn, "/api/v1/version", emu.token))

        threads = [threading.Thread(target=worker, args=(conn,)) for conn in conns]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        for conn in conns:
            conn.close()
        peak = emu.stats()["peak_in_flight"]
    return elapsed, statuses.count(200), peak


def _client_process(base_url, token, path, threads, seconds, out):
    parts = urlsplit(base_url)
    counts = [0] * threads
    errors = [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(index):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < deadline:
            if _get(conn, path, token) == 200:
                counts[index] += 1
            else:
                errors[index] += 1
        conn.close()

    workers = [threading.Thread(target=loop, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((sum(counts), sum(errors)))


def throughput(seconds=3.0, processes=2, threads=4, path="/api/v1/version"):
    """Requests per second with keep-alive connections from `processes` x `threads` clients."""
    with harness.EmulatorProcess(args=("--seed-apps", "20", "--rate-limit", "100000000")) as emu:
        out = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=_client_process, args=(emu.base_url, emu.token, path, threads, seconds, out))
                 for _proc in range(processes)]
        started = time.perf_counter()
        for proc in procs:
            proc.start()
        results = [out.get() for _proc in procs]
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - started
    ok = sum(result[0] for result in results)
    errors = sum(result[1] for result in results)
    return ok / elapsed, ok, errors, elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    elapsed, ok, peak = concurrent_latency()
    print("(a) 100 concurrent requests at --latency-ms 100: %.3f s wall time in total (%d x 200, peak in flight %d)"
          % (elapsed, ok, peak))
    for path in ("/api/v1/version", "/api/v1/applications/__first__"):
        if path.endswith("__first__"):
            with harness.EmulatorProcess(args=("--seed-apps", "20")) as emu:
                uuid = emu.request("GET", "/applications")[2][0]["uuid"]
            # fleets are reproducible, so the first uuid is the same in the next emulator
            path = "/api/v1/applications/" + uuid
        rate, ok, errors, spent = throughput(args.seconds, args.processes, args.threads, path)
        print("(b) GET %s with no latency: %.0f requests/s (%d ok, %d errors in %.1f s; %d processes x %d keep-alive threads)"
              % (path, rate, ok, errors, spent, args.processes, args.threads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
