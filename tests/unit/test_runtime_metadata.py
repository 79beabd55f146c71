# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action group must list exactly the modules, or module_defaults silently skip one (cloudscale's bug)."""

from __future__ import annotations

import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _modules():
    path = os.path.join(ROOT, "plugins", "modules")
    return sorted(name[:-3] for name in os.listdir(path) if name.endswith(".py") and not name.startswith("_"))


def _runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_action_group_matches_modules():
    assert sorted(_runtime()["action_groups"]["coolify"]) == _modules()


def test_every_module_declares_the_action_group():
    for name in _modules():
        with open(os.path.join(ROOT, "plugins", "modules", name + ".py"), encoding="utf-8") as handle:
            text = handle.read()
        assert re.search(r"coolops\.coolify\.attributes", text), name


def test_requires_ansible():
    assert _runtime()["requires_ansible"] == ">=2.16.0"


def test_user_agent_version_matches_galaxy_yml():
    from ansible_collections.coolops.coolify.plugins.module_utils._http import COLLECTION_VERSION
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["version"] == COLLECTION_VERSION
