# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny reverse proxy in front of the emulator: TLS termination and the faults the network path produces.

The emulator answers like Coolify. What sits in front of Coolify in production (nginx, Traefik, Cloudflare) and the
network add failures of their own, aimed here at one exact request: an HTML error page instead of JSON, a body mangled
on the way, a connection reset before or after the request reached Coolify, an answer that comes too late, and a
certificate the client may not trust. Standard library only; every request it sees is logged (`log`), including
the ones it answered itself, so a test can count attempts per path.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import struct
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
            b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
HTML_504 = (b"<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1>"
            b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
HTML_LOGIN = (b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method=\"post\" action=\"/login\">"
              b"<input name=\"email\"><input name=\"password\" type=\"password\"></form></body></html>")
JSON_503 = b'{"message":"Service Unavailable"}'
JSON_429 = b'{"message":"Too Many Attempts."}'
MANGLED_PREFIX = b'{"message": "Deployment request queued.", "deployment_uuid": '

# Fault kinds and what they do:
#   answer        answer `status` with `body`/`content_type`/`headers` without reaching the emulator
#   reset_before  reset the connection (RST) without reaching the emulator
#   reset_after   forward to the emulator, then reset the connection instead of answering
#   delay_after   forward to the emulator, then wait `seconds` before answering (a client read timeout)
#   bad_json      forward to the emulator, then answer its status with a JSON content type and a truncated body
#   hook          call `hook(method, path)` first, then forward (e.g. delete a resource mid-batch)
KINDS = ("answer", "reset_before", "reset_after", "delay_after", "bad_json", "hook")

HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
               "content-length", "host"}


class Rule(object):
    """Apply `kind` to requests whose method and path (no query string) match; `times` None means every time."""

    def __init__(self, kind, path, method=None, times=None, **options):
        if kind not in KINDS:
            raise ValueError("unknown fault kind %r" % kind)
        self.kind = kind
        self.path = re.compile(path)
        self.method = method.upper() if method else None
        self.times = times
        self.options = options

    def matches(self, method, path):
        if self.times is not None and self.times <= 0:
            return False
        if self.method and self.method != method:
            return False
        return self.path.search(path) is not None


class FaultProxy(object):
    """Forward every request to `upstream` (a base URL such as http://127.0.0.1:8123); optionally serve TLS."""

    def __init__(self, upstream, certfile=None, keyfile=None):
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port
        self.certfile = certfile
        self.keyfile = keyfile
        self.rules = []
        self.log = []
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    # -- control ---------------------------------------------------------------------------------------------------

    def add_rule(self, kind, path, method=None, times=None, **options):
        with self.lock:
            self.rules.append(Rule(kind, path, method=method, times=times, **options))

    def clear(self):
        with self.lock:
            self.rules = []
            self.log = []

    def attempts(self, method, path_regex):
        """Requests the proxy saw for this method and path (answered by itself or forwarded)."""
        pattern = re.compile(path_regex)
        with self.lock:
            return [entry for entry in self.log if entry["method"] == method and pattern.search(entry["path"])]

    def _pick(self, method, path):
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
            return None

    def _record(self, method, path, kind, status):
        with self.lock:
            self.log.append({"method": method, "path": path, "injected": kind, "status": status})

    @property
    def base_url(self):
        scheme = "https" if self.certfile else "http"
        return "%s://127.0.0.1:%d" % (scheme, self.server.server_address[1])

    @property
    def api_url(self):
        return self.base_url + "/api/v1"

    def _forward(self, handler, body):
        headers = {name: value for name, value in handler.headers.items() if name.lower() not in HOP_HEADERS}
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
        try:
            conn.request(handler.command, handler.path, body=body, headers=headers)
            upstream = conn.getresponse()
            data = upstream.read()
            out_headers = [(name, value) for name, value in upstream.getheaders()
                           if name.lower() not in HOP_HEADERS and name.lower() != "content-type"]
            return upstream.status, upstream.getheader("Content-Type", "application/json"), out_headers, data
        finally:
            conn.close()

    def start(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                return

            def _answer(self, status, body, content_type, headers=None):
                self.send_response(status)
                for name, value in headers or []:
                    self.send_header(name, value)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _reset(self):
                self.close_connection = True
                try:
                    self.wfile.flush()
                except OSError:
                    pass
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
                try:
                    self.connection.close()
                except OSError:
                    pass

            def _handle(self):
                # pylint: disable=protected-access
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path_only = self.path.split("?", 1)[0]
                rule = proxy._pick(self.command, path_only)
                kind = rule.kind if rule else None
                options = rule.options if rule else {}
                if kind == "answer":
                    status = options.get("status", 502)
                    proxy._record(self.command, path_only, kind, status)
                    self._answer(status, options.get("body", HTML_502), options.get("content_type", "text/html"),
                                 options.get("headers"))
                    return
                if kind == "reset_before":
                    proxy._record(self.command, path_only, kind, None)
                    self._reset()
                    return
                if kind == "hook":
                    options["hook"](self.command, path_only)
                status, content_type, headers, data = proxy._forward(self, body)
                if kind == "reset_after":
                    proxy._record(self.command, path_only, kind, None)
                    self._reset()
                    return
                if kind == "delay_after":
                    time.sleep(options.get("seconds", 3.0))
                if kind == "bad_json":
                    data = MANGLED_PREFIX + data[:7]
                    content_type = "application/json"
                proxy._record(self.command, path_only, kind, status)
                try:
                    self._answer(status, data, content_type, headers)
                except OSError:
                    self.close_connection = True

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.certfile:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.certfile, self.keyfile)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="fault-proxy",
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
