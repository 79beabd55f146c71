# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assertions for runme.sh, reading ansible-inventory output and the emulator's state and request log (JSON files)."""

from __future__ import annotations

import json
import os
import re
import sys

HOSTILE = "{{ lookup('ansible.builtin.pipe', 'touch /tmp/coolops-inventory-pwned') }}"
SERVER_ORDER = ["srv-local", "srv-edge-1", "srv-edge-2"]
UP = re.compile(r"^(running|degraded|restarting|starting)(:|$)")
ACTION = re.compile(r"^/api/v1/(applications|services|databases)/([^/]+)/(start|stop|restart)$")
BACKUP = re.compile(r"^/api/v1/databases/([^/]+)/backups/([^/]+)$")
KINDS = ("applications", "services", "databases")


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def plain(value):
    """ansible-inventory --list marks untrusted strings as {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def fail(message):
    sys.stderr.write("check.py: %s\n" % message)
    sys.exit(1)


def expect(condition, message):
    if not condition:
        fail(message)


def check_list(path):
    token = os.environ["COOLIFY_API_TOKEN"]
    raw = open(path, encoding="utf-8").read()
    expect(token not in raw and token.split("|")[-1] not in raw, "the API token appears in ansible-inventory --list")
    for word in ("sentinel", "settings", "password", "docker_compose", "custom_labels"):
        expect(word not in raw, "%r appears in ansible-inventory --list" % word)
    data = load(path)
    hostvars = plain(data["_meta"]["hostvars"])
    expect(sorted(hostvars) == sorted(["localhost-srv-local", "edge-1", "edge-2"]), "hosts: %s" % sorted(hostvars))
    expect("localhost" not in hostvars, "Coolify's localhost server must not shadow Ansible's localhost")
    edge1 = hostvars["edge-1"]
    expect((edge1["ansible_host"], edge1["ansible_user"], edge1["ansible_port"]) == ("203.0.113.11", "deploy", 2222),
           "edge-1 connection vars: %r" % ((edge1["ansible_host"], edge1["ansible_user"], edge1["ansible_port"]),))
    expect(edge1["coolify_uuid"] == "srv-edge-1" and edge1["coolify_kind"] == "server", "edge-1 identity")
    apps = dict((a["name"], a) for a in edge1["coolify_applications"])
    expect(sorted(apps) == ["shop-api", "shop-old", "shop-web"], "edge-1 applications: %s" % sorted(apps))
    expect(apps["shop-web"] == {"uuid": "app-shop-web", "name": "shop-web", "type": "application", "status": "running:healthy",
                                "state": "running", "tags": ["frontend", "production"], "project": "shop",
                                "environment": "production"}, "shop-web entry: %r" % apps["shop-web"])
    expect(apps["shop-old"]["environment"] == "staging" and apps["shop-old"]["state"] == "exited", "shop-old entry")
    services = [(s["name"], s["status"]) for s in edge1["coolify_services"]]
    expect(services == [("shop-db", "running:healthy"), ("shop-cache", "exited")], "edge-1 services: %r" % services)
    databases = [(d["name"], d["type"], d["state"]) for d in edge1["coolify_databases"]]
    expect(databases == [("shop-pg", "standalone-postgresql", "running"), ("shop-redis", "standalone-redis", "running"),
                         ("shop-old-db", "standalone-mysql", "exited")], "edge-1 databases: %r" % databases)
    edge2 = hostvars["edge-2"]
    expect(HOSTILE in [a["name"] for a in edge2["coolify_applications"]], "the hostile name is kept literally")
    groups = data
    expect(sorted(plain(groups["coolify_servers"]["hosts"])) == sorted(hostvars), "coolify_servers group")
    expect(sorted(plain(groups["coolify_tag_frontend"]["hosts"])) == ["edge-1", "edge-2"], "coolify_tag_frontend group")
    expect(sorted(plain(groups["coolify_environment_staging"]["hosts"])) == ["edge-1"], "coolify_environment_staging group")


def server_of(state):
    servers = dict((row["id"], row["uuid"]) for row in state["servers"])
    result = {}
    for kind in KINDS:
        for row in state[kind]:
            result[row["uuid"]] = servers[row["server_id"]]
    return result


def statuses(state):
    return dict((row["uuid"], row["status"]) for kind in KINDS for row in state[kind])


def actions(log):
    """(action, uuid) of every write, in order: start/stop/restart, and backup for a backup_now PATCH."""
    posts = []
    for entry in log:
        if entry["method"] == "GET":
            continue
        match, backup = ACTION.match(entry["path"]), BACKUP.match(entry["path"])
        if entry["method"] == "POST" and match:
            posts.append((match.group(3), match.group(2)))
        elif entry["method"] == "PATCH" and backup and entry.get("body") == {"backup_now": True}:
            posts.append(("backup", backup.group(1)))
        else:
            fail("unexpected write %s %s" % (entry["method"], entry["path"]))
    return posts


def check_order(server, mine):
    """Backups before any stop; databases stopped last and started first."""
    def positions(action, databases=None):
        return [i for i, (act, uuid) in enumerate(mine)
                if act == action and (databases is None or uuid.startswith("db-") == databases)]
    backups, stops, starts = positions("backup"), positions("stop"), positions("start")
    expect(not stops or not backups or max(backups) < min(stops), "%s: a stop came before a backup: %r" % (server, mine))
    db_stops, other_stops = positions("stop", True), positions("stop", False)
    expect(not db_stops or not other_stops or min(db_stops) > max(other_stops),
           "%s: a database was stopped before an application or service: %r" % (server, mine))
    db_starts, other_starts = positions("start", True), positions("start", False)
    expect(not db_starts or not other_starts or max(db_starts) < min(other_starts),
           "%s: an application or service was started before a database: %r" % (server, mine))
    expect(not stops or not starts or max(stops) < min(starts), "%s: a start was sent before every stop: %r" % (server, mine))


def check_maintenance(before_path, log_path, after_path, halt_at=None, halt_phase="start"):
    before, log, after = load(before_path), load(log_path), load(after_path)
    where = server_of(before)
    status_before, status_after = statuses(before), statuses(after)
    up = set(uuid for uuid, status in status_before.items() if UP.match(status))
    expect(up == {"app-tools", "app-shop-web", "app-shop-api", "app-blog", "app-blog-worker", "svc-shop-db",
                  "svc-blog-analytics", "db-shop-pg", "db-shop-redis", "db-blog-mysql"}, "unexpected seed: up = %s" % sorted(up))
    with_backup = {"db-shop-pg", "db-blog-mysql"}

    posts = actions(log)
    expect(all(post[0] in ("start", "stop", "backup") for post in posts), "only backup, start and stop are sent: %r" % posts)
    servers_in_order = []
    for dummy, uuid in posts:
        if not servers_in_order or servers_in_order[-1] != where[uuid]:
            expect(where[uuid] not in servers_in_order, "server %s was worked on twice: %r" % (where[uuid], posts))
            servers_in_order.append(where[uuid])
    done = SERVER_ORDER if halt_at is None else SERVER_ORDER[:SERVER_ORDER.index(halt_at) + 1]
    expect(servers_in_order == done, "servers in order %r, expected %r" % (servers_in_order, done))

    for server in done:
        mine = [(action, uuid) for action, uuid in posts if where[uuid] == server]
        check_order(server, mine)
        expected = sorted(uuid for uuid in up if where[uuid] == server)
        backed_up = sorted(uuid for action, uuid in mine if action == "backup")
        expect(backed_up == sorted(uuid for uuid in expected if uuid in with_backup),
               "%s: backed up %s" % (server, backed_up))
        stopped = sorted(uuid for action, uuid in mine if action == "stop")
        started = sorted(uuid for action, uuid in mine if action == "start")
        if server == halt_at and halt_phase == "backup":
            expect(stopped == [] and started == [], "%s: touched after a failed backup: %r" % (server, mine))
            continue
        expect(stopped == expected, "%s: stopped %s, expected %s" % (server, stopped, expected))
        if server != halt_at:
            expect(started == expected, "%s: started %s, expected %s" % (server, started, expected))
        else:
            expect(set(started) <= set(expected), "%s: started something that was not up: %s" % (server, started))

    for uuid, status in status_before.items():
        if uuid in up and where[uuid] in done and where[uuid] != halt_at:
            expect(status_after[uuid].startswith("running"), "%s did not come back: %s" % (uuid, status_after[uuid]))
        if uuid not in up:
            expect(status_after[uuid] == status, "%s was stopped on purpose and changed: %s" % (uuid, status_after[uuid]))
        if where[uuid] not in done or (where[uuid] == halt_at and halt_phase == "backup"):
            expect(status_after[uuid] == status, "%s is on a server not maintained and changed: %s" % (uuid, status_after[uuid]))
    # What was running:healthy came back healthy.
    for uuid in up:
        if status_before[uuid] == "running:healthy" and where[uuid] in done and where[uuid] != halt_at:
            expect(status_after[uuid] == "running:healthy", "%s came back as %s" % (uuid, status_after[uuid]))
    print("check.py: %d writes, servers in order %s%s" % (len(posts), " -> ".join(servers_in_order),
                                                          "" if halt_at is None else ", halted at %s" % halt_at))


def main(argv):
    if argv[:1] == ["list"]:
        check_list(argv[1])
    elif argv[:1] == ["maintenance"]:
        check_maintenance(argv[1], argv[2], argv[3], argv[4] if len(argv) > 4 else None,
                          argv[5] if len(argv) > 5 else "start")
    else:
        fail("usage: check.py list FILE | maintenance BEFORE LOG AFTER [HALT_SERVER [backup|start]]")


if __name__ == "__main__":
    main(sys.argv[1:])
