# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny real HTTP server for unit tests, for answers the emulator does not give (scripted pages, quoted input)."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ANSWER = (200, "application/json", b"[]", {})


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
        status, ctype, body, extra = answer
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

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
