# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The last step of `make test`: fail if the run left a process behind (an emulator, a worker, a playbook).

A process belongs to the run when its environment carries COOLOPS_TEST_RUN=<id> (scripts/test.sh exports it, so every
child inherits it) or its command line names the run's scratch directory (ansible-test filters the environment of what
it starts, not the paths). Survivors are listed without their arguments' values, then ended, and the exit code is 1.

Usage: check-leaks.py --run-id ID [--path DIR ...] [--grace SECONDS]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

SECRET_FLAGS = ("--token", "--add-token", "--api-token", "--api_token")


def _read(pid, name):
    try:
        with open("/proc/%s/%s" % (pid, name), "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        stat = _read(pid, "stat").decode("utf-8", "replace")
        try:
            pid = int(stat.rsplit(") ", 1)[1].split()[1])
        except (IndexError, ValueError):
            break
    return pids


def _is_zombie(pid):
    stat = _read(pid, "stat").decode("utf-8", "replace")
    return ") Z " in stat or not stat


def leaked(run_id, paths):
    """{pid: argv} of the live processes of this run, apart from this one and its ancestors."""
    marker = ("COOLOPS_TEST_RUN=%s" % run_id).encode()
    needles = [path.encode() for path in paths if path]
    skip = _ancestors()
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in skip:
            continue
        raw = _read(entry, "cmdline")
        if not raw or _is_zombie(entry):
            continue  # kernel thread, gone, or a zombie (already dead)
        environ = _read(entry, "environ").split(b"\0")
        if marker in environ or any(needle in raw for needle in needles):
            found[int(entry)] = [arg.decode("utf-8", "replace") for arg in raw.rstrip(b"\0").split(b"\0")]
    return found


def describe(argv):
    """The command line with the values of token flags replaced, and cut to a readable length."""
    shown, hide = [], False
    for arg in argv:
        if hide:
            shown.append("<redacted>")
            hide = False
            continue
        flag = arg.split("=", 1)[0]
        if flag in SECRET_FLAGS:
            hide = "=" not in arg
            shown.append(flag + ("=<redacted>" if "=" in arg else ""))
            continue
        shown.append(arg)
    text = " ".join(shown)
    return text if len(text) <= 200 else text[:197] + "..."


def end(pids):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--path", action="append", default=[], help="a directory only this run uses (repeatable)")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds a process may take to exit (default 5)")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.grace
    found = leaked(args.run_id, args.path)
    while found and time.monotonic() < deadline:
        time.sleep(0.25)
        found = leaked(args.run_id, args.path)
    if not found:
        print("leak check: no process left behind")
        return 0
    print("leak check: FAIL: %d process(es) left behind by this run (now ended):" % len(found), file=sys.stderr)
    for pid, command in sorted(found.items()):
        print("  %d %s" % (pid, describe(command)), file=sys.stderr)
    end(found)
    return 1


if __name__ == "__main__":
    sys.exit(main())
