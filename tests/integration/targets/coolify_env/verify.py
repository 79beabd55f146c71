# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks on /_emulator/state for runme.sh: `verify.py CHECK state.json [before.json]`; prints nothing secret."""

from __future__ import annotations

import json
import sys

MARK = "itmk4f8e2b"
ROTATED = "rotated-%s-value" % MARK


def rows(state, uuid):
    return dict(((row["key"], row["is_preview"]), row) for row in state["envs"] if row["resource_uuid"] == uuid)


def value(state, uuid, key, preview=False):
    row = rows(state, uuid).get((key, preview))
    return None if row is None else row["value"]


def comparable(state):
    return dict(((row["resource_uuid"], row["key"], row["is_preview"]),
                 dict((k, v) for k, v in row.items() if k != "updated")) for row in state["envs"])


def check(condition, what):
    if not condition:
        sys.exit("verify: %s" % what)


def rotated(state):
    for uuid in ("app-a", "app-b", "app-c"):
        check(value(state, uuid, "API_KEY") == ROTATED, "%s API_KEY rotated" % uuid)
    check(value(state, "app-d", "API_KEY") == "old-d-" + MARK, "app-d not selected")


def unchanged(state, before):
    check(len(state["envs"]) == len(before["envs"]), "same number of env rows as before")
    check(comparable(state) == comparable(before), "every env row as before (only `updated` may differ)")


def restarted(log, expected):
    found = [entry["path"].split("/")[4] for entry in log if entry["method"] == "POST" and entry["path"].endswith("/restart")]
    check(found == expected.split(","), "restarts %s, expected %s" % (",".join(found), expected))


def reads_only(log):
    writes = ["%s %s" % (entry["method"], entry["path"]) for entry in log if entry["method"] != "GET"]
    check(not writes, "no write in check mode, got %s" % ", ".join(writes))


def main():
    name, path = sys.argv[1], sys.argv[2]
    with open(path) as handle:
        data = json.load(handle)
    if name == "unchanged":
        with open(sys.argv[3]) as handle:
            unchanged(data, json.load(handle))
    elif name == "restarted":
        restarted(data, sys.argv[3])
    else:
        globals()[name](data)
    print("verify: %s ok" % name)


if __name__ == "__main__":
    main()
