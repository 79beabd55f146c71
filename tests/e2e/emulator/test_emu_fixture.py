# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixture files and extra tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import requests

from emu_helpers import EMULATOR_DIR, harness  # pylint: disable=import-error

JSON_FIXTURE = {
    "tokens": [{"token": "5|json-reader", "abilities": ["read"]}],
    "servers": [{"name": "solo", "ip": "192.168.1.5", "uuid": "srv-solo"}],
    "projects": [{"name": "p", "uuid": "prj-p", "environments": ["production"]}],
    "applications": [{"name": "json-app", "uuid": "app-json", "project": "p", "status": "running:healthy",
                      "envs": [{"key": "A", "value": "1"}]}],
    "services": [{"name": "json-svc", "uuid": "svc-json", "project": "prj-p", "status": "exited",
                  "applications": [{"name": "web", "fqdn": "https://svc.example.test"}]}],
}

# Runs the emulator with PyYAML made unimportable: JSON fixtures must still load.
NO_YAML = "import sys, runpy; sys.modules['yaml'] = None; sys.argv[0] = %r; runpy.run_path(%r, run_name='__main__')"


def test_json_fixture_loads_without_pyyaml(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(JSON_FIXTURE))
    cmd = [sys.executable, "-c", NO_YAML % (EMULATOR_DIR, EMULATOR_DIR), "--port", "0", "--fixture", str(path), "--parent-pid", str(os.getpid())]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # pylint: disable=consider-using-with
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("listening on "), proc.stderr.read()
        url = line.split()[-1] + "/api/v1"
        headers = {"Authorization": "Bearer 5|json-reader", "Accept": "application/json"}
        apps = requests.get(url + "/applications", headers=headers, timeout=10).json()
        assert [(app["uuid"], app["status"]) for app in apps] == [("app-json", "running:healthy")]
        assert requests.get(url + "/services/svc-json", headers=headers, timeout=10).json()["status"] == "exited"
        root = {"Authorization": "Bearer " + harness.DEFAULT_TOKEN}
        assert requests.get(url + "/applications/app-json/envs", headers=root, timeout=10).json()[0]["value"] == "1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_bad_fixture_fails_with_a_message(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"applications": [{"name": "x", "project": "nope"}], "projects": [{"name": "p"}],
                                "servers": [{"name": "s"}]}))
    proc = subprocess.run([sys.executable, EMULATOR_DIR, "--fixture", str(path)], capture_output=True, timeout=30, check=False)
    assert proc.returncode == 2
    assert b"unknown project 'nope'" in proc.stderr


def test_unknown_fixture_field_is_rejected(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"servers": [{"name": "s", "colour": "red"}]}))
    proc = subprocess.run([sys.executable, EMULATOR_DIR, "--fixture", str(path)], capture_output=True, timeout=30, check=False)
    assert proc.returncode == 2 and b"colour" in proc.stderr


def test_add_token_abilities_and_team(start_emulator):
    client = start_emulator("--seed-apps", "3", "--add-token", "2|ro=read", "--add-token", "3|acme=read,deploy@1",
                            "--add-token", "bare-secret=read")
    assert len(client.get("/applications", token="2|ro").json()) == 3
    assert client.post("/applications/x/start", token="2|ro").json() == {"message": "Missing required permissions: deploy"}
    acme = client.get("/applications", token="3|acme").json()
    assert {app["name"] for app in acme} == {"acme-web", "acme-api"}
    assert client.get("/version", token="bare-secret").status_code == 200


def test_custom_root_token(start_emulator):
    client = start_emulator("--seed-apps", "1", token="42|my-own-token")
    assert client.get("/version").status_code == 200
    assert client.get("/version", token=harness.DEFAULT_TOKEN).status_code == 401
