# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks `make test` ends with: scripts/check-docs.py (rendered markup) and scripts/check-leaks.py (left-over
processes), on made-up input."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(ROOT, "scripts", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_docs = _load("check-docs")
check_leaks = _load("check-leaks")

RENDERED = """> MODULE coolops.coolify.example (/x/example.py)

  Does things (quietly). It's `safe' to run; see `https://x.example/a_(b)'.

OPTIONS (= indicates it is required):

- state  What to do: `started' (the default) or `stopped'.
        default: started
        sample: 'would start (currently exited'
          more sample text ) that is not prose

EXAMPLES:

- name: An example with (unbalanced parentheses
  debug: msg=')'
"""


def test_clean_rendering_passes():
    assert check_docs.problems("example", RENDERED) == []


def test_a_paren_inside_a_code_span_is_caught():
    # V(https://x/(y)) renders as `https://x/(y')` -- the span closes early and a `)` follows.
    broken = RENDERED.replace("`https://x.example/a_(b)'", "`https://x/(y')")
    found = check_docs.problems("example", broken)
    assert any("unbalanced brackets in the code span `https://x/(y'" in line for line in found), found
    assert any("stray `)`" in line for line in found), found


def test_stray_quote_unclosed_span_and_unrendered_markup_are_caught():
    assert any("not closed" in line for line in check_docs.problems("example", RENDERED.replace("`safe'", "`safe")))
    assert any("unrendered markup C(" in line for line in check_docs.problems("example", RENDERED.replace("`safe'", "C(safe")))
    assert any("stray `'`" in line for line in check_docs.problems("example", RENDERED.replace("(quietly)", "'quietly")))
    assert any("never closed" in line for line in check_docs.problems("example", RENDERED.replace("(quietly)", "(quietly")))


def test_leak_check_finds_a_marked_process_and_hides_token_values():
    run_id = "unit-%d" % os.getpid()
    env = dict(os.environ, COOLOPS_TEST_RUN=run_id)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "--token", "1|secret-value"],  # pylint: disable=consider-using-with
                            env=env)
    try:
        deadline = time.monotonic() + 5
        found = {}
        while proc.pid not in found and time.monotonic() < deadline:
            found = check_leaks.leaked(run_id, [])
            time.sleep(0.05)
        assert proc.pid in found
        shown = check_leaks.describe(found[proc.pid])
        assert "secret-value" not in shown and "--token <redacted>" in shown
        assert check_leaks.describe(["emulator", "--add-token=2|x=read"]) == "emulator --add-token=<redacted>"
    finally:
        proc.kill()
        proc.wait()
    assert proc.pid not in check_leaks.leaked(run_id, [])
