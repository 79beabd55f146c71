# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the emulator tests (a uniquely named module, so it never clashes with other conftest.py files)."""

from __future__ import annotations

import importlib.util
import os
import sys
import time

import requests

try:
    from ansible_collections.coolops.coolify.tests.emulator import harness
except ImportError:  # plain `pytest tests/e2e/emulator` without a collection tree
    _PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "emulator", "harness.py")
    _SPEC = importlib.util.spec_from_file_location("coolops_emulator_harness", _PATH)
    harness = importlib.util.module_from_spec(_SPEC)
    sys.modules["coolops_emulator_harness"] = harness
    _SPEC.loader.exec_module(harness)

EMULATOR_DIR = harness.EMULATOR_DIR
FIXTURE = os.path.join(EMULATOR_DIR, "fixtures", "example.yml")
ROOT = harness.DEFAULT_TOKEN
FAST = ("--deploy-seconds", "0.3", "--status-lag-seconds", "0.2", "--job-delay-seconds", "0.3")


class Api:
    """A small requests-based client bound to one emulator and one token."""

    def __init__(self, emu, token=ROOT):
        self.emu = emu
        self.token = token
        self.session = requests.Session()

    def as_token(self, token):
        return Api(self.emu, token)

    def call(self, method, path, token=None, accept_json=True, **kwargs):
        headers = kwargs.pop("headers", {})
        if accept_json:
            headers.setdefault("Accept", "application/json")
        use = self.token if token is None else token
        if use:
            headers.setdefault("Authorization", "Bearer " + use)
        return self.session.request(method, self.emu.api_url + path, headers=headers, timeout=30,
                                    allow_redirects=False, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.call("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)

    def wait_for(self, predicate, timeout=10.0, interval=0.05):
        """Poll `predicate()` until it returns something truthy; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("condition not met within %.1f s (last value %r)" % (timeout, value))
            time.sleep(interval)

    def app_status(self, uuid):
        return self.get("/applications/" + uuid).json()["status"]

    def service_status(self, uuid):
        return self.get("/services/" + uuid).json()["status"]

    def deployment(self, uuid):
        return self.get("/deployments/" + uuid).json()

    def jobs(self, resource_uuid):
        """The queued jobs of one resource, oldest first, from /_emulator/state."""
        return [job for job in self.emu.state()["jobs"] if job["resource_uuid"] == resource_uuid]
