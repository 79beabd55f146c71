# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the coolify_app_batch and coolify_service_batch tests share.

Both modules run the same lifecycle engine against the same seeded fleet; their tests read the emulator the same way
and differ only in the result key (``applications`` or ``services``), which ``Kind`` carries.
"""

from __future__ import annotations

import threading
import time

# The seeded fleet of tests/unit/conftest.py (FLEET_ARGS, --random-seed 7), for emulator_factory with extra flags.
# Queued jobs wait 0.3 s as on Coolify (kept before the last 6 flags: FLEET[:-6]).
FLEET = ("--seed-apps", "12", "--seed-services", "4", "--seed-servers", "2", "--seed-projects", "2", "--job-delay-seconds", "0.3",
         "--random-seed", "7", "--deploy-seconds", "0.2", "--status-lag-seconds", "0.2")
FAST = {"poll_interval": 0.05, "wait_timeout": 20}


def args_for(emu, **extra):
    """Module arguments for ``emu`` with fast polling; ``extra`` wins."""
    args = {"api_url": emu.api_url, "api_token": emu.token}
    args.update(FAST)
    args.update(extra)
    return args


def writes(emu):
    return [r for r in emu.requests_log() if r["method"] != "GET"]


def run_beside(emu, action, when=None):
    """Run ``action()`` in a thread once a request matching ``when`` (default: any POST) shows up in the request log.

    Returns ``(stop, thread)``: set ``stop`` and join ``thread`` once the module has returned.
    """
    when = when or (lambda request: request["method"] == "POST")
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            if any(when(r) for r in emu.requests_log()):
                action()
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch)
    thread.start()
    return stop, thread


class Kind(object):
    """Readers of the emulator's state and of a module result for one kind: ``Kind("applications")``."""

    def __init__(self, key):
        self.key = key

    def real_statuses(self, emu):
        return {res["name"]: res["status"] for res in emu.state()[self.key] if res["team_id"] == 0}

    def uuid_of(self, emu, name):
        return [res["uuid"] for res in emu.state()[self.key] if res["name"] == name][0]

    def until_status(self, emu, name, wanted, timeout=10.0):
        """Wait until the emulator shows ``name`` with a status starting with ``wanted`` (queued jobs take a while)."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.real_statuses(emu)[name]
            if status.startswith(wanted):
                return status
            assert time.monotonic() < deadline, "%s still %s, not %s" % (name, status, wanted)
            time.sleep(0.02)

    def by_name(self, result):
        return {item["name"]: item for item in result[self.key]}

    def assert_reports_real_state(self, emu, result):
        """Every status_after the module reports is the emulator's status now."""
        real = self.real_statuses(emu)
        for item in result[self.key]:
            if item["status_after"] is not None:
                assert item["status_after"] == real[item["name"]], item
