#!/usr/bin/env bash
# coolify_app_batch through ansible-playbook: playbooks/restart-apps.yml against the emulator (Coolify 4.3.11, and the
# rolling restart on 4.1.2). The module's own scenarios (states, check mode, idempotence, failures, faults, both
# Coolify versions) are tested end to end in tests/e2e/modules and tests/e2e/reliability, not here again.
# No `set -x`: it would echo the tokens. Every playbook's -vvvv output is checked for the tokens' marker.
set -eu
cd "$(dirname "$0")"

MARK=itmk7a3c5d
# shellcheck disable=SC2034 # read by run_playbook in emulator.sh
SECRET_MARKERS=$MARK
export EMULATOR_TOKEN="1|${MARK}-root-token"
# shellcheck source-path=SCRIPTDIR
source ../setup_emulator/emulator.sh

PY=$EMULATOR_PYTHON
RESTART=$(collection_path playbooks/restart-apps.yml)
FAST=(-e restart_poll_interval=0.05 -e restart_wait_timeout=30)

start_coolify() {
  echo "=== Coolify $1"
  emulator_stop_all
  emulator_start "${EMULATOR_FLEET[@]}" --api-version "$1"
}

rolling_restart() {
  echo "== restart-apps.yml: rolling restart of the staging tag in waves of two"
  emulator_post /_emulator/reset > /dev/null
  run_playbook "$RESTART" -e restart_tags=staging -e restart_rolling=true -e restart_batch_size=2 -e restart_healthy=true "${FAST[@]}"
  grep -q "restarted 6 of 6 applications" "$WORK/run.log"
  run_playbook restart_playbook.yml
  emulator_get /_emulator/state | "$PY" verify.py waves 2
}

suite() {
  start_coolify "$1"

  echo "== restart-apps.yml: check mode writes nothing"
  emulator_post /_emulator/reset > /dev/null
  run_playbook "$RESTART" --check -e restart_tags=staging "${FAST[@]}"
  grep -q "would restart 6 of 6 applications" "$WORK/run.log"
  emulator_get /_emulator/requests | "$PY" -c 'import json, sys; sys.exit(any(r["method"] != "GET" for r in json.load(sys.stdin)))'

  rolling_restart

  echo "== restart-apps.yml: a failed wave halts the run"
  emulator_post /_emulator/reset > /dev/null
  emulator_post /_emulator/config '{"fail_paths": ["^POST /api/v1/applications/[^/]+/restart$"]}' > /dev/null
  run_playbook --fail "$RESTART" -e restart_tags=staging -e restart_rolling=true -e restart_batch_size=2 "${FAST[@]}"
  grep -q "not attempted (the rolling run halted after a failed wave)" "$WORK/run.log"
  emulator_get /_emulator/requests | "$PY" -c '
import json, sys
posts = [r for r in json.load(sys.stdin) if r["method"] == "POST"]
sys.exit(0 if len(posts) == 2 else "expected 2 POSTs (the first wave), got %d" % len(posts))'

  echo "== restart-apps.yml: refuses to run without tags"
  run_playbook --fail "$RESTART"
  grep -q "Give restart_tags" "$WORK/run.log"
}

suite 4.3.11
start_coolify 4.1.2
rolling_restart
echo "coolify_app_batch: all checks passed"
