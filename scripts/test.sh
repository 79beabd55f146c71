#!/usr/bin/env bash
# Every check of the collection, in one place: `make test` runs this. STAGES selects a subset while developing,
# e.g. `STAGES="sanity units" make test`; PARALLEL=0 runs the stages one after the other.
#
# Stages run in lanes at once (each lane in order): lint, docs-lint, changelog-lint, build | sanity, units | the
# integration targets, in IT_GROUPS groups | the end-to-end pytest suites (tests/e2e, JOBS xdist workers, one emulator
# each), which mostly wait on the emulator's clock. Each stage's output is printed when it ends; the coverage of
# plugins/, a table of the stages' wall-clock and CPU seconds, and a leak check end the run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T0=$(date +%s.%N)
"$ROOT/scripts/bootstrap.sh"
BOOTSTRAP_SECONDS=$(( $(date +%s) - ${T0%.*} ))
VENV=${VENV:-$ROOT/.venv}
export PATH="$VENV/bin:$PATH"
PYVER=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
ALL_STAGES="lint docs-lint changelog-lint build sanity units integration e2e"
STAGES=${STAGES:-$ALL_STAGES}
STAGES=${STAGES//pytest/e2e}   # the e2e stage was called pytest
for name in $STAGES; do
  case " $ALL_STAGES " in *" $name "*) ;; *) echo "test.sh: unknown stage '$name' (stages: $ALL_STAGES)" >&2; exit 2;; esac
done
PARALLEL=${PARALLEL:-1}
IT_GROUPS=${IT_GROUPS:-2}
# The e2e tests mostly wait (deployments, status lags, back-off), so three workers per core keep the cores busy
# (measured on 2 cores: 4 workers 163 s, 6 workers 126 s, 8 workers 127 s with more CPU).
JOBS=${JOBS:-$(( $(nproc) * 3 ))}
export ANSIBLE_COLLECTIONS_PATH="$VENV/collections"
export ANSIBLE_PYTHON_INTERPRETER="$VENV/bin/python"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
# Every process of this run inherits the marker; scripts/check-leaks.py looks for it at the end.
export COOLOPS_TEST_RUN="$$-$(date +%s%N)"

# ansible-test downloads its pip bootstrap from a host outside PyPI; give it the offline stand-in.
PIPVER=$(python -c "import types; from ansible_test._internal.python_requirements import get_venv_packages as g; print(g(types.SimpleNamespace(version='$PYVER'))['pip'])")
mkdir -p "$HOME/.ansible/test/cache"
cp "$ROOT/scripts/ansible_test_get_pip.py" "$HOME/.ansible/test/cache/get_pip_${PIPVER//./_}.py"
# ansible-test makes its SSH key pair on first use; two integration groups starting at once on a fresh HOME would both
# make it and one fails. Make it here first, the way ansible-test does (PEM, header paramiko reads).
KEY=$HOME/.ansible/test/id_rsa
if [ ! -f "$KEY" ] || [ ! -f "$KEY.pub" ]; then
  rm -f "$KEY" "$KEY.pub"
  ssh-keygen -m PEM -q -t rsa -N '' -f "$KEY"
  sed -i -E 's/(BEGIN|END) PRIVATE KEY/\1 RSA PRIVATE KEY/' "$KEY"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coolops-test.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS"
echo "bootstrap $BOOTSTRAP_SECONDS 0 -" > "$WORK/times"
LEAKS_CHECKED=0
check_leaks() { python "$ROOT/scripts/check-leaks.py" --run-id "$COOLOPS_TEST_RUN" --path "$WORK"; }
cleanup() {
  local rc=$?
  # A failed or interrupted run is checked too (and its leftovers ended) before its scratch directory goes.
  if [ "$LEAKS_CHECKED" = 0 ]; then check_leaks >&2 || rc=1; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

# ansible-test needs the real path to end in ansible_collections/<ns>/<name>: it tests a copy of git's files. Each lane
# gets a copy of its own, so two ansible-test commands never share tests/output and sanity never sees lint's .ansible.
copy_tree() {
  mkdir -p "$1"
  (cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$1"
}
# ansible-test --venv makes the controller's virtual environment in tests/output/.tmp/delegation of the tree it tests:
# in a fresh copy that is a new venv, pip bootstrap and requirements every run (~6 s of CPU each). keep_venv COPY LANE
# points it at a directory kept across runs in .venv (this checkout's, never shared with another), one per lane (two
# lanes never build one at once) and ansible-core version; ansible-test still checks the requirements in it every run.
VENV_CACHE=$VENV/ansible-test/$(python -c 'import ansible; print(ansible.__version__)')
keep_venv() { mkdir -p "$VENV_CACHE/$2" "$1/tests/output/.tmp" && ln -sfn "$VENV_CACHE/$2" "$1/tests/output/.tmp/delegation"; }
DEST=$WORK/static/ansible_collections/coolops/coolify
DEST_LINT=$WORK/lint/ansible_collections/coolops/coolify

# cpu_seconds FILE: user + system CPU seconds of the children, from the second line of bash's `times` output.
cpu_seconds() {
  python - "$1" <<'PY'
import re, sys
try:
    line = open(sys.argv[1]).read().splitlines()[1]
except (OSError, IndexError):
    print("?")
else:
    secs = [int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", line)]
    print("%.0f" % sum(secs))
PY
}

# selected NAME: NAME (or, for integration-2 and the like, its stage `integration`) is in STAGES.
selected() { case " $STAGES " in *" $1 "* | *" ${1%-[0-9]} "*) return 0;; *) return 1;; esac; }

# stage NAME COMMAND...: run COMMAND (when NAME is selected) with its output in $LOGS/NAME.log; print the log when it
# ends (all of it on failure, its tail on success) and record the time. Returns the command's exit code.
stage() {
  local name=$1 start end rc=0
  shift
  selected "$name" || return 0
  start=$(date +%s.%N)
  # In a subshell whose `times` (the CPU seconds of its children) ends up in $LOGS/NAME.cpu.
  ( rc=0; "$@" || rc=$?; times > "$LOGS/$name.cpu"; exit "$rc" ) > "$LOGS/$name.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  echo "$name $(python -c "print('%.0f' % ($end - $start))") $rc $(cpu_seconds "$LOGS/$name.cpu")" >> "$WORK/times"
  {
    flock 9
    echo
    if [ "$rc" = 0 ]; then
      echo "=== $name: passed ($(wc -l < "$LOGS/$name.log") lines of output, the last ones:)"
      tail -n "${TAIL_LINES:-12}" "$LOGS/$name.log"
    else
      echo "=== $name: FAILED (exit $rc), its output:"
      cat "$LOGS/$name.log"
    fi
  } 9> "$WORK/print.lock"
  return "$rc"
}

lint() { (cd "$DEST_LINT" && ansible-lint --profile production . playbooks/ && rm -rf .ansible); }  # lint's own copy
docs_lint() {
  # Its own copy only: with the checkout on the path it read files that the e2e lane writes meanwhile (a flaky
  # "Unknown target name" in every plugin).
  (cd "$DEST_LINT" && ANSIBLE_COLLECTIONS_PATH="$WORK/lint" \
     antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all .) &&
    python "$ROOT/scripts/check-docs.py" --root "$ROOT"
}
changelog_lint() { (cd "$DEST_LINT" && antsibull-changelog lint); }
build() { "$ROOT/scripts/build-and-import.sh" "$DEST_LINT" "$WORK/dist"; }
# --python: the Python of .venv only; the collection's other supported Pythons are not installed on this machine, so
# ansible-test would skip them anyway (sanity has no narrower useful subset: every test it runs is one of the checks).
sanity() { (cd "$DEST" && ansible-test sanity --venv --python "$PYVER"); }
units() { (cd "$DEST" && ansible-test units --venv --python "$PYVER"); }
# integration-N TARGET...: the targets, in a copy of their own (so the groups run at once).
integration() {
  local lane=$1 dest=$WORK/$1/ansible_collections/coolops/coolify
  shift
  copy_tree "$dest" && keep_venv "$dest" "$lane" && (cd "$dest" && ansible-test integration --venv --python "$PYVER" "$@")
}
# The integration targets (not the hidden setup ones), dealt round-robin into IT_GROUPS groups.
integration_groups() {
  local i=0 target groups=()
  for target in $(cd "$ROOT/tests/integration/targets" && ls); do
    grep -qx hidden "$ROOT/tests/integration/targets/$target/aliases" 2>/dev/null && continue
    groups[i % IT_GROUPS]+=" $target"
    i=$((i + 1))
  done
  printf '%s\n' "${groups[@]}"
}
# The end-to-end layer: modules, inventory, client, reliability, AWX and emulator tests over HTTP, one emulator per
# worker; with tests/unit too, so the coverage of plugins/ counts every Python test.
# COVERAGE_CORE=sysmon: Python 3.12's low-overhead monitoring; the same numbers as the default tracer at a fraction of
# its overhead (measured on a sample: 4.2 s of user time against 5.9 s, and 3.9 s without coverage). --dist worksteal:
# an idle worker takes tests queued for a busy one, so a few long tests at the end do not hold up the stage.
# Bytecode (with pytest's rewritten asserts) is kept in .venv/pycache, also when PYTHONDONTWRITEBYTECODE is set: else
# each worker compiles every test module again (3.2 s of CPU per worker instead of 1.2 s); the checkout gets no .pyc.
e2e() {
  (cd "$ROOT" && env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX="$VENV/pycache" COVERAGE_CORE=${COVERAGE_CORE:-sysmon} \
    python -m pytest --ansible-unit-inject-only -p no:cacheprovider \
      -q -n "$JOBS" --dist worksteal --timeout 600 --cov=plugins --cov-report= --cov-config="$ROOT/tests/coverage.ini" \
      --inventory localhost, --ansible-connection local --host-pattern localhost tests/unit tests/e2e)
}

lint_lane() {
  local rc=0
  copy_tree "$DEST_LINT"
  stage lint lint || rc=1
  stage docs-lint docs_lint || rc=1
  stage changelog-lint changelog_lint || rc=1
  stage build build || rc=1
  return "$rc"
}
ansible_test_lane() {
  local rc=0
  copy_tree "$DEST"
  keep_venv "$DEST" static
  stage sanity sanity || rc=1
  stage units units || rc=1
  return "$rc"
}

export COVERAGE_FILE=$WORK/coverage
rc=0
# The integration groups run as stages integration-1, integration-2, ... (selected by `integration`).
IT_SETS=()
if selected integration; then mapfile -t IT_SETS < <(integration_groups); fi
# shellcheck disable=SC2086 # word splitting: a group is a list of targets
integration_group() { integration "it$1" ${IT_SETS[$1 - 1]}; }
if [ "$PARALLEL" = 1 ]; then
  pids=()
  ansible_test_lane & pids+=($!)
  for ((i = 1; i <= ${#IT_SETS[@]}; i++)); do stage "integration-$i" integration_group "$i" & pids+=($!); done
  stage e2e e2e & pids+=($!)
  lint_lane & pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
else
  lint_lane || rc=1
  ansible_test_lane || rc=1
  for ((i = 1; i <= ${#IT_SETS[@]}; i++)); do stage "integration-$i" integration_group "$i" || rc=1; done
  stage e2e e2e || rc=1
fi

if selected e2e && [ -f "$COVERAGE_FILE" ]; then
  echo
  echo "=== coverage of plugins/ (tests/unit and tests/e2e)"
  (cd "$ROOT" && python -m coverage report --rcfile="$ROOT/tests/coverage.ini") || rc=1
fi

echo
echo "=== leak check"
LEAKS_CHECKED=1
check_leaks || rc=1

echo
echo "=== stage times (seconds, wall clock; lanes run at once when PARALLEL=1)"
printf '%-16s %8s %8s  %s\n' stage seconds cpu-sec result
while read -r name secs code cpu; do
  printf '%-16s %8s %8s  %s\n' "$name" "$secs" "$cpu" "$([ "$code" = 0 ] && echo passed || echo "FAILED ($code)")"
done < "$WORK/times"
printf '%-16s %8s\n' "total" "$(python -c "import time; print('%.0f' % (time.time() - $T0))")"
exit "$rc"
