#!/usr/bin/env bash
# Every check of the collection, in one place: `make test` runs this. STAGES selects a subset while developing,
# e.g. `STAGES="sanity units" make test`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/bootstrap.sh"
VENV=${VENV:-$ROOT/.venv}
export PATH="$VENV/bin:$PATH"
PYVER=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
STAGES=${STAGES:-"lint docs-lint changelog-lint build sanity units integration pytest"}
export ANSIBLE_COLLECTIONS_PATH="$VENV/collections"
export ANSIBLE_PYTHON_INTERPRETER="$VENV/bin/python"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0

# ansible-test downloads its pip bootstrap from a host outside PyPI; give it the offline stand-in.
PIPVER=$(python -c "import types; from ansible_test._internal.python_requirements import get_venv_packages as g; print(g(types.SimpleNamespace(version='$PYVER'))['pip'])")
mkdir -p "$HOME/.ansible/test/cache"
cp "$ROOT/scripts/ansible_test_get_pip.py" "$HOME/.ansible/test/cache/get_pip_${PIPVER//./_}.py"

# ansible-test needs the real path to end in ansible_collections/<ns>/<name>: it tests a copy of git's files.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coolops-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DEST=$WORK/ansible_collections/coolops/coolify
mkdir -p "$DEST"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$DEST"

stage() { case " $STAGES " in *" $1 "*) echo; echo "=== $1 ==="; return 0;; *) return 1;; esac; }

if stage lint; then
  (cd "$DEST" && ansible-lint --profile production . playbooks/)
  rm -rf "$DEST/.ansible"   # ansible-lint's working copy; ansible-test must not lint it
fi
if stage docs-lint; then
  (cd "$DEST" && antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all .)
fi
if stage changelog-lint; then
  (cd "$DEST" && antsibull-changelog lint)
fi
if stage build; then
  "$ROOT/scripts/build-and-import.sh" "$DEST" "$WORK/dist"
fi
if stage sanity; then
  (cd "$DEST" && ansible-test sanity --venv --python "$PYVER")
fi
if stage units; then
  (cd "$DEST" && ansible-test units --venv --python "$PYVER")
fi
if stage integration; then
  (cd "$DEST" && ansible-test integration --venv --python "$PYVER")
fi
if stage pytest; then
  # The emulator's own tests and the end-to-end suites, through pytest-ansible's collection-path injection.
  suites=()
  for d in tests/e2e; do [ -d "$ROOT/$d" ] && suites+=("$d"); done
  (cd "$ROOT" && python -m pytest --ansible-unit-inject-only -p no:cacheprovider -q \
      --inventory localhost, --ansible-connection local --host-pattern localhost "${suites[@]}")
fi
