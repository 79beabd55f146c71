#!/usr/bin/env bash
# `make bench`: measure coolify_app_batch against a uri loop and the theoretical limit on the Coolify emulator, then
# write docs/performance.md and docs/performance.png. Measurements only; not part of `make test`.
# Extra arguments go to benchmarks/run.py, e.g. `scripts/bench.sh --sizes 10,100 --soak 0` for a quick look.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/bootstrap.sh"
VENV=${VENV:-$ROOT/.venv}
export VENV
if ! "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
  echo "bench: installing benchmarks/requirements.txt (matplotlib) into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/benchmarks/requirements.txt"
fi
exec "$VENV/bin/python" "$ROOT/benchmarks/run.py" "$@"
