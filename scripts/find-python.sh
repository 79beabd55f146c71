#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter (ansible-core 2.21 needs it); pyenv shims fail unless selected,
# so real interpreter paths are preferred over shims.
set -u
ok() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
cands=()
[ -n "${PYTHON:-}" ] && cands+=("$PYTHON")
if command -v pyenv >/dev/null 2>&1; then
  # 3.12 first (the tested target), then newer ones.
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.[0-9]+)?$' | sort -rV) \
           $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[3-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -V); do
    p=$(pyenv prefix "$v" 2>/dev/null)/bin/python3
    [ -x "$p" ] && cands+=("$p")
  done
fi
for n in python3.12 python3.13 python3.14 python3; do
  p=$(command -v "$n" 2>/dev/null) && cands+=("$p")
done
for c in "${cands[@]}"; do
  if ok "$c"; then echo "$c"; exit 0; fi
done
echo "No Python 3.12 or newer found: install one (for example 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
exit 1
