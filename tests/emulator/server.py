# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP layer: the threaded stdlib server, latency and fault injection, the request log, stats and admin endpoints."""

from __future__ import annotations

import collections
import json
import random
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .api import Api
from .http_types import Request, Response, framework_error, html_error

HEALTH_PATHS = ("/api/health", "/api/v1/health")
LOG_LIMIT = 100000
PROXY_PAGES = {
    502: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
         "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    503: "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
         "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    504: "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
         "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
}


def _iso(now):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % int((now % 1) * 1000)


def encode_json(body):
    """Laravel's default JSON flags: compact, \\uXXXX escapes and escaped slashes."""
    return json.dumps(body, separators=(",", ":")).replace("/", "\\/").encode("ascii")


class Emulator:
    """Glue between the HTTP server and the store; one instance per process."""

    def __init__(self, store, host="127.0.0.1", port=0):
        self.store = store
        self.api = Api(store)
        self.meta_lock = threading.Lock()
        self.fault_rng = random.Random(store.random_seed)
        self.log = collections.deque(maxlen=LOG_LIMIT)
        self._reset_stats()
        self.httpd = EmulatorHTTPServer((host, port), Handler)
        self.httpd.emulator = self

    @property
    def url(self):
        host, port = self.httpd.server_address[:2]
        return "http://%s:%d" % (host, port)

    def serve_forever(self):
        self.httpd.serve_forever(poll_interval=0.5)

    def start_background(self):
        thread = threading.Thread(target=self.serve_forever, name="emulator", daemon=True)
        thread.start()
        return thread

    def shutdown(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _reset_stats(self):
        self.stats = {"total": 0, "by_route": collections.Counter(), "by_status": collections.Counter(),
                      "faults": collections.Counter(), "in_flight": 0, "peak_in_flight": 0}

    # -------------------------------------------------------------------------------------------- dispatch

    def dispatch(self, handler):
        method = handler.command
        split = urlsplit(handler.path)
        path = split.path
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        try:
            if path == "/_emulator" or path.startswith("/_emulator/"):
                resp = self.admin(method, path, split.query, body)
                self.send(handler, resp, admin=True)
            elif path == "/api" or path.startswith("/api/"):
                self.api_request(handler, method, path, split.query, body)
            else:
                self.send(handler, html_error(404, "Not Found"))
        except Exception:  # pylint: disable=broad-exception-caught
            traceback.print_exc(file=sys.stderr)
            self.send(handler, Response(500, {"message": "Server Error", "emulator_error": traceback.format_exc(limit=3)}))

    def _pick_fault(self, method, path, settings):
        target = "%s %s" % (method, path)
        if any(pattern.search(target) for pattern in settings.lose_patterns):
            return "lost"
        for pattern in settings.fail_patterns:
            if pattern.search(target):
                return 500
        if settings.fault_rate > 0:
            with self.meta_lock:
                if self.fault_rng.random() < settings.fault_rate:
                    return self.fault_rng.choice((500, 502, 503, "cut"))
        return None

    def api_request(self, handler, method, path, query, body):
        req = Request(method, path, query, handler.headers, body, handler.client_address[0])
        route = self.api.route_name(method, path)
        with self.meta_lock:
            self.stats["in_flight"] += 1
            self.stats["peak_in_flight"] = max(self.stats["peak_in_flight"], self.stats["in_flight"])
        fault = None
        try:
            settings = self.store.settings
            if path not in HEALTH_PATHS:
                fault = self._pick_fault(method, path, settings)
                delay = settings.latency_ms
                if settings.jitter_ms:
                    with self.meta_lock:
                        delay += self.fault_rng.uniform(0, settings.jitter_ms)
                if delay > 0:
                    time.sleep(delay / 1000.0)
            if fault == 500:
                resp = framework_error(req, 500, "Server Error", "Server Error")
            elif fault in (502, 503):
                resp = Response(fault, PROXY_PAGES[fault], content_type="text/html")
            else:
                with self.store.lock:
                    resp = self.api.handle(req, time.time())
                if fault == "cut":
                    resp.cut = True
                elif fault == "lost":
                    # Processed in full; the proxy gave up waiting and answers for Coolify.
                    resp = Response(504, PROXY_PAGES[504], content_type="text/html")
        except Exception:  # pylint: disable=broad-exception-caught
            traceback.print_exc(file=sys.stderr)
            resp = Response(500, {"message": "Server Error", "emulator_error": traceback.format_exc(limit=3)})
        # Record before answering, so a client that got its answer always finds the request in the log.
        status = None if resp.cut else resp.status
        entry = {"time": _iso(time.time()), "method": method, "path": path,
                 "query": {key: values[-1] for key, values in parse_qs(query or "", keep_blank_values=True).items()},
                 "body": req.logged_body(), "status": status, "route": route,
                 "fault": None if fault is None else str(fault),
                 "processed": bool(getattr(req, "processed", False))}
        with self.meta_lock:
            self.stats["in_flight"] -= 1
            self.stats["total"] += 1
            self.stats["by_route"][route] += 1
            self.stats["by_status"]["cut" if status is None else str(status)] += 1
            if fault is not None:
                self.stats["faults"][str(fault)] += 1
            self.log.append(entry)
        self.send(handler, resp)

    def send(self, handler, resp, admin=False):
        if resp.cut:
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        body = resp.body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode("utf-8") if admin else encode_json(body)
        elif body is None:
            data = b""
        else:
            data = str(body).encode("utf-8")
        handler.send_response(resp.status)
        handler.send_header("Content-Type", resp.content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Cache-Control", "no-cache, private")
        for name, value in resp.headers:
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD" and data:
            handler.wfile.write(data)

    # -------------------------------------------------------------------------------------------- admin

    def admin(self, method, path, query, body):
        store = self.store
        name = path[len("/_emulator/"):] if path.startswith("/_emulator/") else ""
        try:
            payload = json.loads(body.decode("utf-8")) if body else {}
        except ValueError:
            return Response(400, {"error": "the body must be JSON"})
        if method == "GET" and name == "requests":
            with self.meta_lock:
                return Response(200, list(self.log))
        if method == "GET" and name == "state":
            with store.lock:
                now = time.time()
                store.tick(now)
                return Response(200, store.snapshot(now))
        if method == "POST" and name == "reset":
            with store.lock:
                store.reset()
                with self.meta_lock:
                    self.fault_rng = random.Random(store.random_seed)
                    self.log.clear()
                    in_flight = self.stats["in_flight"]
                    self._reset_stats()
                    self.stats["in_flight"] = in_flight
            return Response(200, {"message": "reset"})
        if method == "GET" and name == "stats":
            with self.meta_lock:
                return Response(200, {key: dict(value) if isinstance(value, collections.Counter) else value
                                      for key, value in self.stats.items()})
        if name == "config" and method in ("GET", "POST"):
            with store.lock:
                if method == "POST":
                    if not isinstance(payload, dict):
                        return Response(400, {"error": "the body must be a JSON object"})
                    store.tick(time.time())
                    try:
                        store.settings.update(payload)
                    except (ValueError, TypeError) as exc:
                        return Response(400, {"error": str(exc)})
                return Response(200, store.settings.as_dict())
        if method == "DELETE" and name.startswith("resources/"):
            uuid = name[len("resources/"):]
            with store.lock:
                kind = store.delete_resource(uuid)
            if kind is None:
                return Response(404, {"error": "no application or service with uuid %s" % uuid})
            return Response(200, {"deleted": uuid, "type": kind})
        return Response(404, {"error": "unknown admin endpoint %s %s" % (method, path)})


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    block_on_close = False
    emulator = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silence the per-request stderr line; /_emulator/requests is the log."""

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionResetError, BrokenPipeError):
            self.close_connection = True

    def _dispatch(self):
        self.server.emulator.dispatch(self)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _dispatch
