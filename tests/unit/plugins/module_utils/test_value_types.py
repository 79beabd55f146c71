# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ParsedStatus and the retry Case are namedtuples: two parses of one status compare equal whatever the raw text's case
or spaces (the raw text is not a field), and a Case equals only itself, never a tuple of the same values."""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.module_utils import _retry
from ansible_collections.coolops.coolify.plugins.module_utils._status import parse_status


def test_parsed_status_equality_ignores_the_raw_text():
    # Coolify answers "running:healthy"; a filter or an older record may hold " Running:Healthy ".
    first, second = parse_status("running:healthy"), parse_status(" Running:Healthy ")
    assert (first.state, first.health, first.excluded) == (second.state, second.health, second.excluded)
    assert first == second
    assert len({first, second}) == 1  # dedup in a set / dict key, as hash() promised at 602a8f1


def test_retry_case_equals_only_itself():
    # IN_FLIGHT membership decides whether an error is flagged in_flight (a write that may still land): at 602a8f1 only
    # the module's own Case objects were in it, not any tuple holding the same four values.
    lookalike = (_retry.LOST_ANSWER.name, _retry.LOST_ANSWER.idempotent, _retry.LOST_ANSWER.action,
                 _retry.LOST_ANSWER.reason)
    assert lookalike not in _retry.IN_FLIGHT
    assert _retry.LOST_ANSWER != lookalike
