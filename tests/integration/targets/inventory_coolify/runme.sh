#!/usr/bin/env bash
# The coolops.coolify.coolify inventory plugin (ansible-inventory --graph and --list) and playbooks/maintenance.yml,
# against the emulator. The maintenance runs use maintenance_os_step=noop: no real server is reachable here, so the
# OS upgrade and reboot are replaced by a harmless local task; what is tested is the API side around it.
# No `set -x`: the trace would print the (emulator's) API token. Every playbook's -vvvv output, and every
# ansible-inventory output, is checked for the token's marker.
set -eu
cd "$(dirname "$0")"
step() { echo; echo "=== $*"; }

MARK=itmk3c8a6f
# shellcheck disable=SC2034 # read by run_playbook in emulator.sh
SECRET_MARKERS="$MARK coolops-dbsecret"  # the second one is in every database password and connection URL
export EMULATOR_TOKEN="1|${MARK}-root-token"
# shellcheck source-path=SCRIPTDIR
source ../setup_emulator/emulator.sh

HERE=$(pwd)
PWNED=/tmp/coolops-inventory-pwned
rm -f "$PWNED"
PY=$EMULATOR_PYTHON

# Short timings: each maintenance run waits for every stop, start and backup of three servers in turn. Queued jobs
# still wait (0.1 s, not the default 1 s) before they run, as on Coolify.
emulator_start --fixture "$HERE/files/fleet.yml" --deploy-seconds 0.1 --status-lag-seconds 0.05 --backup-seconds 0.1 \
  --job-delay-seconds 0.1
MAINT_FAST=(-e maintenance_poll_interval=0.1 -e maintenance_wait_timeout=60)

cat > "$WORK/servers.coolify.yml" <<'YAML'
plugin: coolops.coolify.coolify
lookup_tags: [production, frontend]
YAML
cat > "$WORK/resources.coolify.yml" <<'YAML'
plugin: coolops.coolify.coolify
hosts: [applications, services]
YAML

# --graph: servers as hosts, Coolify's "localhost" renamed, generated groups.
step "ansible-inventory --graph (servers)"
ansible-inventory -i "$WORK/servers.coolify.yml" --graph > "$WORK/graph.txt"
cat "$WORK/graph.txt"
assert_no_marker "$WORK/graph.txt"
grep -q '^  |--@coolify_servers:$' "$WORK/graph.txt"
grep -qx '  |  |--localhost-srv-local' "$WORK/graph.txt"
grep -qx '  |  |--edge-1' "$WORK/graph.txt"
grep -q '^  |--@coolify_tag_frontend:$' "$WORK/graph.txt"
grep -q '^  |--@coolify_project_shop:$' "$WORK/graph.txt"
if grep -qx '  |  |--localhost' "$WORK/graph.txt"; then echo "Coolify's localhost shadows Ansible's" >&2; exit 1; fi
# The inventory reads Coolify with a fixed number of list calls (no per-server request).
step "API calls of one inventory refresh"
emulator_get /_emulator/requests > "$WORK/inventory-requests.json"
"$PY" - "$WORK/inventory-requests.json" <<'PY'
import json, sys
calls = ["%s %s%s" % (r["method"], r["path"], "?tag=" + r["query"]["tag"] if r.get("query", {}).get("tag") else "") for r in json.load(open(sys.argv[1]))]
expected = ["GET /api/v1/servers", "GET /api/v1/resources", "GET /api/v1/applications", "GET /api/v1/projects",
            "GET /api/v1/projects/prj-shop/environments", "GET /api/v1/projects/prj-blog/environments",
            "GET /api/v1/applications?tag=production", "GET /api/v1/applications?tag=frontend"]
assert calls == expected, calls
PY

# --list: host vars, groups, no secret.
step "ansible-inventory --list"
ansible-inventory -i "$WORK/servers.coolify.yml" --list > "$WORK/list.json"
"$PY" "$HERE/check.py" list "$WORK/list.json"
assert_no_marker "$WORK/list.json"

# Resources as hosts; a template in an application name is never run.
step "applications and services as hosts; hostile name"
ansible-inventory -i "$WORK/resources.coolify.yml" --graph | tee "$WORK/graph-resources.txt"
grep -qx '  |  |--shop-db' "$WORK/graph-resources.txt"
assert_no_marker "$WORK/graph-resources.txt"
run_playbook -i "$WORK/resources.coolify.yml" "$HERE/unsafe.yml"
test ! -e "$PWNED"

# maintenance.yml, server by server: only what was up is backed up (databases), stopped and started again, in order:
# backups before any stop, databases stopped last and started first (check.py checks the order per server).
step "maintenance.yml, noop OS step"
emulator_post /_emulator/reset > /dev/null
emulator_get /_emulator/state > "$WORK/before.json"
run_playbook -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance \
  -e maintenance_include_coolify_host=true -e maintenance_os_step=noop "${MAINT_FAST[@]}"
grep -q 'noop: no package upgraded and no reboot on edge-1' "$WORK/run.log"
emulator_get /_emulator/requests > "$WORK/log.json"
emulator_get /_emulator/state > "$WORK/after.json"
"$PY" "$HERE/check.py" maintenance "$WORK/before.json" "$WORK/log.json" "$WORK/after.json"
test ! -e "$PWNED"

# By default the Coolify host itself (localhost-srv-local, is_coolify_host) is skipped with a message: nothing on it
# is backed up, stopped or started, and the rollout goes on to edge-1 and edge-2.
step "maintenance.yml skips the Coolify host unless maintenance_include_coolify_host"
emulator_post /_emulator/reset > /dev/null
emulator_get /_emulator/state > "$WORK/before.json"
run_playbook -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance \
  -e maintenance_os_step=noop "${MAINT_FAST[@]}"
grep -q 'Skipping localhost-srv-local: it is the server Coolify itself runs on' "$WORK/run.log"
grep -q 'noop: no package upgraded and no reboot on edge-2' "$WORK/run.log"
emulator_get /_emulator/requests > "$WORK/log.json"
"$PY" - "$HERE" "$WORK/before.json" "$WORK/log.json" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import check
where = check.server_of(check.load(sys.argv[2]))
posts = check.actions(check.load(sys.argv[3]))
touched = sorted(set(where[uuid] for dummy, uuid in posts))
assert touched == ["srv-edge-1", "srv-edge-2"], "servers worked on: %s" % touched
PY

# A server whose applications do not come back halts the rollout there: edge-2 is never touched.
step "maintenance.yml halts at a server whose applications do not come back"
emulator_post /_emulator/reset > /dev/null
emulator_post /_emulator/config '{"deploy_outcomes": {"app-shop-web": "failed"}}' > /dev/null
emulator_get /_emulator/state > "$WORK/before.json"
run_playbook --fail -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance \
  -e maintenance_include_coolify_host=true -e maintenance_os_step=noop "${MAINT_FAST[@]}"
grep -q 'Maintenance of edge-1 failed' "$WORK/run.log"
# At -vvvv shop-web is everywhere in the output: look for it in the halt message itself.
grep 'Maintenance of edge-1 failed' "$WORK/run.log" | grep -q 'Still down after being stopped for maintenance: shop-web\.'
emulator_get /_emulator/requests > "$WORK/log.json"
emulator_get /_emulator/state > "$WORK/after.json"
"$PY" "$HERE/check.py" maintenance "$WORK/before.json" "$WORK/log.json" "$WORK/after.json" srv-edge-1

# A failed backup on the second server (edge-1) halts there before anything is stopped: localhost-srv-local is done,
# edge-1 and edge-2 are untouched.
step "maintenance.yml halts at a server whose database backup fails"
emulator_post /_emulator/reset > /dev/null
emulator_post /_emulator/config '{"backup_outcomes": {"bk-shop-pg": "failed"}}' > /dev/null
emulator_get /_emulator/state > "$WORK/before.json"
run_playbook --fail -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance \
  -e maintenance_include_coolify_host=true -e maintenance_os_step=noop "${MAINT_FAST[@]}"
grep 'Maintenance of edge-1 failed' "$WORK/run.log" | grep -q 'The backup of database shop-pg failed'
grep 'Maintenance of edge-1 failed' "$WORK/run.log" | grep -q 'Still down after being stopped for maintenance: nothing\.'
emulator_get /_emulator/requests > "$WORK/log.json"
emulator_get /_emulator/state > "$WORK/after.json"
"$PY" "$HERE/check.py" maintenance "$WORK/before.json" "$WORK/log.json" "$WORK/after.json" srv-edge-1 backup

# A wrong token leaves the inventory empty: the run fails loudly instead of "no hosts matched" and rc 0.
step "maintenance.yml fails when the inventory found no server"
emulator_post /_emulator/reset > /dev/null
COOLIFY_API_TOKEN="${EMULATOR_TOKEN}-wrong" run_playbook --fail -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance \
  -e maintenance_os_step=noop
grep -q 'The inventory has no host matching coolify_servers' "$WORK/run.log"

# A server that cannot be reached over SSH (the real OS step needs it) halts the rollout before anything is stopped.
step "maintenance.yml halts at a server it cannot reach, before anything is stopped"
emulator_post /_emulator/reset > /dev/null
run_playbook --fail -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance -e maintenance_os_step=real \
  -e maintenance_include_coolify_host=true -e ansible_host=127.0.0.1 -e ansible_port=1 -e ansible_user=nobody -e maintenance_ssh_timeout=3
grep -q 'TASK \[Check that SSH works' "$WORK/run.log"
grep -q 'fatal: \[localhost-srv-local\]: FAILED!' "$WORK/run.log"
if grep -q 'edge-1' <(sed -n '/TASK \[Check that SSH works/,$p' "$WORK/run.log" | grep -E '^(ok|fatal|changed): '); then
  echo "the rollout went on to the next server" >&2; exit 1
fi
emulator_get /_emulator/requests > "$WORK/log.json"
"$PY" - "$WORK/log.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
assert [r for r in log if r["method"] != "GET"] == [], "a write was sent although the server could not be reached"
PY

# A bad maintenance_os_step value stops before anything is stopped.
step "maintenance.yml refuses a bad maintenance_os_step"
emulator_post /_emulator/reset > /dev/null
run_playbook --fail -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance -e maintenance_os_step=yes
grep -q 'maintenance_os_step must be real or noop' "$WORK/run.log"
emulator_get /_emulator/requests > "$WORK/log.json"
"$PY" - "$WORK/log.json" <<'PY'
import json, sys
paths = [r["path"] for r in json.load(open(sys.argv[1]))]
assert paths and all(p in ("/api/v1/servers", "/api/v1/resources", "/api/v1/applications", "/api/v1/projects")
                     or p.endswith("/environments") for p in paths), paths  # the inventory's reads, nothing else
PY

echo "inventory_coolify: all checks passed"
