#!/usr/bin/env bash
# `make demo`: start the Coolify emulator with a seeded fleet, run the real playbooks against it, stop it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/bootstrap.sh"
VENV=${VENV:-$ROOT/.venv}
export PATH="$VENV/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$VENV/collections"
export ANSIBLE_PYTHON_INTERPRETER="$VENV/bin/python"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false

LOG=$(mktemp)
python "$ROOT/tests/emulator" --port 0 --token "1|coolops-demo-token" \
  --seed-apps 24 --seed-services 6 --seed-servers 3 --seed-projects 2 --random-seed 42 \
  --latency-ms 20 --deploy-seconds 1 --status-lag-seconds 0.5 > "$LOG" 2>&1 &
EMU_PID=$!
trap 'kill $EMU_PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do grep -q '^listening on ' "$LOG" && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$LOG" | head -n 1)
[ -n "$URL" ] || { cat "$LOG"; echo "demo: the emulator did not start" >&2; exit 1; }
echo "demo: Coolify emulator at $URL (a sandbox; nothing real is touched)"
export COOLIFY_API_URL=$URL COOLIFY_API_TOKEN="1|coolops-demo-token"

cd "$ROOT"
ansible-playbook playbooks/fleet-report.yml
echo "demo: rotate DEMO_API_KEY on every staging application, restarting them in rolling waves"
ansible-playbook playbooks/rotate-keys.yml -e rotate_tag=staging -e '{"rotate_env": {"DEMO_API_KEY": "demo-rotated-value"}}'
echo "demo: the same rotation again reports no change and sends no write"
ansible-playbook playbooks/rotate-keys.yml -e rotate_tag=staging -e '{"rotate_env": {"DEMO_API_KEY": "demo-rotated-value"}}'
