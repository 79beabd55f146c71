# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rollback after an env write whose answer was a proxy 504 (Coolify still processing) does not report the resource
restored from one re-read: the write may land afterwards."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML_504 = "<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>"


def test_a_rollback_does_not_claim_restored_while_the_504_write_can_still_land():
    from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
    from ansible_collections.coolops.coolify.plugins.module_utils._env_apply import client_store, restore_plans, write_plan
    from ansible_collections.coolops.coolify.plugins.module_utils._env_input import DEFAULT_FLAGS
    from ansible_collections.coolops.coolify.plugins.module_utils._env_plan import ResourcePlan, index_rows, row_body

    rows = [{"uuid": "env1", "key": "API_KEY", "value": "old", "real_value": "old", "is_literal": False,
             "is_multiline": False, "is_shown_once": False, "is_runtime": True, "is_buildtime": True, "comment": None,
             "is_preview": False}]
    lock = threading.Lock()
    patches = []

    def land(items):
        with lock:
            for item in items:
                rows[0].update(item)

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
            with lock:
                self._send(200, [dict(row) for row in rows])

        def do_PATCH(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            patches.append(body)
            if len(patches) == 1:
                # nginx gives up after its timeout, PHP-FPM carries on: the write lands 2 s later
                threading.Timer(2.0, land, args=(body["data"],)).start()
                self._send(504, HTML_504, "text/html")
            else:
                land(body["data"])
                self._send(200, [])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = CoolifyClient("http://127.0.0.1:%d" % server.server_address[1], "1|testtoken1234", max_retries=0)
        store = client_store(client, "service")
        plan = ResourcePlan({"uuid": "s1", "name": "svc"}, "service")
        plan.rows = index_rows("service", json.loads(json.dumps(rows)))
        plan.items = [row_body("service", "API_KEY", False, "new", DEFAULT_FLAGS, None)]
        plan.updated = [("API_KEY", False)]
        outcome = write_plan(store, plan)
        assert outcome["settled"] == "unknown"  # correct so far
        reports = restore_plans(store, [plan], sleep=lambda s: None)
        time.sleep(2.5)
        final = rows[0]["value"]
    finally:
        server.shutdown()
    assert final == "new"  # the write landed after the rollback and stays
    # _env._rollback marks an entry rolled_back (changed false) when not_restored is empty.
    assert reports["s1"]["not_restored"] == [("API_KEY", "unknown")], (
        "rollback reported %r, yet API_KEY ends up %r" % (reports["s1"]["not_restored"], final))
    # The re-read showed the snapshot, yet the restore rewrote it (idempotent): the re-read proves nothing.
    assert len(patches) == 2 and patches[1]["data"][0]["value"] == "old"
