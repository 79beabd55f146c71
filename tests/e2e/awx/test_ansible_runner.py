# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run playbooks/rotate-keys.yml the way an AWX job runs it: through ansible-runner, against the emulator.

What AWX does for a job, and what this test does in the same way:

* the execution environment holds the collection installed from its tarball (here: the tarball built from this
  checkout, installed with ``ansible-galaxy collection install`` into a private collections path);
* the project is a checkout of the repository (here: a copy of ``playbooks/``);
* the job's credentials are rendered from their credential types with a sandboxed Jinja2 environment and their
  inputs (AWX's ``inject_credential``): the Coolify credential (``docs/awx/credential-type.yml``) and the "rotation
  value" credential that ``playbooks/awx-setup.yml`` registers. ``env`` injectors go into ``env/envvars``, each
  credential's ``extra_vars`` into a file of its own passed as ``-e @file``;
* the job's own extra variables (the survey answers) go into ``env/extravars``.

Then it checks the artifacts: status, return code, events, and that neither the token nor the rotated value appears in
any artifact file. ansible-runner itself records the process environment in ``artifacts/<ident>/command`` (AWX masks
that copy as ``job_env``); there the token may appear only as the value of the injected variable.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys

import ansible_runner
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.coolops.coolify.tests.emulator.harness import EmulatorProcess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
CREDENTIAL_TYPE = os.path.join(ROOT, "docs", "awx", "credential-type.yml")
AWX_SETUP = os.path.join(ROOT, "playbooks", "awx-setup.yml")
PLAYBOOK = "playbooks/rotate-keys.yml"
IDENT = "awx-job-1"
ROTATED_KEY = "DEMO_API_KEY"
TAG = "staging"

# ansible-runner starts ansible-playbook on a pty (fork + exec) while the emulator harness's reader thread runs; the
# child execs at once, so Python's warning about forking a multi-threaded process does not apply.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of forkpty:DeprecationWarning")

# Marker secrets: random per run, so a hit in an artifact cannot be a coincidence.
TOKEN_SECRET = "awxmarkertoken" + secrets.token_hex(16)
TOKEN = "7|" + TOKEN_SECRET
VALUE = "awx-marker-value-" + secrets.token_hex(12)


class _PlaybookLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Reads a playbook's YAML; Ansible's ``!unsafe`` strings are plain strings here."""


_PlaybookLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def render_injectors(credential_type, inputs):
    """Render the credential type's injectors as AWX's inject_credential does: (env, extra_vars).

    Templates are rendered with a sandboxed Jinja2 environment and the credential's inputs; a missing boolean input is
    False; extra_vars are rendered recursively, keys included.
    """
    sandbox = ImmutableSandboxedEnvironment()
    namespace = dict(inputs)
    for field in credential_type["inputs"]["fields"]:
        if field.get("type") == "boolean" and field["id"] not in namespace:
            namespace[field["id"]] = False

    def render(node):
        if isinstance(node, dict):
            return {render(key): render(value) for key, value in node.items()}
        if isinstance(node, list):
            return [render(item) for item in node]
        return sandbox.from_string(node).render(**namespace)

    injectors = credential_type["injectors"]
    env = {name: sandbox.from_string(tmpl).render(**namespace) for name, tmpl in injectors.get("env", {}).items()}
    return env, render(injectors.get("extra_vars", {}))


def _run(args, cwd):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, "%s failed (rc %s):\n%s\n%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def credential_type():
    with open(CREDENTIAL_TYPE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def rotation_credential_type():
    """The "rotation value" credential type that playbooks/awx-setup.yml registers, as AWX would store it."""
    with open(AWX_SETUP, encoding="utf-8") as handle:
        plays = yaml.load(handle, Loader=_PlaybookLoader)  # nosec - a local file, safe loader with one constructor
    for task in plays[0]["tasks"]:
        args = task.get("awx.awx.credential_type") or {}
        if "rotate_env" in str(args.get("injectors")):
            return {"inputs": args["inputs"], "injectors": args["injectors"]}
    raise AssertionError("playbooks/awx-setup.yml registers no credential type that injects rotate_env")


@pytest.fixture(scope="module")
def ee_collections(tmp_path_factory):
    """The collection as an execution environment holds it: built into a tarball, then installed from it."""
    workdir = tmp_path_factory.mktemp("ee-collections")
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", ROOT, "--output-path", str(workdir)], cwd=workdir)
    tarballs = [name for name in os.listdir(workdir) if name.endswith(".tar.gz")]
    assert len(tarballs) == 1
    collections = workdir / "collections"
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(collections),
          str(workdir / tarballs[0])], cwd=workdir)
    assert (collections / "ansible_collections" / "coolops" / "coolify" / "MANIFEST.json").is_file()
    return str(collections)


@pytest.fixture(scope="module")
def emulator():
    args = ("--seed-apps", "12", "--seed-services", "2", "--seed-servers", "2", "--seed-projects", "2",
            "--random-seed", "11", "--deploy-seconds", "0.2", "--status-lag-seconds", "0.1")
    with EmulatorProcess(args=args, token=TOKEN) as emu:
        yield emu


def run_job(pdd, ident, credentials, ee_collections, extra_vars):
    """One AWX-style job run of rotate-keys.yml in the private data dir ``pdd``.

    ``credentials``: (credential type, inputs) pairs. Each one's env injectors go into env/envvars, its extra_vars
    injectors into a file of their own passed as ``-e @file``; the job's ``extra_vars`` go into env/extravars.
    Returns (runner, the injected environment variables).
    """
    (pdd / "project").mkdir()
    shutil.copytree(os.path.join(ROOT, "playbooks"), str(pdd / "project" / "playbooks"))
    (pdd / "inventory").mkdir()
    (pdd / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable, encoding="utf-8")
    (pdd / "env").mkdir()

    # What the execution environment image itself provides: ansible-playbook on PATH, its collections path.
    envvars = {"PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "ANSIBLE_COLLECTIONS_PATH": ee_collections,
               "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_LOCALHOST_WARNING": "false"}
    injected_env = {}
    cmdline = []
    for index, (credential_type, inputs) in enumerate(credentials):
        env, credential_extra_vars = render_injectors(credential_type, inputs)
        injected_env.update(env)
        if credential_extra_vars:
            path = pdd / "env" / ("credential_%d_extra_vars.yml" % index)
            with open(path, "w", encoding="utf-8") as handle:
                yaml.safe_dump(credential_extra_vars, handle)
            os.chmod(path, 0o400)
            cmdline.append("-e @%s" % path)
    envvars.update(injected_env)
    with open(pdd / "env" / "envvars", "w", encoding="utf-8") as handle:
        yaml.safe_dump(envvars, handle)
    with open(pdd / "env" / "extravars", "w", encoding="utf-8") as handle:
        yaml.safe_dump(extra_vars, handle)

    runner = ansible_runner.run(
        private_data_dir=str(pdd),
        playbook=PLAYBOOK,
        ident=ident,
        cmdline=" ".join(cmdline),
        quiet=True,
        timeout=300,
    )
    return runner, injected_env


def stats_of(runner):
    return [event for event in runner.events if event.get("event") == "playbook_on_stats"][-1]["event_data"]


def assert_no_secret_in_artifacts(pdd, ident, credential_env):
    artifacts = os.path.join(str(pdd), "artifacts")
    checked = 0
    for folder, _dirs, files in os.walk(artifacts):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                data = handle.read().decode("utf-8", "replace")
            if os.path.relpath(path, artifacts) == os.path.join(ident, "command"):
                # ansible-runner's record of the process: the injected env vars are there by design (AWX keeps a
                # masked copy as job_env); nothing else in it may carry a secret.
                record = json.loads(data)
                for var, value in credential_env.items():
                    assert record["env"].pop(var) == value
                assert "-e @" in " ".join(record["command"])  # the credential's extra vars went in as a file
                data = json.dumps(record)
            for marker in (TOKEN, TOKEN_SECRET, VALUE):
                assert marker not in data, "%s contains a secret" % os.path.relpath(path, str(pdd))
            checked += 1
    assert checked > 5  # command, status, rc, stdout, stderr, job_events/*


def job_credentials(credential_type, rotation_credential_type, emulator):
    """The job template's Coolify credential and the rotation credential picked at launch."""
    return [
        (credential_type, {"api_url": emulator.base_url, "api_token": TOKEN, "validate_certs": True}),
        (rotation_credential_type, {"rotate_key": ROTATED_KEY, "rotate_value": VALUE}),
    ]


@pytest.fixture(scope="module")
def job(tmp_path_factory, credential_type, rotation_credential_type, ee_collections, emulator):
    """The first job: it rotates the value. Returns (runner, private data dir, injected env)."""
    pdd = tmp_path_factory.mktemp("awx-private-data-dir")
    runner, injected_env = run_job(pdd, IDENT, job_credentials(credential_type, rotation_credential_type, emulator),
                                   ee_collections, {"rotate_tag": TAG, "rotate_batch_size": 3})
    return runner, pdd, injected_env


def test_credential_type_injects_the_connection(credential_type):
    env, extra_vars = render_injectors(credential_type, {"api_url": "https://coolify.example.com", "api_token": "1|abc",
                                                         "validate_certs": False})
    assert env == {"COOLIFY_API_URL": "https://coolify.example.com", "COOLIFY_API_TOKEN": "1|abc", "COOLIFY_VALIDATE_CERTS": "False"}
    assert not extra_vars
    secret_fields = [field["id"] for field in credential_type["inputs"]["fields"] if field.get("secret")]
    assert secret_fields == ["api_token"]
    assert sorted(credential_type["inputs"]["required"]) == ["api_token", "api_url"]


def test_job_succeeds(job):
    runner = job[0]
    stdout = runner.stdout.read()
    assert runner.status == "successful", stdout
    assert runner.rc == 0, stdout
    assert "PLAY RECAP" in stdout


def test_job_events(job):
    runner = job[0]
    events = list(runner.events)
    kinds = [event.get("event") for event in events]
    for kind in ("playbook_on_start", "playbook_on_play_start", "playbook_on_task_start", "runner_on_ok", "playbook_on_stats"):
        assert kind in kinds, kinds
    env_tasks = [event for event in events if event.get("event") == "runner_on_ok"
                 and event["event_data"].get("resolved_action", event["event_data"].get("task_action")) == "coolops.coolify.coolify_env"]
    assert env_tasks, "no runner_on_ok event for a coolops.coolify.coolify_env task"
    assert any(event["event_data"]["res"].get("changed") for event in env_tasks)
    stats = stats_of(runner)
    assert "localhost" in stats["ok"]
    assert not stats.get("failures") and not stats.get("dark")
    # AWX reads the same events from the artifacts directory.
    assert len(os.listdir(os.path.join(str(job[1]), "artifacts", IDENT, "job_events"))) == len(events)


def test_job_rotated_the_value(job, emulator):
    state = emulator.state()
    staging = {app["uuid"] for app in state["applications"] if TAG in (app.get("tags") or [])}
    assert staging
    rows = [row for row in state["envs"] if row.get("resource_uuid") in staging and row["key"] == ROTATED_KEY
            and not row.get("is_preview")]
    assert {row["resource_uuid"] for row in rows} == staging
    assert all(row["value"] == VALUE for row in rows)


def test_no_secret_in_any_artifact(job):
    _runner, pdd, credential_env = job
    assert_no_secret_in_artifacts(pdd, IDENT, credential_env)


def test_rotation_credential_type_injects_rotate_env(rotation_credential_type):
    env, extra_vars = render_injectors(rotation_credential_type, {"rotate_key": "API_KEY", "rotate_value": "s3cret"})
    assert env == {}
    assert extra_vars == {"rotate_env": {"API_KEY": "s3cret"}}
    assert [field["id"] for field in rotation_credential_type["inputs"]["fields"] if field.get("secret")] == ["rotate_value"]


def test_second_job_changes_nothing(job, tmp_path_factory, credential_type, rotation_credential_type, ee_collections, emulator):
    """Relaunching the job template is idempotent: the values are already in place, nothing is written or restarted."""
    assert job[0].status == "successful"
    pdd = tmp_path_factory.mktemp("awx-private-data-dir-relaunch")
    before = len(emulator.requests_log())
    runner, credential_env = run_job(pdd, "awx-job-2", job_credentials(credential_type, rotation_credential_type, emulator),
                                     ee_collections, {"rotate_tag": TAG})
    assert runner.status == "successful", runner.stdout.read()
    assert not stats_of(runner).get("changed")
    writes = [entry for entry in emulator.requests_log()[before:] if entry["method"] != "GET"]
    assert writes == []
    assert_no_secret_in_artifacts(pdd, "awx-job-2", credential_env)
