#!/usr/bin/env bash
# Build the collection tarball from a clean copy and run galaxy-importer on it, as Galaxy does on upload.
set -euo pipefail
SRC=$1
OUT=$2
mkdir -p "$OUT"
ansible-galaxy collection build "$SRC" --output-path "$OUT" --force
TARBALL=$(ls "$OUT"/coolops-coolify-*.tar.gz)
# No development artefacts may ship.
if tar -tzf "$TARBALL" | grep -E '(^|/)(\.venv|tests/output|\.ansible|\.pytest_cache|__pycache__|collections)/' ; then
  echo "build: the tarball contains development artefacts (listed above)" >&2
  exit 1
fi
# RUN_ANSIBLE_LINT = False: the importer's ansible-lint is `--profile production` over a subset of the files (the
# tarball, tests/ excluded, some rules skipped) and only logs warnings; the lint stage of scripts/test.sh already runs
# ansible-lint --profile production over the whole tree and fails on any finding, so a second run adds no check.
cat > "$OUT/galaxy-importer.cfg" <<CFG
[galaxy-importer]
CHECK_REQUIRED_TAGS = True
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = False
CFG
(cd "$OUT" && GALAXY_IMPORTER_CONFIG="$OUT/galaxy-importer.cfg" python -m galaxy_importer.main "$TARBALL" > importer.log 2>&1) || {
  cat "$OUT/importer.log"; exit 1; }
grep -E "ERROR|Importer processing completed" "$OUT/importer.log" || true
if grep -q "ERROR" "$OUT/importer.log" || ! grep -q "Importer processing completed successfully" "$OUT/importer.log"; then
  cat "$OUT/importer.log"; exit 1
fi
