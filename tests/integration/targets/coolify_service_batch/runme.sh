#!/usr/bin/env bash
# coolify_service_batch through ansible-playbook: playbooks/nightly-shutdown.yml + nightly-startup.yml against the
# emulator (Coolify 4.3.11, and the shutdown on 4.1.2). The module's own scenarios (states, check mode, idempotence,
# failures, faults, both Coolify versions) are tested end to end in tests/e2e, not here again.
# No `set -x`: it would echo the tokens. Every playbook's -vvvv output is checked for the marker.
set -eu
cd "$(dirname "$0")"

MARK=itmk2d6f9e
# shellcheck disable=SC2034 # read by run_playbook in emulator.sh
SECRET_MARKERS="$MARK coolops-dbsecret"  # the second one is in every database password and URL
export EMULATOR_TOKEN="1|${MARK}-root-token"
# shellcheck source-path=SCRIPTDIR
source ../setup_emulator/emulator.sh

PY=$EMULATOR_PYTHON
SHUTDOWN=$(collection_path playbooks/nightly-shutdown.yml)
STARTUP=$(collection_path playbooks/nightly-startup.yml)
FAST=(-e nightly_poll_interval=0.05 -e nightly_wait_timeout=30)
STACK=(-e nightly_tag=staging -e nightly_service_project=shop -e nightly_service_environment=staging
       -e nightly_database_project=billing -e nightly_database_environment=staging)

snapshot() {
  emulator_get /_emulator/state > "$WORK/state.json"
  emulator_get /_emulator/requests > "$WORK/requests.json"
}

recap_unchanged() {
  grep -Eq "localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0" "$WORK/run.log"
}

start_coolify() {
  echo "=== Coolify $1"
  emulator_stop_all
  emulator_start "${EMULATOR_FLEET[@]}" --api-version "$1"
}

nightly_shutdown() {
  echo "== nightly-shutdown.yml: stops the staging applications, then the staging services, then the databases"
  emulator_post /_emulator/reset > /dev/null
  run_playbook "$SHUTDOWN" "${STACK[@]}" "${FAST[@]}"
  snapshot
  "$PY" verify.py down "$WORK/state.json" "$WORK/requests.json" shop-plausible billing-mongodb-staging shop-worker-staging
  run_playbook "$SHUTDOWN" "${STACK[@]}" "${FAST[@]}"
  recap_unchanged
}

suite() {
  start_coolify "$1"

  echo "== nightly-shutdown.yml: check mode writes nothing"
  emulator_post /_emulator/reset > /dev/null
  run_playbook "$SHUTDOWN" --check --diff "${STACK[@]}" "${FAST[@]}"
  grep -q "would stop 5 of 5 applications" "$WORK/run.log"  # shop-worker-staging is down on purpose: not selected
  grep -q "would stop 1 of 1 services" "$WORK/run.log"
  grep -q "would stop 1 of 1 databases" "$WORK/run.log"
  snapshot
  "$PY" verify.py no_writes "$WORK/requests.json"

  nightly_shutdown

  # Right after the shutdown and its rerun (which must have kept the memory of what the first run stopped).
  echo "== nightly-startup.yml: starts the databases, then the services, then the applications: only what was stopped"
  emulator_get /_emulator/requests > "$WORK/before_startup.json"
  run_playbook "$STARTUP" "${STACK[@]}" "${FAST[@]}"
  snapshot
  # Keep only the requests of the startup run.
  "$PY" - "$WORK/before_startup.json" "$WORK/requests.json" <<'PY'
import json, sys
with open(sys.argv[1]) as handle:
    before = len(json.load(handle))
with open(sys.argv[2]) as handle:
    after = json.load(handle)
with open(sys.argv[2], "w") as handle:
    json.dump(after[before:], handle)
PY
  "$PY" verify.py up "$WORK/state.json" "$WORK/requests.json" shop-plausible billing-mongodb-staging shop-worker-staging
  run_playbook "$STARTUP" "${STACK[@]}" "${FAST[@]}"
  recap_unchanged

  echo "== nightly playbooks: a startup with nothing remembered starts nothing; without a service selection only applications"
  emulator_post /_emulator/reset > /dev/null
  KUMA=$(emulator_get /_emulator/state | "$PY" -c 'import json, sys; print([s["uuid"] for s in json.load(sys.stdin)["services"] if s["name"] == "billing-uptime-kuma"][0])')
  run_playbook "$STARTUP" -e nightly_tag=staging -e "nightly_service_uuids=$KUMA" "${FAST[@]}"
  recap_unchanged
  snapshot
  "$PY" verify.py no_writes "$WORK/requests.json"
  emulator_post /_emulator/reset > /dev/null
  run_playbook "$SHUTDOWN" -e nightly_tag=staging "${FAST[@]}"
  grep -q "none selected (give a project or uuids)" "$WORK/run.log"
  snapshot
  "$PY" verify.py down "$WORK/state.json" "$WORK/requests.json" "" "" shop-worker-staging

  echo "== nightly playbooks: refuse to run without a tag"
  run_playbook --fail "$SHUTDOWN"
  grep -q "Give nightly_tag" "$WORK/run.log"
}

suite 4.3.11
start_coolify 4.1.2
nightly_shutdown
echo "coolify_service_batch: all checks passed"
