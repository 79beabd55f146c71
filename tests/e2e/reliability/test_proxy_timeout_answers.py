# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A proxy timeout status outside 502/503/504 (Cloudflare's 524 "A timeout occurred": the origin accepted the
request and is still processing it) is no final answer: an action's outcome is unknown (never resent, never a failure
that invites a re-run), and an env write is not settled "not_written" from a re-read made before it landed."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

CF_524 = "<!DOCTYPE html><html><head><title>example.com | 524: A timeout occurred</title></head><body>Cloudflare</body></html>"


class _Origin(object):
    def __init__(self):
        self.rows = [{"uuid": "env1", "key": "API_KEY", "value": "old", "real_value": "old", "is_literal": False,
                      "is_multiline": False, "is_shown_once": False, "is_runtime": True, "is_buildtime": True,
                      "comment": None, "is_preview": False}]
        self.writes = []
        self.lock = threading.Lock()

    def apply(self, items):
        with self.lock:
            for item in items:
                for row in self.rows:
                    if row["key"] == item["key"]:
                        row.update(item)


@pytest.fixture
def origin():
    state = _Origin()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, body, ctype="application/json"):
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            with state.lock:
                self._send(200, list(state.rows))

        def do_POST(self):
            state.writes.append(("POST", self.path))  # the restart is accepted by Coolify; the edge times out
            self._send(524, CF_524, "text/html; charset=UTF-8")

        def do_PATCH(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.writes.append(("PATCH", self.path))
            threading.Timer(1.0, state.apply, args=(body["data"],)).start()  # lands after the edge gave up
            self._send(524, CF_524, "text/html; charset=UTF-8")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = "http://127.0.0.1:%d" % server.server_address[1]
    yield state
    server.shutdown()


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
    from ansible_collections.coolops.coolify.plugins.module_utils._env_input import DEFAULT_FLAGS
    from ansible_collections.coolops.coolify.plugins.module_utils._env_plan import ResourcePlan, index_rows, row_body

    client = CoolifyClient(origin.url, "1|testtoken1234", max_retries=0)
    plan = ResourcePlan({"uuid": "s1", "name": "svc"}, "service")
    plan.rows = index_rows("service", json.loads(json.dumps(origin.rows)))
    plan.items = [row_body("service", "API_KEY", False, "new", DEFAULT_FLAGS, None)]
    plan.updated = [("API_KEY", False)]
    outcome = write_plan(client_store(client, "service"), plan)
    time.sleep(1.5)
    assert origin.rows[0]["value"] == "new"  # it landed
    assert outcome["settled"] != "not_written", outcome
