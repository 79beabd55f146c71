# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A proxy timeout status outside 502/503/504 (Cloudflare's 524 "A timeout occurred": the origin accepted the
request and is still processing it) is no final answer: an action's outcome is unknown (never resent, never a failure
that invites a re-run), and an env write is not settled "not_written" from a re-read made before it landed."""

from __future__ import annotations

import time

import pytest

from ansible_collections.coolops.coolify.tests.e2e.loopback import land, serve_env_rows, update_plan

CF_524 = "<!DOCTYPE html><html><head><title>example.com | 524: A timeout occurred</title></head><body>Cloudflare</body></html>"


def _answer(server, method, body):
    if method == "PATCH":
        land(server, body["data"], delay=1.0)  # lands after the edge gave up
    # a restart (POST) is accepted by Coolify; the edge times out
    return 524, CF_524, "text/html; charset=UTF-8"


@pytest.fixture
def origin():
    with serve_env_rows(_answer) as server:
        yield server


def test_an_action_answered_524_is_an_unknown_outcome(origin):
    from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
    from ansible_collections.coolops.coolify.plugins.module_utils._errors import OutcomeUnknownError

    client = CoolifyClient(origin.url, "1|testtoken1234")
    with pytest.raises(Exception) as info:
        client.resource_action("application", "app1", "restart")
    assert len(origin.writes) == 1
    # _lifecycle._work fails the item with changed false on any CoolifyError other than OutcomeUnknownError.
    assert isinstance(info.value, OutcomeUnknownError), repr(info.value)


def test_an_env_write_answered_524_is_not_settled_not_written(origin):
    from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
    from ansible_collections.coolops.coolify.plugins.module_utils._env_apply import client_store, write_plan

    client = CoolifyClient(origin.url, "1|testtoken1234", max_retries=0)
    outcome = write_plan(client_store(client, "service"), update_plan(origin.rows))
    time.sleep(1.5)
    assert origin.rows[0]["value"] == "new"  # it landed
    assert outcome["settled"] != "not_written", outcome
