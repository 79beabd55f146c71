#!/usr/bin/env bash
# coolify_env through ansible-playbook: playbooks/rotate-keys.yml against the emulator (Coolify 4.3.11, and the
# rotation on 4.1.2). The module's own scenarios (check, apply, idempotence, scope, hidden values, SERVICE_* keys,
# prune, absent, input errors, rollback, both Coolify versions) are tested end to end in tests/e2e, not here again.
# Every playbook runs at -vvvv and its whole output is checked for the marker carried by every value and by the
# token. No `set -x`: it would echo them itself.
set -eu
cd "$(dirname "$0")"

MARK=itmk4f8e2b
# shellcheck disable=SC2034 # read by run_playbook in emulator.sh
SECRET_MARKERS=$MARK
export EMULATOR_TOKEN="1|${MARK}-root-token"
# shellcheck source-path=SCRIPTDIR
source ../setup_emulator/emulator.sh

PY=$EMULATOR_PYTHON

state() { emulator_get /_emulator/state > "$1"; }

ROTATE=$(collection_path playbooks/rotate-keys.yml)
FAST=(-e rotate_poll_interval=0.05 -e rotate_wait_timeout=30 -e rotate_batch_size=1)

start_coolify() {
  echo "=== Coolify $1"
  emulator_stop_all
  emulator_start --fixture "$PWD/fixture.json" --api-version "$1" --deploy-seconds 0.1 --status-lag-seconds 0.05
}

rotate() {
  echo "== rotate-keys.yml: rotate by tag, restart the changed applications in rolling waves"
  emulator_post /_emulator/reset > /dev/null
  run_playbook "$ROTATE" -e rotate_tag=rotate -e @secrets.yml "${FAST[@]}"
  grep -q "Rotated API_KEY: Changed 3 of 3 applications" "$WORK/run.log"
  state "$WORK/state.json"
  "$PY" verify.py rotated "$WORK/state.json"
  emulator_get /_emulator/requests > "$WORK/requests.json"
  "$PY" verify.py restarted "$WORK/requests.json" app-a,app-b,app-c
}

suite() {
  start_coolify "$1"

  echo "== rotate-keys.yml: --check --diff plans without writing or restarting"
  run_playbook "$ROTATE" --check --diff -e rotate_tag=rotate -e @secrets.yml "${FAST[@]}"
  grep -q "Would change 3 of 3 applications" "$WORK/run.log"
  emulator_get /_emulator/requests > "$WORK/requests.json"
  "$PY" verify.py reads_only "$WORK/requests.json"

  rotate

  echo "== rotate-keys.yml: a restart fails; the playbook rolls back and fails with a summary"
  emulator_post /_emulator/reset > /dev/null
  state "$WORK/before.json"
  emulator_post /_emulator/config '{"deploy_outcomes": {"app-b": "failed"}}' > /dev/null
  run_playbook --fail "$ROTATE" -e rotate_tag=rotate -e @secrets.yml "${FAST[@]}"
  grep -q "Rotating API_KEY failed" "$WORK/run.log"
  grep -q "env-b (app-b): failed, restarted, rolled back" "$WORK/run.log"
  grep -q "env-c (app-c): rolled_back: restart not attempted" "$WORK/run.log"
  state "$WORK/after.json"
  "$PY" verify.py unchanged "$WORK/after.json" "$WORK/before.json"
  emulator_get /_emulator/requests > "$WORK/requests.json"
  # app-a restarted fine, app-b failed (the wave halts, app-c waits), then both restart again on the old values.
  "$PY" verify.py restarted "$WORK/requests.json" app-a,app-b,app-a,app-b

  echo "== rotate-keys.yml: refuses to run without a selector"
  run_playbook --fail "$ROTATE" -e @secrets.yml
  grep -q "Give rotate_env" "$WORK/run.log"
}

suite 4.3.11
start_coolify 4.1.2
rotate

# The token and every value also stayed out of the complete -vvvv output.
assert_no_marker "$WORK/all.log"
echo "coolify_env: all checks passed ($(wc -l < "$WORK/all.log") lines of -vvvv output, no marker)"
