# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks for runme.sh on the nightly playbooks: `verify.py CHECK STATE.json REQUESTS.json`."""

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
    return path.split("/")[3]  # /api/v1/<applications|services>/<uuid>/<action>


def nightly(state, requests, down, services):
    """After shutdown (down) or startup: the tagged apps and the chosen services are stopped/running, others untouched."""
    apps, svcs = team0(state["applications"]), team0(state["services"])
    want = "exited" if down else "running"
    for name in STAGING_APPS:
        check(apps[name]["status"].startswith(want), "%s is %s" % (name, apps[name]["status"]))
    for name in services:
        check(svcs[name]["status"].startswith(want), "service %s is %s" % (name, svcs[name]["status"]))
    untouched = set(apps) - STAGING_APPS
    for method, path in writes(requests):
        uuid = path.split("/")[4]
        check(uuid not in [apps[name]["uuid"] for name in untouched], "an untagged application was touched: %s" % path)
        if kind_of(path) == "services":
            check(uuid in [svcs[name]["uuid"] for name in services], "an unselected service was touched: %s" % path)
        check(path.endswith("/stop" if down else "/start"), "unexpected action %s %s" % (method, path))
    kinds = [kind_of(path) for _method, path in writes(requests)]
    if down:
        # Applications stop first, then the services they use.
        check(kinds == sorted(kinds), "services stopped before applications: %s" % kinds)
    else:
        check(kinds == sorted(kinds, reverse=True), "applications started before services: %s" % kinds)
    print("verify: %d writes, %s" % (len(kinds), "stopped" if down else "started"))


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
        SERVICES = [name for name in sys.argv[4].split(",") if name]
        nightly(STATE, REQUESTS, CHECK == "down", SERVICES)
