# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render every plugin of the collection with ansible-doc and fail on broken markup in what a reader sees.

antsibull-docs lint only checks that the markup parses. A `)` inside V(...) or C(...) parses fine and still breaks the
text: `V(https://x/(y))` renders as `https://x/(y')` -- the code span closes one character early and a stray `)`
follows. This check reads the rendered prose (EXAMPLES and the value lines such as default:/sample: excluded) and fails
on: a code span (`...' in ansible-doc's text) whose parentheses do not balance, a `)` without its `(` (or the reverse)
in the prose around the spans, a backtick or quote left over from a span, and unrendered markup such as C( or V(.

Usage: check-docs.py [--collection coolops.coolify] [--root DIR]; exit 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

# plugins/<directory> -> ansible-doc's -t value
PLUGIN_TYPES = {"modules": "module", "inventory": "inventory", "lookup": "lookup", "filter": "filter", "test": "test",
                "callback": "callback", "connection": "connection", "become": "become", "cache": "cache",
                "vars": "vars", "strategy": "strategy", "shell": "shell", "cliconf": "cliconf", "netconf": "netconf",
                "httpapi": "httpapi", "action": None}
VALUE_LINE = re.compile(r"^\s*(default|choices|type|elements|sample|returned|aliases|version_added|added in|set_via|"
                        r"env|ini|vars|keyword|cli|support|platforms|contains|required|no_log|deprecated|"
                        r"version_added_collection)\b.*:")
SPAN = re.compile(r"`([^`']*)'")
MARKUP = re.compile(r"(?<![A-Za-z])(?:[BCEILMOPUV]|RV)\(")
ATTRIBUTE = re.compile(r"`[a-z_]+:`")  # ansible-doc's own heading of an attribute, e.g. `check_mode:`
QUOTED = re.compile(r"(?<![A-Za-z])'[^'`]*'(?![A-Za-z])")  # plain quoted words in core's fragments: 'magic'
APOSTROPHE = re.compile(r"(?<=[A-Za-z])'(?=[A-Za-z]|\s|[.,;:)]|$)")


def plugins(root):
    """[(ansible-doc type, short name)] of the plugins in root/plugins, documentation-bearing ones only."""
    found = []
    for directory, doc_type in sorted(PLUGIN_TYPES.items()):
        path = os.path.join(root, "plugins", directory)
        if doc_type is None or not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            if name.endswith(".py") and not name.startswith("_") and name != "__init__.py":
                found.append((doc_type, name[:-3]))
    return found


def prose(text):
    """The lines of rendered ansible-doc text a reader reads as sentences: no EXAMPLES, no value lines (and their
    continuation lines, such as a long sample)."""
    lines, skip, value_indent = [], False, None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if value_indent is not None and line.strip() and indent > value_indent:
            continue
        value_indent = None
        if line.startswith(">"):
            continue  # the header names the file path
        if re.match(r"^[A-Z][A-Z ]+(\(.*\))?:?\s*$", line):
            skip = line.startswith("EXAMPLES")
            continue
        if skip:
            continue
        if VALUE_LINE.match(line):
            value_indent = indent
            continue
        lines.append(line.strip())
    return lines


def problems(name, text):
    """One message per broken spot in the rendered text of plugin `name`."""
    found = []
    joined = ATTRIBUTE.sub(" ", " ".join(prose(text)))
    for match in SPAN.finditer(joined):
        content = match.group(1)
        if content.count("(") != content.count(")") or content.count("[") != content.count("]"):
            found.append("%s: unbalanced brackets in the code span `%s'" % (name, content))
    outside = SPAN.sub(" CODE ", joined)
    outside = QUOTED.sub(" QUOTED ", outside)
    depth = 0
    for index, char in enumerate(outside):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                found.append("%s: stray `)` near: ...%s..." % (name, outside[max(0, index - 60):index + 20]))
                depth = 0
    if depth > 0:
        found.append("%s: %d `(` never closed in the rendered text" % (name, depth))
    if "`" in outside:
        index = outside.index("`")
        found.append("%s: a code span is not closed near: ...%s..." % (name, outside[max(0, index - 40):index + 40]))
    stray_quotes = [m.start() for m in re.finditer("'", APOSTROPHE.sub("", outside))]
    for index in stray_quotes[:3]:
        cleaned = APOSTROPHE.sub("", outside)
        found.append("%s: stray `'` near: ...%s..." % (name, cleaned[max(0, index - 60):index + 20]))
    for match in MARKUP.finditer(outside):
        found.append("%s: unrendered markup %s near: ...%s..." % (name, match.group(0), outside[max(0, match.start() - 40):match.end() + 40]))
    return found


def render(doc_type, names, collection):
    proc = subprocess.run(["ansible-doc", "-t", doc_type] + ["%s.%s" % (collection, name) for name in names],
                          capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    if proc.returncode != 0 or "[WARNING]" in proc.stderr or "[ERROR]" in proc.stderr:
        raise SystemExit("check-docs: ansible-doc -t %s failed:\n%s" % (doc_type, proc.stderr.strip()))
    # ansible-doc prints each plugin after a "> TYPE name (path)" header.
    parts = re.split(r"(?m)^> \S+ (\S+) .*$", proc.stdout)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection", default="coolops.coolify")
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = parser.parse_args(argv)
    by_type = {}
    for doc_type, name in plugins(args.root):
        by_type.setdefault(doc_type, []).append(name)
    found, count = [], 0
    for doc_type, names in sorted(by_type.items()):
        rendered = render(doc_type, names, args.collection)
        missing = sorted(set("%s.%s" % (args.collection, name) for name in names) - set(rendered))
        if missing:
            found.append("ansible-doc rendered nothing for %s" % ", ".join(missing))
        for full_name, text in sorted(rendered.items()):
            count += 1
            found.extend(problems(full_name, text))
    for line in found:
        print("check-docs: " + line, file=sys.stderr)
    if found:
        return 1
    print("check-docs: %d plugins rendered by ansible-doc, no broken markup" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
