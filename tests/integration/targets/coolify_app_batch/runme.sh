#!/usr/bin/env bash
# coolify_app_batch and playbooks/restart-apps.yml against the emulator, for Coolify 4.3.11 and 4.1.2.
# No `set -x`: it would echo the tokens. Every playbook's -vvv output is checked for the tokens' marker.
set -eu
cd "$(dirname "$0")"

MARK=itmk7a3c5d
export EMULATOR_TOKEN="1|${MARK}-root-token"
export READONLY_TOKEN="2|${MARK}-read-only"
# shellcheck source=../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh

WORK=$(mktemp -d)
trap 'emulator_stop_all; rm -rf "$WORK"' EXIT
PY=$EMULATOR_PYTHON

# playbook [--fail] ARGS...: run ansible-playbook at -vvv; fail on a leaked marker or an unexpected rc.
playbook() {
  local expect=0 rc=0
  if [ "$1" = "--fail" ]; then expect=1; shift; fi
  ansible-playbook -vvv "$@" > "$WORK/run.log" 2>&1 || rc=$?
  if grep -q "$MARK" "$WORK/run.log"; then
    echo "FAIL: a token leaked into the output of ansible-playbook $*" >&2
    exit 1
  fi
  if { [ "$expect" = 0 ] && [ "$rc" != 0 ]; } || { [ "$expect" = 1 ] && [ "$rc" = 0 ]; }; then
    tail -n 80 "$WORK/run.log" >&2
    echo "FAIL: ansible-playbook $* exited $rc" >&2
    exit 1
  fi
}

# The collection's playbooks, found like the emulator: through ANSIBLE_COLLECTIONS_PATH, else above this directory.
collection_playbook() {
  local d
  IFS=: read -r -a roots <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
  for d in "${roots[@]}"; do
    if [ -f "$d/ansible_collections/coolops/coolify/playbooks/$1" ]; then
      echo "$d/ansible_collections/coolops/coolify/playbooks/$1"; return 0
    fi
  done
  d=$(pwd)
  while [ "$d" != "/" ]; do
    if [ -f "$d/playbooks/$1" ]; then echo "$d/playbooks/$1"; return 0; fi
    d=$(dirname "$d")
  done
  echo "runme.sh: cannot find playbooks/$1" >&2
  return 1
}
RESTART=$(collection_playbook restart-apps.yml)
FAST=(-e restart_poll_interval=0.05 -e restart_wait_timeout=30)

suite() {
  echo "=== Coolify $1"
  emulator_stop_all
  emulator_start --seed-apps 12 --seed-services 4 --seed-servers 2 --seed-projects 2 --random-seed 7 \
    --deploy-seconds 0.2 --status-lag-seconds 0.1 --api-version "$1" --add-token "${READONLY_TOKEN}=read@0"

  echo "== coolify_app_batch: started, stopped, restarted, deployed (check, apply, again, verify)"
  playbook app_batch.yml

  echo "== coolify_app_batch: failures"
  playbook failures.yml
  echo "   through 20% faults: $(grep -A8 'TASK \[Show how the run through the faults went\]' "$WORK/run.log" | grep -o '"msg": .*' || true)"

  echo "== restart-apps.yml: check mode writes nothing"
  emulator_post /_emulator/reset > /dev/null
  playbook "$RESTART" --check -e restart_tags=staging "${FAST[@]}"
  grep -q "would restart 6 of 6 applications" "$WORK/run.log"
  emulator_get /_emulator/requests | "$PY" -c 'import json, sys; sys.exit(any(r["method"] != "GET" for r in json.load(sys.stdin)))'

  echo "== restart-apps.yml: rolling restart of the staging tag in waves of two"
  playbook "$RESTART" -e restart_tags=staging -e restart_rolling=true -e restart_batch_size=2 -e restart_healthy=true "${FAST[@]}"
  grep -q "restarted 6 of 6 applications" "$WORK/run.log"
  playbook restart_playbook.yml
  emulator_get /_emulator/state | "$PY" verify.py waves 2

  echo "== restart-apps.yml: a failed wave halts the run"
  emulator_post /_emulator/reset > /dev/null
  emulator_post /_emulator/config '{"fail_paths": ["^POST /api/v1/applications/[^/]+/restart$"]}' > /dev/null
  playbook --fail "$RESTART" -e restart_tags=staging -e restart_rolling=true -e restart_batch_size=2 "${FAST[@]}"
  grep -q "not attempted (the rolling run halted after a failed wave)" "$WORK/run.log"
  emulator_get /_emulator/requests | "$PY" -c '
import json, sys
posts = [r for r in json.load(sys.stdin) if r["method"] == "POST"]
sys.exit(0 if len(posts) == 2 else "expected 2 POSTs (the first wave), got %d" % len(posts))'

  echo "== restart-apps.yml: refuses to run without tags"
  playbook --fail "$RESTART"
  grep -q "Give restart_tags" "$WORK/run.log"
}

suite 4.3.11
suite 4.1.2
echo "coolify_app_batch: all checks passed"
