# Sourced by integration targets' runme.sh: `emulator_start [emulator flags...]` starts the Coolify emulator on a
# free loopback port, exports COOLIFY_API_URL, COOLIFY_API_TOKEN and EMULATOR_URL, and stops it when the script exits.
# Also shared by the targets: WORK (a scratch directory removed at exit), `collection_path RELPATH` and
# `run_playbook [--fail] ARGS...` (ansible-playbook at -vvvv, failing on any of SECRET_MARKERS in its output).
# shellcheck shell=bash

EMULATOR_PYTHON=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
EMULATOR_TOKEN=${EMULATOR_TOKEN:-1|coolops-emulator-root-token}
EMULATOR_PIDS=()
# The seeded fleet of the batch targets (the unit tests' too): emulator_start "${EMULATOR_FLEET[@]}" ...
# shellcheck disable=SC2034 # used by the targets that source this file
# Queued jobs wait 0.3 s, as on Coolify; the modules observe the transition each job causes.
EMULATOR_FLEET=(--seed-apps 12 --seed-services 4 --seed-servers 2 --seed-projects 2 --random-seed 7
  --deploy-seconds 0.2 --status-lag-seconds 0.2 --job-delay-seconds 0.3)

# collection_path RELPATH: the file RELPATH of this collection, through ANSIBLE_COLLECTIONS_PATH, else in a directory
# above the current one (a checkout). ansible-test runs the targets from a copy, so the path is never hard-coded.
collection_path() {
  local d roots
  IFS=: read -r -a roots <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
  for d in "${roots[@]}"; do
    if [ -f "$d/ansible_collections/coolops/coolify/$1" ]; then
      echo "$d/ansible_collections/coolops/coolify/$1"; return 0
    fi
  done
  d=$(pwd)
  while [ "$d" != "/" ]; do
    if [ -f "$d/$1" ]; then echo "$d/$1"; return 0; fi
    d=$(dirname "$d")
  done
  echo "emulator.sh: cannot find $1" >&2
  return 1
}

emulator_dir() {
  local main
  main=$(collection_path tests/emulator/__main__.py) || return 1
  dirname "$main"
}

emulator_stop_all() {
  local pid
  for pid in "${EMULATOR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
}

# One scratch directory per script; the EXIT trap stops the emulators first, so nothing still writes into it.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coolops-it.XXXXXX")
trap 'emulator_stop_all; rm -rf "$WORK"' EXIT
# async jobs and async_status must agree on where results live, whatever HOME the connection resolves.
export ANSIBLE_ASYNC_DIR="$WORK/async"

emulator_start() {
  local dir log url
  dir=$(emulator_dir)
  log=$(mktemp "$WORK/emulator.XXXXXX")
  "$EMULATOR_PYTHON" "$dir" --port 0 --token "$EMULATOR_TOKEN" "$@" > "$log" 2>&1 &
  EMULATOR_PIDS+=("$!")
  for _ in $(seq 1 100); do
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

# run_playbook [--fail] ARGS...: ansible-playbook ARGS at -vvvv, its output kept in $WORK/run.log (this run) and
# $WORK/all.log (every run). Exits the script when any word of SECRET_MARKERS (space separated: the markers carried by
# the target's tokens and values; required) is in the output, or when the rc is not the expected one (0, or non-zero
# with --fail). No `set -x` in the targets: the trace would print the tokens itself.
run_playbook() {
  local expect=0 rc=0 marker line leaked=0
  if [ "${1:-}" = "--fail" ]; then expect=1; shift; fi
  read_secret_markers
  ansible-playbook -vvvv "$@" > "$WORK/run.log" 2>&1 || rc=$?
  cat "$WORK/run.log" >> "$WORK/all.log"
  for marker in "${MARKERS[@]}"; do
    if grep -qF -- "$marker" "$WORK/run.log"; then
      leaked=1
      grep -nF -- "$marker" "$WORK/run.log" | head -n 5 | while IFS= read -r line; do echo "${line//"$marker"/<MARKER>}" >&2; done
    fi
  done
  if [ "$leaked" = 1 ]; then
    echo "FAIL: a secret marker leaked into the output of ansible-playbook $*" >&2
    exit 1
  fi
  if { [ "$expect" = 0 ] && [ "$rc" != 0 ]; } || { [ "$expect" = 1 ] && [ "$rc" = 0 ]; }; then
    tail -n 80 "$WORK/run.log" >&2
    echo "FAIL: ansible-playbook $* exited $rc" >&2
    exit 1
  fi
}

# task_msg TITLE: the "msg" line of the task TITLE (a regex) in the last run_playbook output, for a progress line.
task_msg() {
  grep -A8 "TASK \[$1\]" "$WORK/run.log" | grep -o '"msg": .*' || true
}

# assert_no_marker FILE...: fail when any word of SECRET_MARKERS is in one of the files.
assert_no_marker() {
  local marker
  read_secret_markers
  for marker in "${MARKERS[@]}"; do
    if grep -qF -- "$marker" "$@"; then
      echo "FAIL: a secret marker is in $*" >&2
      exit 1
    fi
  done
}

# read_secret_markers: SECRET_MARKERS split into the array MARKERS; an empty list is an error, so that no target
# checks for nothing by mistake.
read_secret_markers() {
  read -r -a MARKERS <<< "${SECRET_MARKERS:-}"
  if [ "${#MARKERS[@]}" = 0 ]; then
    echo "emulator.sh: set SECRET_MARKERS before run_playbook or assert_no_marker" >&2
    exit 1
  fi
}
