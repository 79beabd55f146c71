#!/usr/bin/env bash
# `make docs`: build the documentation site with antsibull-docs and Sphinx into docs/build/html/: the module and
# plugin reference (from the plugins' DOCUMENTATION), the guides in docs/docsite/, and docs/performance.md's results.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/bootstrap.sh"
VENV=${VENV:-$ROOT/.venv}
export PATH="$VENV/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$VENV/collections"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0

# Only this target needs the Sphinx theme and the Markdown parser (for docs/performance.md): install them on demand,
# pinned; pip does nothing (and asks no index) when they are already there.
python -m pip install -q --disable-pip-version-check "sphinx-ansible-theme==0.10.4" "myst-parser==5.2.0" 2>&1 \
  | grep -v "^WARNING: Location" || true

OUT=$ROOT/docs/build
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
# Sphinx scaffolding (conf.py, antsibull-docs.cfg), then the collection's rst: plugin pages, indexes, extra docs.
antsibull-docs sphinx-init --use-current --squash-hierarchy --dest-dir "$OUT" \
  --project coolops.coolify --copyright "2026, coolops maintainers" --title "coolops.coolify" \
  coolops.coolify > sphinx-init.log
mkdir -p rst
chmod og-w rst  # antsibull-docs wants the directory writable only by itself
antsibull-docs --config-file antsibull-docs.cfg collection --use-current --squash-hierarchy --fail-on-error \
  --cleanup everything --dest-dir rst coolops.coolify

# The performance guide ends with docs/performance.md itself (written by `make bench`), parsed as Markdown by MyST;
# its own "# Performance" title is skipped (the guide has one), its images are copied next to the guide.
if [ -f "$ROOT/docs/performance.md" ] && [ -f rst/docsite/performance.rst ]; then
  rel=$(python -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$ROOT/docs/performance.md" rst/docsite)
  {
    printf '\n.. include:: %s\n   :parser: myst_parser.sphinx_\n' "$rel"
    if head -n 1 "$ROOT/docs/performance.md" | grep -q '^# '; then printf '   :start-line: 1\n'; fi
  } >> rst/docsite/performance.rst
  find "$ROOT/docs" -maxdepth 1 -type f \( -name '*.png' -o -name '*.svg' -o -name '*.jpg' \) -exec cp {} rst/docsite/ \;
  # Its "## ..." sections become sections of the guide (MyST notes that they start at H2: expected here).
  printf '\nextensions.append("myst_parser")\nmyst_heading_anchors = 3\nsuppress_warnings = ["myst.header"]\n' >> conf.py
fi

# Strict build, except for what needs the network: the intersphinx inventories of docs.ansible.com and
# docs.python.org cannot be fetched offline, and neither can the labels and environment variables documented there.
# Any other warning fails the build, including a broken reference to this collection's own pages.
sphinx-build -b html -c . -q --keep-going -w sphinx-warnings.log rst html > sphinx.log 2>&1 || {
  cat sphinx.log >&2; echo "docs: sphinx-build failed" >&2; exit 1; }
python - sphinx-warnings.log <<'PY'
import re
import sys

with open(sys.argv[1], encoding="utf-8") as handle:
    text = handle.read()
problems = []
for line in text.splitlines():
    if not re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b", line):
        continue
    if "failed to reach any of the inventories" in line:
        continue
    label = re.search(r"undefined label: '([^']+)'", line)
    if label and not label.group(1).startswith("ansible_collections.coolops.coolify."):
        continue
    envvar = re.search(r"'envvar' reference target not found: (\S+)", line)
    if envvar and not envvar.group(1).startswith("COOLIFY_"):
        continue  # ansible-core's own variables (ANSIBLE_CACHE_PLUGIN, ...) are documented on docs.ansible.com
    problems.append(line)
if problems:
    sys.stderr.write("docs: Sphinx reported problems:\n" + "\n".join(problems) + "\n")
    sys.exit(1)
offline = text.count("failed to reach any of the inventories")
if offline:
    print("docs: %d intersphinx inventories were unreachable (offline); links into them stay unresolved" % offline)
PY
[ -f html/index.html ] || { echo "docs: no html/index.html was written" >&2; exit 1; }
echo "docs: built $OUT/html/index.html"
