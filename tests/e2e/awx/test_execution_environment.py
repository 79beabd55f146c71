# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution environment definition in docs/awx/ turns a built collection tarball into a complete build context.

`ansible-builder create` writes the Containerfile and the build context without a container engine, so this runs
anywhere; `ansible-builder build` (which needs podman or docker) consumes exactly this context.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
EE_FILE = os.path.join(ROOT, "docs", "awx", "execution-environment.yml")

# Paths that must never ship in the tarball: virtualenvs, test output, lint/pytest caches, built docs, symlink farms.
DEV_ARTEFACT = re.compile(
    r"(^|/)(\.venv|\.ansible|\.pytest_cache|__pycache__|\.mypy_cache|\.ruff_cache|\.tox|\.nox|collections)(/|$)"
    r"|^(tests/output|docs/build|dist|context)(/|$)|\.pyc$|^importer_result\.json$|^tests/integration/integration_config\.yml$"
)


def _run(args, cwd):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, "%s failed (rc %s):\n%s\n%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr)
    return proc


def _requirement_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.strip().startswith("#")]


@pytest.fixture(scope="module")
def galaxy():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def ee_dir(tmp_path_factory, galaxy):
    """A directory laid out as docs/awx/execution-environment.yml asks: the definition plus one built tarball."""
    workdir = tmp_path_factory.mktemp("ee")
    with open(EE_FILE, encoding="utf-8") as src, open(workdir / "execution-environment.yml", "w", encoding="utf-8") as dst:
        dst.write(src.read())
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", ROOT, "--output-path", str(workdir), "--force"], cwd=workdir)
    tarball = workdir / ("%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"]))
    assert tarball.is_file()
    _run([os.path.join(BIN, "ansible-builder"), "create", "--file", "execution-environment.yml", "--context", "context"], cwd=workdir)
    return workdir


def test_definition_is_version_3():
    with open(EE_FILE, encoding="utf-8") as handle:
        definition = yaml.safe_load(handle)
    assert definition["version"] == 3
    assert definition["images"]["base_image"]["name"]
    assert "ansible-core" in definition["dependencies"]["ansible_core"]["package_pip"]
    assert definition["dependencies"]["ansible_runner"]["package_pip"] == "ansible-runner"


def test_context_holds_the_collection_tarball(ee_dir, galaxy):
    name = "%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])
    collections = ee_dir / "context" / "_build" / "collections"
    assert sorted(os.listdir(collections)) == [name]
    assert filecmp.cmp(str(collections / name), str(ee_dir / name), shallow=False)
    with tarfile.open(str(collections / name)) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        members = tar.getnames()
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (galaxy["namespace"], galaxy["name"], galaxy["version"])
    # The modules, the inventory plugin and the EE metadata ship; no development artefact does.
    assert "meta/execution-environment.yml" in members
    assert "requirements.txt" in members
    assert any(m.startswith("plugins/modules/") for m in members)
    assert [m for m in members if DEV_ARTEFACT.search(m)] == []


def test_context_installs_the_tarball_with_galaxy(ee_dir):
    with open(ee_dir / "context" / "_build" / "requirements.yml", encoding="utf-8") as handle:
        requirements = yaml.safe_load(handle)
    assert requirements["collections"] == [{"name": "/build/collections/coolops-coolify.tar.gz", "type": "file"}]
    with open(ee_dir / "context" / "Dockerfile", encoding="utf-8") as handle:
        dockerfile = handle.read()
    # The tarball is renamed to the version-independent name before `ansible-galaxy collection install` runs.
    copy = dockerfile.index("COPY _build/collections/ /build/collections/")
    rename = dockerfile.index("RUN mv /build/collections/coolops-coolify-*.tar.gz /build/collections/coolops-coolify.tar.gz")
    install = dockerfile.index("ansible-galaxy collection install")
    assert copy < rename < install
    assert re.search(r'ANSIBLE_INSTALL_REFS="ansible-core[^"]* ansible-runner"', dockerfile)


def test_context_holds_the_python_requirements(ee_dir):
    context_requirements = _requirement_lines(ee_dir / "context" / "_build" / "requirements.txt")
    collection_requirements = _requirement_lines(os.path.join(ROOT, "requirements.txt"))
    assert collection_requirements, "requirements.txt lists the collection's Python dependencies"
    assert any(line.startswith("requests") for line in context_requirements)
    # The EE definition repeats requirements.txt; they must not drift apart.
    assert sorted(context_requirements) == sorted(collection_requirements)
    # At build time ansible-builder also introspects the installed collection through meta/execution-environment.yml.
    with open(os.path.join(ROOT, "meta", "execution-environment.yml"), encoding="utf-8") as handle:
        meta = yaml.safe_load(handle)
    assert meta["dependencies"]["python"] == "requirements.txt"
