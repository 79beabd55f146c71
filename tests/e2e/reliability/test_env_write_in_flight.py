# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An env bulk PATCH whose first attempt got a proxy 504 (still processing) and whose retry got a 500 is not settled
"not_written" from a re-read made before the first attempt landed: the transport marks the error in_flight."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Coolify(object):
    def __init__(self):
        self.rows = [{"uuid": "env1", "key": "API_KEY", "value": "old", "real_value": "old", "is_literal": False,
                      "is_multiline": False, "is_shown_once": False, "is_runtime": True, "is_buildtime": True,
                      "comment": None, "is_preview": False}]
        self.patches = 0
        self.lock = threading.Lock()

    def apply(self, items):
        with self.lock:
            for item in items:
                for row in self.rows:
                    if row["key"] == item["key"]:
                        row.update(item)
                        row["real_value"] = item["value"]


def _server(state):
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

        def do_PATCH(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.patches += 1
            if state.patches == 1:
                # the proxy gives up (504) while Coolify still processes the first PATCH: it lands 1.5 s later
                threading.Timer(1.5, state.apply, args=(body["data"],)).start()
                self._send(504, "<html>Gateway Timeout</html>", "text/html")
            else:
                self._send(500, {"message": "Server Error"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_504_then_500_is_not_settled_not_written_from_a_stale_reread():
    from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
    from ansible_collections.coolops.coolify.plugins.module_utils._env_apply import client_store, write_plan
    from ansible_collections.coolops.coolify.plugins.module_utils._env_input import DEFAULT_FLAGS
    from ansible_collections.coolops.coolify.plugins.module_utils._env_plan import ResourcePlan, index_rows, row_body

    state = _Coolify()
    server = _server(state)
    try:
        client = CoolifyClient("http://127.0.0.1:%d" % server.server_address[1], "1|testtoken1234", max_retries=1)
        plan = ResourcePlan({"uuid": "s1", "name": "svc"}, "service")
        plan.rows = index_rows("service", json.loads(json.dumps(state.rows)))
        plan.items = [row_body("service", "API_KEY", False, "new", DEFAULT_FLAGS, None)]
        plan.updated = [("API_KEY", False)]
        outcome = write_plan(client_store(client, "service"), plan)
        time.sleep(2.0)
        landed = state.rows[0]["value"] == "new"
    finally:
        server.shutdown()
    assert state.patches == 2 and landed  # the first attempt did land, after the re-read
    # A write that may still land must never be settled "not_written" (then it is neither restarted nor rolled back).
    assert outcome["settled"] != "not_written", outcome
