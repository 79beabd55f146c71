# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny real HTTP server for unit tests, for answers the emulator does not give (scripted pages, quoted input)."""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ANSWER = (200, "application/json", b"[]", {})


def reply(handler, status, ctype, body, headers=None):
    """Answer the request ``handler`` serves: ``body`` (bytes) with its length and ``headers``."""
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class ScriptedHandler(BaseHTTPRequestHandler):
    """Answers from ``server.script``: {path: (status, content type, body, headers)} for every request to that path, or
    a list of such answers used one per request (then DEFAULT_ANSWER); logs each request in ``server.seen``."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self):
        path = self.path.split("?")[0]
        with self.server.lock:
            self.server.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items())})
            answer = self.server.script.get(path, DEFAULT_ANSWER)
            if isinstance(answer, list):
                answer = answer.pop(0) if answer else DEFAULT_ANSWER
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        reply(self, *answer)

    do_GET = do_POST = do_PATCH = do_DELETE = _reply


@contextlib.contextmanager
def serve(handler, **attributes):
    """Serve ``handler`` on a free loopback port in a daemon thread; yields the server with ``url`` and ``attributes``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    for name, value in attributes.items():
        setattr(server, name, value)
    server.url = "http://127.0.0.1:%d" % server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def env_row(key="API_KEY", value="old"):
    """One service env row as Coolify lists it."""
    return {"uuid": "env-" + key.lower(), "key": key, "value": value, "real_value": value, "is_literal": False,
            "is_multiline": False, "is_shown_once": False, "is_runtime": True, "is_buildtime": True, "comment": None,
            "is_preview": False}


class EnvRowsHandler(BaseHTTPRequestHandler):
    """A resource's env rows behind an edge (a proxy, Cloudflare): GET answers ``server.rows``; a POST or PATCH is logged
    in ``server.writes`` as (method, path, JSON body or None) and answered by ``server.answer(server, method, body)``,
    which returns (status, body, content type) and may make the write land now or later with ``land``."""

    def log_message(self, *args):
        pass

    def _send(self, status, body, ctype="application/json"):
        reply(self, status, ctype, body.encode() if isinstance(body, str) else json.dumps(body).encode())

    def do_GET(self):
        with self.server.lock:
            rows = [dict(row) for row in self.server.rows]
        self._send(200, rows)

    def _write(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        with self.server.lock:
            self.server.writes.append((self.command, self.path, body))
        self._send(*self.server.answer(self.server, self.command, body))

    do_POST = do_PATCH = _write


def land(server, items, delay=0):
    """Apply ``items`` (env row bodies) to ``server.rows``, after ``delay`` seconds when Coolify is still processing."""
    def apply():
        with server.lock:
            for item in items:
                for row in server.rows:
                    if row["key"] == item["key"]:
                        row.update(item)
                        row["real_value"] = item.get("value")

    if delay:
        threading.Timer(delay, apply).start()
    else:
        apply()


def serve_env_rows(answer, rows=None):
    """``serve`` an EnvRowsHandler over ``rows`` (one API_KEY row by default) that answers writes with ``answer``."""
    return serve(EnvRowsHandler, rows=rows if rows is not None else [env_row()], writes=[], answer=answer)


def update_plan(rows, key="API_KEY", value="new"):
    """The env plan that updates ``key`` of service s1 (whose rows are ``rows``) to ``value``."""
    from ansible_collections.coolops.coolify.plugins.module_utils._env_input import DEFAULT_FLAGS
    from ansible_collections.coolops.coolify.plugins.module_utils._env_plan import ResourcePlan, index_rows, row_body

    plan = ResourcePlan({"uuid": "s1", "name": "svc"}, "service")
    plan.rows = index_rows("service", json.loads(json.dumps(rows)))
    plan.items = [row_body("service", key, False, value, DEFAULT_FLAGS, None)]
    plan.updated = [(key, False)]
    return plan
