#!/usr/bin/env bash
# coolify_env and playbooks/rotate-keys.yml against the emulator. Every playbook runs at -vvvv and its whole output
# is checked for the marker carried by every value and by both tokens. No `set -x`: it would echo them itself.
set -eu
cd "$(dirname "$0")"

MARK=itmk4f8e2b
export EMULATOR_TOKEN="1|${MARK}-root-token"
export NOSENS_TOKEN="2|${MARK}-nosensitive"
# shellcheck source=../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh

WORK=$(mktemp -d)
trap 'emulator_stop_all; rm -rf "$WORK"' EXIT
LOG=$WORK/ansible.log
PY=$EMULATOR_PYTHON

# run_playbook ARGS...: run at -vvvv, keep the output, fail on a leaked marker; returns ansible-playbook's rc.
run_playbook() {
  local out=$WORK/run.log rc=0
  ansible-playbook -vvvv "$@" > "$out" 2>&1 || rc=$?
  cat "$out" >> "$LOG"
  if grep -q "$MARK" "$out"; then
    grep -n "$MARK" "$out" | sed "s/$MARK/<MARKER>/g" | head -n 5 >&2
    echo "FAIL: a value or token leaked into the output of ansible-playbook $*" >&2
    exit 1
  fi
  return $rc
}

playbook() {
  if ! run_playbook "$@"; then
    tail -n 60 "$WORK/run.log" >&2
    echo "FAIL: ansible-playbook $* failed" >&2
    exit 1
  fi
}

expect_failure() {
  if run_playbook "$@"; then
    tail -n 40 "$WORK/run.log" >&2
    echo "FAIL: ansible-playbook $* should have failed" >&2
    exit 1
  fi
}

state() { emulator_get /_emulator/state > "$1"; }

# The collection's playbook, found like the emulator: through ANSIBLE_COLLECTIONS_PATH, else above this directory.
rotate_keys() {
  local d
  IFS=: read -r -a roots <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
  for d in "${roots[@]}"; do
    if [ -f "$d/ansible_collections/coolops/coolify/playbooks/rotate-keys.yml" ]; then
      echo "$d/ansible_collections/coolops/coolify/playbooks/rotate-keys.yml"; return 0
    fi
  done
  d=$(pwd)
  while [ "$d" != "/" ]; do
    if [ -f "$d/playbooks/rotate-keys.yml" ]; then echo "$d/playbooks/rotate-keys.yml"; return 0; fi
    d=$(dirname "$d")
  done
  echo "runme.sh: cannot find playbooks/rotate-keys.yml" >&2
  return 1
}
ROTATE=$(rotate_keys)
FAST=(-e rotate_poll_interval=0.05 -e rotate_wait_timeout=30 -e rotate_batch_size=1)

suite() {
  echo "=== Coolify $1"
  emulator_stop_all
  emulator_start --fixture "$PWD/fixture.json" --api-version "$1" --deploy-seconds 0.1 --status-lag-seconds 0.05

  echo "== coolify_env: check, apply, idempotence, scope, hidden values, SERVICE_* keys, prune, absent, input errors"
  playbook env.yml
  state "$WORK/state.json"
  "$PY" verify.py after_env "$WORK/state.json"

  echo "== coolify_env: a write fails partway; the rollback restores the state exactly"
  emulator_post /_emulator/reset > /dev/null
  state "$WORK/before.json"
  emulator_post /_emulator/config '{"fail_paths": ["^PATCH /api/v1/applications/app-c/envs/bulk$"]}' > /dev/null
  playbook rollback.yml
  state "$WORK/after.json"
  "$PY" verify.py unchanged "$WORK/after.json" "$WORK/before.json"

  echo "== rotate-keys.yml: --check --diff plans without writing or restarting"
  emulator_post /_emulator/reset > /dev/null
  playbook "$ROTATE" --check --diff -e rotate_tag=rotate -e @secrets.yml "${FAST[@]}"
  grep -q "Would change 3 of 3 applications" "$WORK/run.log"
  emulator_get /_emulator/requests > "$WORK/requests.json"
  "$PY" verify.py reads_only "$WORK/requests.json"

  echo "== rotate-keys.yml: rotate by tag, restart the changed applications in rolling waves"
  emulator_post /_emulator/reset > /dev/null
  playbook "$ROTATE" -e rotate_tag=rotate -e @secrets.yml "${FAST[@]}"
  grep -q "Rotated API_KEY: Changed 3 of 3 applications" "$WORK/run.log"
  state "$WORK/state.json"
  "$PY" verify.py rotated "$WORK/state.json"
  emulator_get /_emulator/requests > "$WORK/requests.json"
  "$PY" verify.py restarted "$WORK/requests.json" app-a,app-b,app-c

  echo "== rotate-keys.yml: a restart fails; the playbook rolls back and fails with a summary"
  emulator_post /_emulator/reset > /dev/null
  state "$WORK/before.json"
  emulator_post /_emulator/config '{"deploy_outcomes": {"app-b": "failed"}}' > /dev/null
  expect_failure "$ROTATE" -e rotate_tag=rotate -e @secrets.yml "${FAST[@]}"
  grep -q "Rotating API_KEY failed" "$WORK/run.log"
  grep -q "env-b (app-b): failed, restarted, rolled back" "$WORK/run.log"
  grep -q "env-c (app-c): rolled_back: restart not attempted" "$WORK/run.log"
  state "$WORK/after.json"
  "$PY" verify.py unchanged "$WORK/after.json" "$WORK/before.json"
  emulator_get /_emulator/requests > "$WORK/requests.json"
  # app-a restarted fine, app-b failed (the wave halts, app-c waits), then both restart again on the old values.
  "$PY" verify.py restarted "$WORK/requests.json" app-a,app-b,app-a,app-b

  echo "== rotate-keys.yml: refuses to run without a selector"
  expect_failure "$ROTATE" -e @secrets.yml
  grep -q "Give rotate_env" "$WORK/run.log"
}

suite 4.3.11
suite 4.1.2

# The token and every value also stayed out of the complete -vvvv output.
if grep -q "$MARK" "$LOG"; then echo "FAIL: marker in the output" >&2; exit 1; fi
echo "coolify_env: all checks passed ($(wc -l < "$LOG") lines of -vvvv output, no marker)"
