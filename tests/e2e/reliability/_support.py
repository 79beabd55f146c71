# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared constants and helpers of the reliability matrix (imported as a plain module: pytest puts this directory on
sys.path, and the collection's import path only exists once pytest-ansible has injected it, after conftest loading).

The seed world carries marker values (the token and env values): a marker found in any output is a leaked secret.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

# Unique per test session, so a hit in any output can only come from this run.
MARK = "rlm%s" % secrets.token_hex(6)
ROOT_TOKEN = "7|%stok%s" % (MARK, secrets.token_hex(12))
READ_TOKEN = "8|%sread%s" % (MARK, secrets.token_hex(12))          # read + read:sensitive: no deploy, no write
NO_WRITE_TOKEN = "9|%snowrite%s" % (MARK, secrets.token_hex(10))   # read + read:sensitive + deploy: no write
APP_SECRET = "%s-app-secret-value" % MARK
SERVICE_SECRET = "%s-service-secret-value" % MARK
NEW_SECRET = "%s-rotated-secret-value" % MARK

APP_NAMES = ["app-%d" % index for index in range(1, 7)]
SERVICE_NAMES = ["svc-%d" % index for index in range(1, 4)]
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
# Queued jobs wait 0.3 s, as Coolify's workers make them wait; a status change takes 0.3 s to show (a service restart
# is then not `running` for 0.45 s, several polls at FAST's poll_interval).
EMULATOR_FLAGS = ("--random-seed", "11", "--deploy-seconds", "0.2", "--status-lag-seconds", "0.3", "--job-delay-seconds", "0.3")

# Module arguments that keep the matrix fast: small back-off budget, quick polls.
FAST = {"max_retries": 2, "timeout": 5, "poll_interval": 0.1, "wait_timeout": 20, "max_workers": 4}


def world():
    """The seed: six apps and three services on edge-01, two apps named `twin`, marker secrets in env values."""
    apps = []
    for name in APP_NAMES:
        apps.append({"name": name, "project": "shop", "environment": "production", "server": "edge-01",
                     "status": "running:healthy", "tags": ["rel"],
                     "envs": [{"key": "API_KEY", "value": APP_SECRET}, {"key": "LOG_LEVEL", "value": "info"}]})
    for environment in ("production", "staging"):
        apps.append({"name": "twin", "project": "shop", "environment": environment, "server": "edge-02",
                     "status": "exited", "tags": ["twins"]})
    services = []
    for name in SERVICE_NAMES:
        services.append({"name": name, "project": "shop", "environment": "production", "server": "edge-01",
                         "status": "running:healthy", "applications": [{"name": "web", "image": "nginx:1.27"}],
                         "envs": [{"key": "SMTP_PASSWORD", "value": SERVICE_SECRET}, {"key": "TZ", "value": "UTC"}]})
    return {
        "teams": [{"id": 0, "name": "Root Team"}],
        "tokens": [
            {"token": ROOT_TOKEN, "abilities": ["root"], "user": 1},
            {"token": READ_TOKEN, "abilities": ["read", "read:sensitive"], "user": 2},
            {"token": NO_WRITE_TOKEN, "abilities": ["read", "read:sensitive", "deploy"], "user": 3},
        ],
        "servers": [{"name": "edge-01", "ip": "10.1.0.1"}, {"name": "edge-02", "ip": "10.1.0.2"}],
        "projects": [{"name": "shop", "environments": ["production", "staging"]}],
        "applications": apps,
        "services": services,
    }


# ---------------------------------------------------------------------------------------------------------------------
# Reading what really happened
# ---------------------------------------------------------------------------------------------------------------------


def connection(api_url, token=ROOT_TOKEN, **extra):
    """Module arguments for `api_url` with the fast defaults, plus `extra`."""
    args = {"api_url": api_url, "api_token": token}
    args.update(FAST)
    args.update(extra)
    return args


def api_log(emu):
    return [entry for entry in emu.requests_log() if entry["path"].startswith("/api/")]


def writes(log):
    return [entry for entry in log if entry["method"] in WRITE_METHODS]


def count(log, method, path_regex, status=None):
    pattern = re.compile(path_regex)
    return len([entry for entry in log if entry["method"] == method and pattern.search(entry["path"])
                and (status is None or entry["status"] == status)])


def processed(log, method, path_regex):
    """Requests that Coolify processed and accepted, whatever reached the client (an answer lost or cut on the way)."""
    pattern = re.compile(path_regex)
    return sum(1 for entry in log if entry["method"] == method and pattern.search(entry["path"]) and entry.get("processed")
               and (entry["status"] is None or entry["status"] < 400 or entry.get("fault") == "lost"))


def by_name(state, table):
    return {row["name"]: row for row in state[table]}


def uuids_of(state, table, names):
    rows = by_name(state, table)
    return [rows[name]["uuid"] for name in names]


def entry_named(result, key, name):
    """The entry for one resource name in a module result's per-item list (result[key])."""
    return [entry for entry in result[key] if entry["name"] == name][0]


def api_path(table, uuid, *tail):
    """An anchored request-log regex for /api/v1/<table>/<uuid>/<tail>."""
    return r"^/api/v1/%s/%s/%s$" % (table, re.escape(uuid), "/".join(tail))


class LifecycleFaults(object):
    """The set-up the lifecycle fault suites share: a restart of ``names`` of one ``table`` (applications, services),
    with the faults aimed at ``target_name``."""

    def __init__(self, table, names, target_name, finished):
        self.table = table
        self.names = names
        self.target_name = target_name
        self.finished = finished  # finished(entry): an entry the faults left alone ended as it should

    def restart_args(self, api_url, **extra):
        args = connection(api_url, names=self.names, state="restarted")
        args.update(extra)
        return args

    def item(self, result, name):
        return entry_named(result, self.table, name)

    def action_path(self, uuid, action="restart"):
        return api_path(self.table, uuid, action)

    def target_fixture(self):
        """A ``target`` fixture: the uuid the faults are aimed at."""
        def target(emu):
            return uuids_of(emu.state(), self.table, [self.target_name])[0]
        return pytest.fixture(name="target")(target)

    def assert_others_fine(self, result, broken=None):
        """Every entry but ``broken`` (the target) changed without failing, and ``finished(entry)`` holds for it."""
        broken = (self.target_name,) if broken is None else broken
        for entry in result[self.table]:
            if entry["name"] not in broken:
                assert not entry["failed"] and entry["changed"], entry
                assert self.finished(entry), entry


def assert_no_secret(*blobs):
    """No marker (token, env values) in anything the module returned, warned or raised."""
    for blob in blobs:
        text = blob if isinstance(blob, str) else json.dumps(blob, default=str)
        assert MARK not in text, "a secret marker leaked: ...%s..." % text[max(0, text.find(MARK) - 80):text.find(MARK) + 80]


def assert_one_sentence(msg):
    """A short, single-line message: no traceback, no multi-line dump."""
    assert isinstance(msg, str) and msg.strip(), "empty message"
    assert "\n" not in msg.strip(), "multi-line message: %r" % msg
    assert "Traceback" not in msg, msg
    assert len(msg) <= 600, "message too long (%d characters): %r" % (len(msg), msg)


def assert_refused(result, emu, *needles, **kwargs):
    """Failed, one sentence naming what is wrong, nothing written (``no_calls=True``: no API call at all), no secret."""
    assert result["failed"], result
    assert not result.get("changed")
    assert_one_sentence(result["msg"])
    for needle in needles:
        assert needle in result["msg"], "%r not in %r" % (needle, result["msg"])
    if emu is not None:
        assert not writes(api_log(emu)), writes(api_log(emu))
        if kwargs.get("no_calls"):
            assert not api_log(emu), "no API call may be made before the options are checked: %s" % api_log(emu)
    assert_no_secret(result)


def venv_python():
    """The interpreter ansible-playbook should use for modules (this one, with requests installed)."""
    return os.environ.get("ANSIBLE_PYTHON_INTERPRETER") or sys.executable


def load_harness():
    """tests/emulator/harness.py, loaded once by path (it is stdlib-only)."""
    name = "coolops_reliability_emulator_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "tests", "emulator", "harness.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# ---------------------------------------------------------------------------------------------------------------------
# Invariant (b): every item's reported state equals what really happened
# ---------------------------------------------------------------------------------------------------------------------

UNSURE_WORDS = ("unknown", "may or may not", "not valid json")


def admits_uncertainty(error):
    text = (error or "").lower()
    return any(word in text for word in UNSURE_WORDS)


def check_lifecycle_items(kind, result, emu, expect_items=None, since=0):
    """Compare each reported item with /_emulator/state and the request log; returns (state, log) for more checks.

    Only the request log from entry ``since`` on is read.

    * an item that succeeded and changed was accepted exactly once (one 2xx action), never twice; for applications
      the deployment it names exists with the deployment status it reports;
    * an item that succeeded reports the status the emulator really has;
    * a failed item carries an error; a status it reports is the real one; and when the action did take effect (a
      deployment exists, or the emulator accepted it) its error says the outcome is unknown instead of claiming
      a plain failure... or a success.
    """
    state = emu.state()
    log = api_log(emu)[since:]  # `since`: the log entries of the test's own set-up come first
    table = "applications" if kind == "application" else "services"
    rows = {row["uuid"]: row for row in state[table]}
    items = result.get(table) or []
    if expect_items is not None:
        assert len(items) == expect_items, result.get("msg")
    for item in items:
        uuid = item["uuid"]
        accepted = processed(log, "POST", r"/%s/%s/(start|stop|restart)$" % (table, re.escape(uuid)))
        deployments = [dep for dep in state.get("deployments", []) if dep.get("application_uuid") == uuid]
        where = "%s %s: %s" % (item["name"], uuid, item.get("error") or item.get("reason"))
        if not item["failed"]:
            assert item.get("error") in (None, ""), where
            if item["changed"]:
                assert accepted == 1, "%s: %d accepted actions for one changed item" % (where, accepted)
                if kind == "application" and item.get("deployment_uuid"):
                    dep = [d for d in deployments if d["deployment_uuid"] == item["deployment_uuid"]]
                    assert dep, "%s: reported deployment %s does not exist" % (where, item["deployment_uuid"])
                    reported = item.get("deployment_status")
                    if reported in ("queued", "in_progress"):
                        # Not waited for: the deployment goes on after the task returns; it may only have moved on.
                        later = ("queued", "in_progress", "finished", "failed", "cancelled-by-user")
                        assert dep[0]["status"] in later[later.index(reported):], where
                    elif reported:
                        assert dep[0]["status"] == reported, where
            if item.get("status_after") is not None and not item.get("skipped"):
                assert uuid in rows, "%s: reported a status for a resource that does not exist" % where
                assert item["status_after"] == rows[uuid]["status"], "%s: reported %s, really %s" % (
                    where, item["status_after"], rows[uuid]["status"])
        else:
            assert item.get("error"), "%s: failed without an error" % where
            if item.get("status_after") is not None:
                assert uuid in rows, where
                assert item["status_after"] == rows[uuid]["status"], "%s: reported %s, really %s" % (
                    where, item["status_after"], rows[uuid]["status"])
            took_effect = bool(deployments) if kind == "application" else accepted > 0
            if took_effect:
                assert admits_uncertainty(item["error"]), (
                    "%s: the action took effect but the item reports a plain failure" % where)
    return state, log


def env_value(state, uuid, key="API_KEY", is_preview=False):
    """The stored value of one env row, or the string 'absent' (no row) / 'deleted' (no resource)."""
    if uuid not in {row["uuid"] for row in state["applications"]} | {row["uuid"] for row in state["services"]}:
        return "deleted"
    for row in state["envs"]:
        if row.get("resource_uuid") == uuid and row["key"] == key and bool(row["is_preview"]) == is_preview:
            return row["value"]
    return "absent"


def check_env_entries(result, emu, old, new, key="API_KEY"):
    """Each resource entry of coolify_env against the stored value of `key` (written: new; otherwise old)."""
    state = emu.state()
    for entry in result.get("resources") or []:
        value = env_value(state, entry["uuid"], key)
        where = "%s %s (%s): %s" % (entry["name"], entry["uuid"], entry["outcome"], entry.get("error"))
        if value == "deleted":
            assert entry["failed"], where
            continue
        if entry["outcome"] == "written":
            assert value == new and entry["changed"], where
        elif entry["outcome"] in ("rolled_back", "untouched"):
            assert value == old and not entry["changed"], where
        elif entry["outcome"] == "unknown":
            # Maybe written: whatever is stored, it never claims "not changed" and it says it does not know.
            assert entry["failed"] and entry["changed"] and admits_uncertainty(entry.get("error")), where
        else:
            assert entry["outcome"] == "failed" and entry["failed"], where
            if entry.get("rolled_back"):
                assert value == old, where
            elif not admits_uncertainty(entry.get("error")):
                assert (value == new) == bool(entry["changed"]), where
    return state


def collections_path():
    """The collections directory this test session imports the collection from (never ~/.ansible's copy)."""
    from ansible_collections.coolops.coolify.plugins.module_utils import _progress  # pylint: disable=import-outside-toplevel
    path = os.path.abspath(_progress.__file__)  # <dir>/ansible_collections/coolops/coolify/plugins/module_utils/...
    for dummy in range(6):
        path = os.path.dirname(path)
    return path


def run_playbook(emu, tmp_path, playbook, extra_env=None, options=("-vvvv",), settings=None):
    """ansible-playbook on localhost with ``playbook`` (text), the emulator reset first; returns its output (stdout
    and stderr), asserting it succeeded and shows no secret marker."""
    emu.reset()
    if settings:
        emu.configure(**settings)
    path = tmp_path / "play.yml"
    path.write_text(playbook, encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    for name in ("ANSIBLE_PYTHON_INTERPRETER", "ANSIBLE_DEBUG", "COOLIFY_API_TOKEN", "COOLIFY_TOKEN",
                 "COOLIFY_ACCESS_TOKEN"):
        env.pop(name, None)
    env.update(extra_env or {})
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook")] + list(options) +
                          ["-i", "localhost,", str(path)], env=env, capture_output=True, text=True, check=False,
                          timeout=300, cwd=str(tmp_path))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert MARK not in out, "a secret marker leaked into the output of ansible-playbook"
    return out
