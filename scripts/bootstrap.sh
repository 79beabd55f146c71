#!/usr/bin/env bash
# Create or refresh .venv from the pinned requirements-dev.txt; re-installs only when the pins change.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
STAMP=$VENV/.requirements-dev.sha256
want=$(cat "$ROOT/requirements-dev.txt" "$ROOT/requirements.txt" | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
  echo "bootstrap: $VENV has Python < 3.12, recreating it" >&2
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  PY=$("$ROOT/scripts/find-python.sh")
  echo "bootstrap: creating $VENV with $PY" >&2
  "$PY" -m venv "$VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing requirements-dev.txt" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-dev.txt" -r "$ROOT/requirements.txt"
  echo "$want" > "$STAMP"
fi
# A collection tree whose coolops/coolify points at this checkout, for ansible-playbook, ansible-doc and pytest.
mkdir -p "$VENV/collections/ansible_collections/coolops"
ln -sfn "$ROOT" "$VENV/collections/ansible_collections/coolops/coolify"
