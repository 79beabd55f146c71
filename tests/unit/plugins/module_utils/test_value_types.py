# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Review of the cover branch (602a8f1..cd8bc8b): ParsedStatus and the retry Case became namedtuples.

A namedtuple is not a field-less record: it brings its own __eq__/__hash__ (every field, raw text included) and equals
any plain tuple of the same values. At 602a8f1 two parses of one status compared equal whatever the raw text's case or
spaces, and a Case equalled only itself. These tests pin that behaviour; they fail at cd8bc8b.
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils import _retry
from ansible_collections.coolops.coolify.plugins.module_utils._status import parse_status


def test_parsed_status_equality_ignores_the_raw_text():
    # Coolify answers "running:healthy"; a filter or an older record may hold " Running:Healthy ".
    first, second = parse_status("running:healthy"), parse_status(" Running:Healthy ")
    assert (first.state, first.health, first.excluded) == (second.state, second.health, second.excluded)
    assert first == second
    assert len({first, second}) == 1  # dedup in a set / dict key, as hash() promised at 602a8f1


def test_parsed_status_is_not_equal_to_a_plain_tuple():
    parsed = parse_status("exited")
    assert parsed != ("exited", "exited", None, False)
    assert ("exited", "exited", None, False) not in [parsed]


def test_retry_case_equals_only_itself():
    # IN_FLIGHT membership decides whether an error is flagged in_flight (a write that may still land): at 602a8f1 only
    # the module's own Case objects were in it, not any tuple holding the same four values.
    lookalike = (_retry.LOST_ANSWER.name, _retry.LOST_ANSWER.idempotent, _retry.LOST_ANSWER.action,
                 _retry.LOST_ANSWER.reason)
    assert lookalike not in _retry.IN_FLIGHT
    assert _retry.LOST_ANSWER != lookalike
