#!/usr/bin/env bash
# The coolops.coolify.coolify inventory plugin (ansible-inventory --graph and --list) and playbooks/maintenance.yml,
# against the emulator. The maintenance runs use maintenance_os_step=noop: no real server is reachable here, so the
# OS upgrade and reboot are replaced by a harmless local task; what is tested is the API side around it.
# No `set -x`: the trace would print the (emulator's) API token.
set -eu
step() { echo; echo "=== $*"; }
source ../setup_emulator/emulator.sh

HERE=$(pwd)
WORK=$(mktemp -d)
PWNED=/tmp/coolops-inventory-pwned
rm -f "$PWNED"
PY=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}

emulator_start --fixture "$HERE/files/fleet.yml" --deploy-seconds 0.2 --status-lag-seconds 0.1

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

# Resources as hosts; a template in an application name is never run.
step "applications and services as hosts; hostile name"
ansible-inventory -i "$WORK/resources.coolify.yml" --graph | tee "$WORK/graph-resources.txt"
grep -qx '  |  |--shop-db' "$WORK/graph-resources.txt"
ansible-playbook -i "$WORK/resources.coolify.yml" "$HERE/unsafe.yml"
test ! -e "$PWNED"

# maintenance.yml, server by server: only what was up is stopped and started again.
step "maintenance.yml, noop OS step"
emulator_post /_emulator/reset > /dev/null
emulator_get /_emulator/state > "$WORK/before.json"
ansible-playbook -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance \
  -e maintenance_os_step=noop -e maintenance_poll_interval=0.2 -e maintenance_wait_timeout=60 | tee "$WORK/maintenance.txt"
grep -q 'noop: no package upgraded and no reboot on edge-1' "$WORK/maintenance.txt"
emulator_get /_emulator/requests > "$WORK/log.json"
emulator_get /_emulator/state > "$WORK/after.json"
"$PY" "$HERE/check.py" maintenance "$WORK/before.json" "$WORK/log.json" "$WORK/after.json"
test ! -e "$PWNED"

# A server whose applications do not come back halts the rollout there: edge-2 is never touched.
step "maintenance.yml halts at a server whose applications do not come back"
emulator_post /_emulator/reset > /dev/null
emulator_post /_emulator/config '{"deploy_outcomes": {"app-shop-web": "failed"}}' > /dev/null
emulator_get /_emulator/state > "$WORK/before.json"
set +e
ansible-playbook -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance \
  -e maintenance_os_step=noop -e maintenance_poll_interval=0.2 -e maintenance_wait_timeout=60 > "$WORK/halt.txt" 2>&1
rc=$?
set -e
cat "$WORK/halt.txt"
test "$rc" -ne 0
grep -q 'Maintenance of edge-1 failed' "$WORK/halt.txt"
grep -q 'shop-web' "$WORK/halt.txt"
emulator_get /_emulator/requests > "$WORK/log.json"
emulator_get /_emulator/state > "$WORK/after.json"
"$PY" "$HERE/check.py" maintenance "$WORK/before.json" "$WORK/log.json" "$WORK/after.json" srv-edge-1

# A bad maintenance_os_step value stops before anything is stopped.
step "maintenance.yml refuses a bad maintenance_os_step"
emulator_post /_emulator/reset > /dev/null
set +e
ansible-playbook -i "$WORK/servers.coolify.yml" coolops.coolify.maintenance -e maintenance_os_step=yes > "$WORK/bad.txt" 2>&1
rc=$?
set -e
test "$rc" -ne 0
grep -q 'maintenance_os_step must be real or noop' "$WORK/bad.txt"
emulator_get /_emulator/requests > "$WORK/log.json"
"$PY" - "$WORK/log.json" <<'PY'
import json, sys
paths = [r["path"] for r in json.load(open(sys.argv[1]))]
assert paths and all(p in ("/api/v1/servers", "/api/v1/resources", "/api/v1/applications", "/api/v1/projects")
                     or p.endswith("/environments") for p in paths), paths  # the inventory's reads, nothing else
PY

rm -rf "$WORK"
echo "inventory_coolify: all checks passed"
