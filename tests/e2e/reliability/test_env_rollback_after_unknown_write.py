# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rollback after an env write whose answer was a proxy 504 (Coolify still processing) does not report the resource
restored from one re-read: the write may land afterwards."""

from __future__ import annotations

import time

from ansible_collections.coolops.coolify.tests.e2e.loopback import land, serve_env_rows, update_plan

HTML_504 = "<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>"


def _answer(server, method, body):
    if len(server.writes) == 1:
        # nginx gives up after its timeout, PHP-FPM carries on: the write lands 2 s later
        land(server, body["data"], delay=2.0)
        return 504, HTML_504, "text/html"
    land(server, body["data"])
    return 200, [], "application/json"


def test_a_rollback_does_not_claim_restored_while_the_504_write_can_still_land():
    from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
    from ansible_collections.coolops.coolify.plugins.module_utils._env_apply import client_store, restore_plans, write_plan

    with serve_env_rows(_answer) as server:
        client = CoolifyClient(server.url, "1|testtoken1234", max_retries=0)
        store = client_store(client, "service")
        plan = update_plan(server.rows)
        outcome = write_plan(store, plan)
        assert outcome["settled"] == "unknown"  # correct so far
        reports = restore_plans(store, [plan], sleep=lambda s: None)
        time.sleep(2.5)
        final = server.rows[0]["value"]
    patches = [body for method, _path, body in server.writes]
    assert final == "new"  # the write landed after the rollback and stays
    # _env._rollback marks an entry rolled_back (changed false) when not_restored is empty.
    assert reports["s1"]["not_restored"] == [("API_KEY", "unknown")], (
        "rollback reported %r, yet API_KEY ends up %r" % (reports["s1"]["not_restored"], final))
    # The re-read showed the snapshot, yet the restore rewrote it (idempotent): the re-read proves nothing.
    assert len(patches) == 2 and patches[1]["data"][0]["value"] == "old"
