# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure tests of coolify_shared_env's input checks: every one fails before any API call (no client involved)."""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._client import shared_env_path
from ansible_collections.coolops.coolify.plugins.module_utils._env_input import EnvInputError
from ansible_collections.coolops.coolify.plugins.module_utils._errors import ConfigurationError
from ansible_collections.coolops.coolify.plugins.module_utils._shared_env import validate


def params(**extra):
    data = {"level": "team", "env": {"DB_PASSWORD": "x"}, "state": "present", "restart": "none", "find_references": True}
    data.update(extra)
    return data


@pytest.mark.parametrize("extra, message", [
    ({"level": "galaxy"}, "Unknown level 'galaxy'"),
    ({"level": "project"}, "level=project needs project"),
    ({"level": "environment", "project": "shop"}, "level=environment needs environment"),
    ({"level": "server"}, "level=server needs server"),
    ({"server": "edge-01"}, "level=team takes no server"),
    ({"level": "project", "project": "shop", "environment": "prod"}, "level=project takes no environment"),
    ({"env": {"A-B": "x"}}, "The env key 'A-B' is invalid"),
    ({"env": {"A": 5}}, "of type int"),
    ({"env": {"A": {"value": "x", "is_buildtime": False}}}, "sets is_buildtime, which shared variables do not have"),
    ({"prune": True, "state": "absent"}, "prune only applies to state=present"),
    ({"restart": "changed", "find_references": False}, "restart=changed needs find_references=true"),
])
def test_bad_input_fails_with_one_sentence(extra, message):
    with pytest.raises(EnvInputError) as info:
        validate(params(**extra))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_good_input_parses():
    desired, warnings = validate(params(level="environment", project="shop", environment="staging",
                                        env={"B": {"value": " y ", "is_literal": True}, "A": "x"}))
    assert [item.key for item in desired] == ["A", "B"]
    assert desired[1].flags == {"is_literal": True}
    assert warnings and "B" in warnings[0]


@pytest.mark.parametrize("level, kwargs, path", [
    ("team", {}, "/team"),
    ("project", {"project_uuid": "p1"}, "/projects/p1"),
    ("environment", {"project_uuid": "p1", "environment": "prod uction"}, "/projects/p1/environments/prod%20uction"),
    ("server", {"server_uuid": "s1"}, "/servers/s1"),
])
def test_shared_env_path(level, kwargs, path):
    assert shared_env_path(level, **kwargs) == path


def test_shared_env_path_needs_its_scope():
    with pytest.raises(ConfigurationError, match="needs its server"):
        shared_env_path("server")
