# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure tests of shared-variable references: parsing, scoping, missing keys, cycles, discovery cost (fake client)."""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _shared_refs as refs


# ------------------------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize("value, expected", [
    ("{{team.DB_PASSWORD}}", [("team", "DB_PASSWORD")]),
    ("{{ team.DB_PASSWORD }}", [("team", "DB_PASSWORD")]),
    ("postgres://{{team.USER}}:{{project.PASS}}@db/{{environment.DB}}", [
        ("team", "USER"), ("project", "PASS"), ("environment", "DB")]),
    ("{{server.COOLIFY_SERVER_NAME}}-{{server.COOLIFY_SERVER_NAME}}", [("server", "COOLIFY_SERVER_NAME")]),
    ("{{foo.KEY}}", []),
    ("{{team}}", []),
    ("{{team.}}", []),
    ("{{TEAM.KEY}}", []),
    ("plain", []),
    (None, []),
    ("{{team.a.b}}", [("team", "a.b")]),
])
def test_parse_refs(value, expected):
    assert refs.parse_refs(value) == expected


def test_keys_are_case_sensitive():
    assert refs.keys_at("{{team.Key}} {{team.KEY}}", "team") == ["Key", "KEY"]


# ------------------------------------------------------------------------------------------------ scanning


def row(key, value, **extra):
    data = {"key": key, "value": value, "is_preview": False}
    data.update(extra)
    return data


def test_scan_resource_collects_rows_and_hidden_ones():
    rows = [row("DATABASE_URL", "pg://{{team.DB_USER}}@x"), row("DATABASE_URL", "{{team.DB_USER}}", is_preview=True),
            row("OTHER", "{{project.DB_USER}}"), {"key": "SECRET", "is_shared": True}]
    ref = refs.scan_resource("application", {"uuid": "a1", "name": "web"}, rows, "team")
    assert ref.rows == {"DATABASE_URL": ["DB_USER"], "DATABASE_URL@preview": ["DB_USER"]}
    assert ref.hidden_rows == ["SECRET"]
    assert ref.hidden_shared == ["SECRET"]
    assert ref.keys == ["DB_USER"]
    assert ref.production_keys() == ["DB_USER"]


def test_scan_resource_none_when_nothing_refers():
    assert refs.scan_resource("service", {"uuid": "s"}, [row("A", "x"), row("B", "{{project.A}}")], "team") is None


def test_preview_only_reference_is_not_a_restart():
    ref = refs.scan_resource("application", {"uuid": "a"}, [row("K", "{{team.A}}", is_preview=True)], "team")
    assert ref.keys == ["A"]
    assert refs.affected([ref], ["A"]) == []


def test_affected_and_missing():
    one = refs.scan_resource("application", {"uuid": "a"}, [row("K", "{{team.A}} {{team.GONE}}")], "team")
    two = refs.scan_resource("database", {"uuid": "d"}, [row("K", "{{team.B}}")], "team")
    assert refs.affected([one, two], ["B"]) == [two]
    assert [(ref.uuid, key) for ref, key in refs.missing_references([one, two], ["A", "B"])] == [("a", "GONE")]


# ------------------------------------------------------------------------------------------------ cycles


def test_dependents_follow_nested_references_and_report_cycles():
    shared = [row("A", "{{team.B}}"), row("B", "{{team.C}}"), row("C", "{{team.A}}"), row("D", "x"),
              row("E", "{{team.D}}")]
    affected, cycles = refs.dependents(shared, "team", {"D"})
    assert affected == {"D", "E"}
    affected, cycles = refs.dependents(shared, "team", {"C"})
    assert affected == {"A", "B", "C"}
    assert cycles == [["A", "B", "C", "A"]]


def test_self_reference_is_a_cycle_and_terminates():
    affected, cycles = refs.dependents([row("A", "{{team.A}}")], "team", {"A"})
    assert affected == {"A"}
    assert cycles == [["A", "A"]]


def test_long_chain_terminates():
    shared = [row("K%d" % i, "{{team.K%d}}" % (i + 1)) for i in range(500)]
    affected, cycles = refs.dependents(shared, "team", {"K499"})
    assert len(affected) == 500
    assert cycles == []


# ------------------------------------------------------------------------------------------------ discovery


class FakeClient(object):
    """Records calls; resources spread over two projects (environments 1, 2 in p1; 3 in p2) and two servers."""

    def __init__(self, envs, fail=None):
        self.calls = []
        self.envs = envs
        self.fail = fail or set()
        self.apps = [{"uuid": "a1", "name": "a1", "environment_id": 1}, {"uuid": "a2", "name": "a2", "environment_id": 3}]
        self.services = [{"uuid": "s1", "name": "s1", "environment_id": 2}]
        self.databases = [{"uuid": "d1", "name": "d1", "environment_id": 3}]

    def list_applications(self):
        self.calls.append("GET /applications")
        return self.apps

    def list_services(self):
        self.calls.append("GET /services")
        return self.services

    def list_databases(self):
        self.calls.append("GET /databases")
        return self.databases

    def server_resources(self, uuid):
        self.calls.append("GET /servers/%s/resources" % uuid)
        return [{"uuid": "a2", "type": "application"}, {"uuid": "d1", "type": "standalone-postgresql"}]

    def list_envs(self, kind, uuid):
        self.calls.append("GET /%ss/%s/envs" % (kind, uuid))
        if uuid in self.fail:
            raise RuntimeError("boom")
        return self.envs.get(uuid, [])


ENVS = {
    "a1": [row("URL", "{{team.PASS}}"), row("P", "{{project.PASS}}")],
    "a2": [row("URL", "{{team.PASS}}"), row("S", "{{server.PASS}}")],
    "s1": [row("E", "{{environment.PASS}}")],
    "d1": [row("URL", "{{team.OTHER}}"), row("P", "{{project.PASS}}")],
}
PROJECT_1 = {"uuid": "p1", "environments": [{"id": 1, "name": "production"}, {"id": 2, "name": "staging"}]}


@pytest.mark.parametrize("level, target, uuids, reads", [
    ("team", {}, ["a1", "a2", "d1"], 4),
    ("project", {"project": PROJECT_1, "environments": PROJECT_1["environments"]}, ["a1"], 2),
    ("environment", {"project": PROJECT_1, "environment": {"id": 2}}, ["s1"], 1),
    ("server", {"server": {"uuid": "srv2"}}, ["a2"], 2),
])
def test_discover_scopes_and_cost(level, target, uuids, reads):
    client = FakeClient(ENVS)
    found, errors, scanned = refs.discover(client, level, target, max_workers=2)
    assert errors == []
    assert scanned == reads
    assert sorted(ref.uuid for ref in found) == uuids
    env_reads = [call for call in client.calls if call.endswith("/envs")]
    assert len(env_reads) == reads
    # 3 lists, plus the server's resources for the server level: the documented cost.
    assert len(client.calls) == reads + 3 + (1 if level == "server" else 0)


def test_discover_reports_read_errors():
    client = FakeClient(ENVS, fail={"d1"})
    found, errors, _scanned = refs.discover(client, "team", {})
    assert [(kind, resource["uuid"]) for kind, resource, _error in errors] == [("database", "d1")]


def test_unplaceable_resource_fails_closed():
    client = FakeClient(ENVS)
    client.apps.append({"uuid": "a3", "name": "nowhere"})
    with pytest.raises(refs.ScopeError, match="without environment_id"):
        refs.discover(client, "project", {"project": PROJECT_1, "environments": PROJECT_1["environments"]})


def test_nested_lists_references_inside_shared_values():
    shared = [row("A", "x{{team.B}}{{project.C}}"), row("B", "plain"), {"key": "H"}]
    assert refs.nested(shared) == {"A": ["team.B", "project.C"]}


@pytest.mark.parametrize("level, expected", [("team", {"docker-compose": ["SMTP"]}), ("project", {"docker-compose": ["P"]}),
                                             ("server", None)])
def test_compose_files_are_scanned_except_for_server_keys(level, expected):
    service = {"uuid": "s", "name": "mail", "docker_compose_raw": "services:\n  app:\n    environment:\n"
               "      - SMTP={{team.SMTP}}\n      - P={{project.P}}\n      - R={{server.R}}\n"}
    ref = refs.scan_resource("service", service, [], level)
    assert (ref.rows if ref else None) == expected
    if ref:
        assert ref.production_keys() == expected["docker-compose"]
