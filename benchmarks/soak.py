# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soak driver: run coolify_app_batch's real main() several times in THIS process and watch for leaks.

A module normally lives for one task, so a leak would hide behind the process exit. Here the same process runs the
module again and again (rolling restarts of every application, with waiting) and records, before and after each run,
the open file descriptors, how many of them are sockets, the Python and OS thread counts, and the resident memory.
Prints one JSON document on stdout. Used by benchmarks/run.py; needs ANSIBLE_COLLECTIONS_PATH-style imports, so it
puts <venv>/collections on sys.path itself.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _ModuleExit(Exception):
    def __init__(self, result):
        super().__init__("module exited")
        self.result = result


def process_facts():
    """Open fds, socket fds, Python threads, OS threads and RSS (KiB) of this process."""
    gc.collect()
    fds = os.listdir("/proc/self/fd")
    sockets = 0
    for name in fds:
        try:
            if os.readlink(os.path.join("/proc/self/fd", name)).startswith("socket:"):
                sockets += 1
        except OSError:
            continue
    os_threads = rss = None
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("Threads:"):
                os_threads = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return {"fds": len(fds), "sockets": sockets, "threads": threading.active_count(), "os_threads": os_threads,
            "rss_kb": rss}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--max-workers", type=int, default=20)
    parser.add_argument("--poll-interval", type=float, default=0.25)
    parser.add_argument("--collections", default=os.path.join(os.environ.get("VENV", os.path.join(ROOT, ".venv")), "collections"))
    args = parser.parse_args(argv)

    sys.path.insert(0, args.collections)
    # pylint: disable=import-outside-toplevel
    from ansible.module_utils import basic
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch

    def exit_json(self, **kwargs):  # pylint: disable=unused-argument
        raise _ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
        kwargs.update(failed=True, msg=msg)
        raise _ModuleExit(kwargs)

    basic.AnsibleModule.exit_json = exit_json
    basic.AnsibleModule.fail_json = fail_json

    module_args = {
        "api_url": args.api_url, "api_token": args.token, "project": None, "tags": None, "names": None,
        "state": "restarted", "strategy": "rolling", "batch_size": args.batch_size, "max_workers": args.max_workers,
        "wait": True, "wait_timeout": 600, "poll_interval": args.poll_interval,
    }
    # Every application of the token's team: select them by their uuids, read once through the admin-free API.
    from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
    with CoolifyClient(args.api_url, args.token) as client:
        uuids = [app["uuid"] for app in client.list_applications()]
    module_args = {key: value for key, value in module_args.items() if value is not None}
    module_args["uuids"] = uuids

    report = {"resources": len(uuids), "batch_size": args.batch_size, "max_workers": args.max_workers, "runs": []}
    report["baseline"] = process_facts()
    for index in range(args.runs):
        before = process_facts()
        started = time.monotonic()
        with patch_module_args(dict(module_args, _ansible_check_mode=False, _ansible_diff=False)):
            try:
                coolify_app_batch.main()
                result = {"failed": True, "msg": "main() returned without exit_json"}
            except _ModuleExit as exc:
                result = exc.result
        seconds = time.monotonic() - started
        after = process_facts()
        summary = result.get("summary") or {}
        report["runs"].append({"run": index + 1, "seconds": round(seconds, 2), "failed": bool(result.get("failed")),
                               "msg": result.get("msg"), "summary": summary, "before": before, "after": after})
    report["final"] = process_facts()
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
