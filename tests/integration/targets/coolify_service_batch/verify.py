# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks for runme.sh on the nightly playbooks: `verify.py no_writes REQUESTS.json`, or
`verify.py down|up STATE.json REQUESTS.json SERVICES DATABASES LEFT_DOWN` (comma-separated names, possibly empty)."""

from __future__ import annotations

import json
import sys

STAGING_APPS = {"billing-api-staging", "billing-web-staging", "billing-worker-staging", "shop-api-staging", "shop-web-staging",
                "shop-worker-staging"}


def check(condition, what):
    if not condition:
        sys.exit("verify: %s" % what)


def team0(rows):
    return dict((row["name"], row) for row in rows if row["team_id"] == 0)


def writes(requests):
    return [(r["method"], r["path"]) for r in requests if r["method"] != "GET"]


def kind_of(path):
    return path.split("/")[3]  # /api/v1/<applications|services|databases>/<uuid>/<action>


ORDER = ("applications", "services", "databases")  # the shutdown's order; the startup's is the reverse
MEMORY_TAG = "coolops-nightly-stopped"


def nightly(state, requests, down, services, databases, left_down):
    """After shutdown (down) or startup: the tagged apps (but those down on purpose, left_down) and the chosen services
    and databases are stopped/running, nothing else was touched, in order, and the memory tag went on before each stop
    and came off after each start."""
    apps, svcs, dbs = team0(state["applications"]), team0(state["services"]), team0(state["databases"])
    want = "exited" if down else "running"
    for name in STAGING_APPS - set(left_down):
        check(apps[name]["status"].startswith(want), "%s is %s" % (name, apps[name]["status"]))
    for name in left_down:
        check(apps[name]["status"].startswith("exited"), "%s was down on purpose and is %s" % (name, apps[name]["status"]))
    for rows, names in ((svcs, services), (dbs, databases)):
        for name in names:
            check(rows[name]["status"].startswith(want), "%s is %s" % (name, rows[name]["status"]))
    acted = dict((apps[name]["uuid"], "applications") for name in STAGING_APPS - set(left_down))
    acted.update((svcs[name]["uuid"], "services") for name in services)
    acted.update((dbs[name]["uuid"], "databases") for name in databases)
    actions, tagged = [], []
    for method, path in writes(requests):
        uuid = path.split("/")[4]
        check(uuid in acted, "a resource that was not to be touched was: %s %s" % (method, path))
        if "/tags" in path:
            check((method == "POST") == down, "unexpected tag write %s %s" % (method, path))
            check(not any(u == uuid for u, _k in actions) if down else any(u == uuid for u, _k in actions),
                  "the memory tag of %s moved at the wrong time" % uuid)
            tagged.append(uuid)
            continue
        check(path.endswith("/stop" if down else "/start"), "unexpected action %s %s" % (method, path))
        actions.append((uuid, kind_of(path)))
    check(sorted(u for u, _k in actions) == sorted(acted), "acted on %s, expected %s" % (actions, sorted(acted)))
    check(sorted(tagged) == sorted(acted), "memory tag written for %s, expected %s" % (sorted(tagged), sorted(acted)))
    order = ORDER if down else tuple(reversed(ORDER))
    kinds = [kind for _uuid, kind in actions]
    check(kinds == sorted(kinds, key=order.index), "%s in the wrong order: %s" % ("stops" if down else "starts", kinds))
    print("verify: %d actions, %s in order %s" % (len(kinds), "stopped" if down else "started", " -> ".join(order)))


def no_writes(requests):
    check(writes(requests) == [], "unexpected writes: %s" % writes(requests))


if __name__ == "__main__":
    CHECK = sys.argv[1]
    if CHECK == "no_writes":
        with open(sys.argv[2]) as handle:
            no_writes(json.load(handle))
    else:
        with open(sys.argv[2]) as handle:
            STATE = json.load(handle)
        with open(sys.argv[3]) as handle:
            REQUESTS = json.load(handle)
        SERVICES, DATABASES, LEFT_DOWN = ([name for name in arg.split(",") if name] for arg in sys.argv[4:7])
        nightly(STATE, REQUESTS, CHECK == "down", SERVICES, DATABASES, LEFT_DOWN)
