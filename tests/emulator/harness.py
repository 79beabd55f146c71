# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop an emulator subprocess from tests and scripts (stdlib only; importable as a plain file too)."""

from __future__ import annotations

import atexit
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request

DEFAULT_TOKEN = "1|coolops-emulator-root-token"
EMULATOR_DIR = os.path.dirname(os.path.abspath(__file__))
LISTENING = "listening on "
_RUNNING = set()  # emulators started and not yet stopped; stopped at interpreter exit at the latest


def stop_all():
    """Stop every emulator this process started and has not stopped yet."""
    for emu in list(_RUNNING):
        emu.stop()


atexit.register(stop_all)


class EmulatorError(RuntimeError):
    """The emulator did not start, or an admin call failed."""


def _signal_group(proc, signum):
    """Send `signum` to the process group of `proc` (its own session), or to `proc` alone if that fails."""
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            pass


class EmulatorProcess:
    """One emulator process on a free loopback port.

    Usage: `with EmulatorProcess(args=("--seed-apps", "5")) as emu: requests.get(emu.api_url + "/version", ...)`.
    """

    def __init__(self, args=(), token=DEFAULT_TOKEN, python=sys.executable, startup_timeout=10):
        self.args = [str(arg) for arg in args]
        self.token = token
        self.python = python
        self.startup_timeout = startup_timeout
        self.base_url = None
        self.api_url = None
        self.proc = None
        self._stderr = None

    @property
    def command(self):
        # --parent-pid: the emulator exits by itself when this process dies without stopping it (a killed or
        # forked test worker), so no test run leaves an emulator behind.
        return [self.python, EMULATOR_DIR, "--port", "0", "--token", self.token,
                "--parent-pid", str(os.getpid())] + self.args

    def start(self):
        if self.proc is not None:
            return self
        self._stderr = tempfile.TemporaryFile()
        env = dict(os.environ)
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        # Its own process group, so stop() ends it with anything it may have started.
        self.proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=self._stderr,  # pylint: disable=consider-using-with
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        _RUNNING.add(self)
        lines = queue.Queue()

        def pump():
            for raw in iter(self.proc.stdout.readline, b""):
                lines.put(raw.decode("utf-8", "replace"))
            lines.put(None)

        threading.Thread(target=pump, name="emulator-stdout", daemon=True).start()
        try:
            line = lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            line = None
        if not line or not line.startswith(LISTENING):
            detail = self._read_stderr()
            self.stop()
            raise EmulatorError("the emulator did not start (%s): %s" % (" ".join(self.command), (line or "") + detail))
        self.base_url = line[len(LISTENING):].strip()
        self.api_url = self.base_url + "/api/v1"
        return self

    def _read_stderr(self):
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    @property
    def stderr(self):
        """What the emulator wrote to stderr so far (tracebacks of emulator bugs end up here)."""
        return self._read_stderr()

    def stop(self):
        proc, self.proc = self.proc, None
        _RUNNING.discard(self)
        if proc is not None:
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    proc.wait(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -------------------------------------------------------------------------------------------- admin API

    def _admin(self, method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(self.base_url + "/_emulator/" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # nosec - loopback admin endpoint
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise EmulatorError("%s /_emulator/%s: %s %s" % (method, path, exc.code, exc.read().decode("utf-8", "replace"))) from exc

    def requests_log(self):
        """Every API request so far: time, method, path, query, body, status, route, fault."""
        return self._admin("GET", "requests")

    def state(self):
        return self._admin("GET", "state")

    def reset(self):
        """Restore the seed and the command-line settings; clears the request log and stats."""
        return self._admin("POST", "reset")

    def stats(self):
        return self._admin("GET", "stats")

    def configure(self, **settings):
        """Change settings at run time, e.g. configure(latency_ms=50, deploy_outcomes={uuid: "failed"})."""
        return self._admin("POST", "config", settings)

    def delete_resource(self, uuid):
        """Remove an application or service, as if someone deleted it in the UI."""
        return self._admin("DELETE", "resources/" + uuid)

    # -------------------------------------------------------------------------------------------- convenience

    def request(self, method, path, token=None, json_body=None, headers=None, params=None):
        """Call the API with urllib; returns (status, headers, parsed JSON or text). Paths are relative to /api/v1."""
        url = self.api_url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        all_headers = {"Accept": "application/json", "Authorization": "Bearer " + (token or self.token)}
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # nosec - loopback emulator
                status, resp_headers, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            status, resp_headers, raw = exc.code, dict(exc.headers), exc.read()
        text = raw.decode("utf-8", "replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        return status, resp_headers, body
