# Sourced by integration targets' runme.sh: `emulator_start [emulator flags...]` starts the Coolify emulator on a
# free loopback port, exports COOLIFY_API_URL, COOLIFY_API_TOKEN and EMULATOR_URL, and stops it when the script exits.
# shellcheck shell=bash

EMULATOR_PYTHON=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
EMULATOR_TOKEN=${EMULATOR_TOKEN:-1|coolops-emulator-root-token}
EMULATOR_PIDS=()

emulator_dir() {
  local d
  IFS=: read -r -a roots <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
  for d in "${roots[@]}"; do
    if [ -f "$d/ansible_collections/coolops/coolify/tests/emulator/__main__.py" ]; then
      echo "$d/ansible_collections/coolops/coolify/tests/emulator"; return 0
    fi
  done
  d=$(pwd)
  while [ "$d" != "/" ]; do
    if [ -f "$d/tests/emulator/__main__.py" ]; then echo "$d/tests/emulator"; return 0; fi
    d=$(dirname "$d")
  done
  echo "emulator.sh: cannot find tests/emulator" >&2
  return 1
}

emulator_stop_all() {
  local pid
  for pid in "${EMULATOR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap emulator_stop_all EXIT

emulator_start() {
  local dir log url i
  dir=$(emulator_dir)
  log=$(mktemp)
  "$EMULATOR_PYTHON" "$dir" --port 0 --token "$EMULATOR_TOKEN" "$@" > "$log" 2>&1 &
  EMULATOR_PIDS+=("$!")
  for i in $(seq 1 100); do
    url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\)$/\1/p' "$log" | head -n 1)
    [ -n "$url" ] && break
    sleep 0.1
  done
  if [ -z "$url" ]; then cat "$log" >&2; echo "emulator did not start" >&2; return 1; fi
  export EMULATOR_URL=$url
  export COOLIFY_API_URL=$url
  export COOLIFY_API_TOKEN=$EMULATOR_TOKEN
}

# Admin helpers for assertions in runme.sh.
emulator_get() { "$EMULATOR_PYTHON" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' "$EMULATOR_URL$1"; }
emulator_post() {
  "$EMULATOR_PYTHON" - "$EMULATOR_URL$1" "${2:-{\}}" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST", headers={"Content-Type": "application/json"})
sys.stdout.write(urllib.request.urlopen(req).read().decode())
PY
}
