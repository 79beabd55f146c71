# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An env bulk PATCH whose first attempt got a proxy 504 (still processing) and whose retry got a 500 is not settled
"not_written" from a re-read made before the first attempt landed: the transport marks the error in_flight."""

from __future__ import annotations

import time

from ansible_collections.coolops.coolify.tests.e2e.loopback import land, serve_env_rows, update_plan


def _answer(server, method, body):
    if len(server.writes) == 1:
        # the proxy gives up (504) while Coolify still processes the first PATCH: it lands 1.5 s later
        land(server, body["data"], delay=1.5)
        return 504, "<html>Gateway Timeout</html>", "text/html"
    return 500, {"message": "Server Error"}, "application/json"


def test_a_504_then_500_is_not_settled_not_written_from_a_stale_reread():
    from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
    from ansible_collections.coolops.coolify.plugins.module_utils._env_apply import client_store, write_plan

    with serve_env_rows(_answer) as server:
        client = CoolifyClient(server.url, "1|testtoken1234", max_retries=1)
        outcome = write_plan(client_store(client, "service"), update_plan(server.rows))
        time.sleep(2.0)
        landed = server.rows[0]["value"] == "new"
    assert len(server.writes) == 2 and landed  # the first attempt did land, after the re-read
    # A write that may still land must never be settled "not_written" (then it is neither restarted nor rolled back).
    assert outcome["settled"] != "not_written", outcome
