# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The coolops.coolify.coolify inventory plugin against the emulator, over real HTTP."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible.template import Templar

from ansible_collections.coolops.coolify.plugins.plugin_utils._unsafe import make_unsafe

try:  # ansible-core >= 2.19: only trusted templates are rendered
    from ansible.template import trust_as_template
except ImportError:  # older cores render every string given to the Templar
    def trust_as_template(value):
        return value

PLUGIN = "coolops.coolify.coolify"
RESOURCE_KEYS = {"uuid", "name", "type", "status", "state", "tags", "project", "environment"}

# A fleet small enough to reason about, with hostile names.
HOSTILE_APP = "{{ lookup('ansible.builtin.pipe', 'touch %s') }}"
FIXTURE = {
    "servers": [
        {"name": "localhost", "ip": "host.docker.internal", "description": "Coolify's own server"},
        {"name": "edge-1", "ip": "203.0.113.10", "user": "deploy", "port": 2222},
        {"name": "edge-2", "ip": "203.0.113.11", "is_reachable": False},
    ],
    "projects": [
        {"name": "shop", "environments": ["production", "staging"]},
        {"name": "blog", "environments": ["production"]},
    ],
    "applications": [
        {"name": "shop-web", "project": "shop", "environment": "production", "server": "edge-1",
         "status": "running:healthy", "tags": ["frontend", "internal-tools"], "fqdn": "https://shop.example.com"},
        {"name": "shop-api", "project": "shop", "environment": "staging", "server": "edge-1", "status": "exited"},
        {"name": "blog", "project": "blog", "server": "edge-2", "status": "running:unknown", "tags": ["frontend"]},
        {"name": "blog", "project": "shop", "environment": "staging", "server": "edge-2", "status": "exited"},
        {"name": "HOSTILE", "project": "blog", "server": "edge-1", "status": "running:healthy"},
    ],
    "services": [
        {"name": "shop-db", "project": "shop", "server": "edge-1", "service_type": "postgresql", "status": "running:healthy",
         "tags": ["database"], "databases": [{"name": "postgresql", "image": "postgres:16"}]},
    ],
}


def unsafe_plain(value):
    """Strip the `__ansible_unsafe` wrappers ansible-inventory's JSON encoding may add."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((k, unsafe_plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [unsafe_plain(v) for v in value]
    return value


@pytest.fixture
def fixture_emulator(emulator_factory, tmp_path):
    """An emulator seeded with FIXTURE; the hostile app would create tmp_path/pwned if it were ever templated."""
    data = json.loads(json.dumps(FIXTURE))
    marker = tmp_path / "pwned"
    for app in data["applications"]:
        if app["name"] == "HOSTILE":
            app["name"] = HOSTILE_APP % marker
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(data))
    emu = emulator_factory("--fixture", str(path), "--deploy-seconds", "0.2", "--status-lag-seconds", "0.1")
    emu.marker = marker
    return emu


def build(tmp_path, emu, refresh=False, filename="test.coolify.yml", **options):
    """Parse an inventory config like ansible-inventory does (refresh=True is --flush-cache); returns the InventoryData."""
    config = {"plugin": PLUGIN, "api_url": emu.api_url, "api_token": emu.token}
    config.update(options)
    config = dict((k, v) for k, v in config.items() if v is not None)
    path = tmp_path / filename
    path.write_text(yaml.safe_dump(config))
    inventory = InventoryData()
    plugin = inventory_loader.get(PLUGIN)
    assert plugin.verify_file(str(path))
    plugin.parse(inventory, DataLoader(), str(path), cache=not refresh)
    if plugin.get_option("cache"):
        plugin.update_cache_if_changed()  # what InventoryManager does after parse
    return inventory


def hostvars(inventory, name):
    return inventory.get_host(name).get_vars()


def group_hosts(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts()) if group in inventory.groups else None


def api_calls(emu):
    return [(entry["method"], entry["path"].replace("/api/v1", ""), entry.get("query") or {}) for entry in emu.requests_log()]


def seeded(emu):
    """Team-0 servers, apps and services from the emulator's own state, for expected values."""
    state = emu.state()
    servers = [row for row in state["servers"] if row["team_id"] == 0]
    return state, servers, [row for row in state["applications"] if row["team_id"] == 0], \
        [row for row in state["services"] if row["team_id"] == 0]


# ---------------------------------------------------------------------------------------------------------------------


def test_verify_file_accepts_only_coolify_configs(tmp_path):
    plugin = inventory_loader.get(PLUGIN)
    for name, expected in (("a.coolify.yml", True), ("prod.coolify.yaml", True), ("coolify.yml", False),
                           ("inventory.yml", False), ("a.coolify.json", False)):
        path = tmp_path / name
        path.write_text("plugin: %s\n" % PLUGIN)
        assert plugin.verify_file(str(path)) is expected, name
    assert plugin.verify_file(str(tmp_path / "missing.coolify.yml")) is False


def test_servers_are_hosts_with_connection_vars_and_their_resources(emulator, tmp_path):
    inventory = build(tmp_path, emulator)
    state, servers, apps, services = seeded(emulator)
    environments = dict((row["id"], row) for row in state["environments"])
    projects = dict((row["id"], row) for row in state["projects"])

    assert group_hosts(inventory, "coolify_servers") == sorted(["fsn1-01", "localhost-" + servers[0]["uuid"]])
    # Another team's server (acme-01) is invisible to this token, and Coolify's "localhost" never shadows Ansible's.
    assert "acme-01" not in inventory.hosts and "localhost" not in inventory.hosts
    for server in servers:
        name = server["name"] if server["name"] != "localhost" else "localhost-" + server["uuid"]
        hv = hostvars(inventory, name)
        assert hv["ansible_host"] == server["ip"]
        assert hv["ansible_user"] == server["user"]
        assert hv["ansible_port"] == server["port"]
        assert hv["coolify_kind"] == "server"
        assert hv["coolify_uuid"] == server["uuid"]
        assert hv["coolify_name"] == server["name"]
        assert hv["coolify_description"] == server["description"]
        assert hv["coolify_is_reachable"] is True and hv["coolify_is_usable"] is True
        assert hv["coolify_status"] == "reachable"
        mine = [app for app in apps if app["server_id"] == server["id"]]
        assert [a["uuid"] for a in hv["coolify_applications"]] == [a["uuid"] for a in mine]
        for entry, app in zip(hv["coolify_applications"], mine):
            assert set(entry) == RESOURCE_KEYS
            environment = environments[app["environment_id"]]
            assert entry["name"] == app["name"]
            assert entry["status"] == app["status"]
            assert entry["state"] == app["status"].split(":")[0]
            assert entry["type"] == "application"
            assert entry["environment"] == environment["name"]
            assert entry["project"] == projects[environment["project_id"]]["name"]
            assert entry["tags"] == []  # no lookup_tags given: tags are not guessed
        svc = [row for row in services if row["server_id"] == server["id"]]
        assert [(s["uuid"], s["name"], s["status"], s["type"]) for s in hv["coolify_services"]] == \
            [(s["uuid"], s["name"], s["status"], "service") for s in svc]
        dbs = [row for row in state["databases"] if row["server_id"] == server["id"] and row["team_id"] == 0]
        assert dbs, "the generated fleet spreads its databases over every server"
        assert sorted((d["uuid"], d["name"], d["status"], d["type"]) for d in hv["coolify_databases"]) == \
            sorted((d["uuid"], d["name"], d["status"], d["database_type"]) for d in dbs)
        assert hv["coolify_projects"] == sorted(set(e["project"] for e in hv["coolify_applications"] + hv["coolify_services"]))


def test_api_calls_do_not_grow_with_servers(emulator, emulator_factory, tmp_path):
    build(tmp_path, emulator, lookup_tags=["production", "canary"])
    projects = [row["uuid"] for row in emulator.state()["projects"] if row["team_id"] == 0]
    expected = [("GET", "/servers", {}), ("GET", "/resources", {}), ("GET", "/applications", {}), ("GET", "/projects", {})]
    expected += [("GET", "/projects/%s/environments" % uuid, {}) for uuid in projects]
    expected += [("GET", "/applications", {"tag": "production"}), ("GET", "/applications", {"tag": "canary"})]
    assert api_calls(emulator) == expected

    big = emulator_factory("--seed-servers", "7", "--seed-apps", "30", "--seed-services", "9", "--seed-projects", "2")
    inventory = build(tmp_path, big, lookup_tags=["production", "canary"])
    assert len(group_hosts(inventory, "coolify_servers")) == 7
    assert sum(len(hostvars(inventory, h)["coolify_applications"]) for h in group_hosts(inventory, "coolify_servers")) == 30
    calls = api_calls(big)
    assert len(calls) == len(expected)
    assert not [c for c in calls if c[1].startswith("/servers/")], "no per-server request"


def test_groups_by_project_environment_tag_and_status(fixture_emulator, tmp_path):
    inventory = build(tmp_path, fixture_emulator, lookup_tags=["frontend", "internal-tools", "database", "nope"])
    uuid = dict((row["name"], row["uuid"]) for row in fixture_emulator.state()["servers"])
    local = "localhost-" + uuid["localhost"]
    assert group_hosts(inventory, "coolify_servers") == sorted(["edge-1", "edge-2", local])
    assert group_hosts(inventory, "coolify_project_shop") == ["edge-1", "edge-2"]
    assert group_hosts(inventory, "coolify_project_blog") == ["edge-1", "edge-2"]
    assert group_hosts(inventory, "coolify_environment_staging") == ["edge-1", "edge-2"]
    assert group_hosts(inventory, "coolify_tag_frontend") == ["edge-1", "edge-2"]
    # A tag name with a dash becomes a valid group name; services are never tagged (no API for it).
    assert group_hosts(inventory, "coolify_tag_internal_tools") == ["edge-1"]
    assert "coolify_tag_database" not in inventory.groups and "coolify_tag_nope" not in inventory.groups
    assert group_hosts(inventory, "coolify_status_reachable") == sorted(["edge-1", local])
    assert group_hosts(inventory, "coolify_status_unreachable") == ["edge-2"]
    hv = hostvars(inventory, "edge-1")
    assert hv["coolify_tags"] == ["frontend", "internal-tools"]
    assert [s["tags"] for s in hv["coolify_services"]] == [[]]
    assert hostvars(inventory, local)["coolify_applications"] == []
    assert hostvars(inventory, "edge-2")["coolify_is_reachable"] is False


def test_group_prefix_and_group_by(fixture_emulator, tmp_path):
    inventory = build(tmp_path, fixture_emulator, group_prefix="cf-", group_by=["status"])
    assert group_hosts(inventory, "cf_servers") is not None
    assert group_hosts(inventory, "cf_status_unreachable") == ["edge-2"]
    assert not [g for g in inventory.groups if g.startswith(("coolify_", "cf_project", "cf_environment", "cf_tag"))]


def test_applications_and_services_as_hosts(fixture_emulator, tmp_path):
    inventory = build(tmp_path, fixture_emulator, hosts=["applications", "services"], lookup_tags=["frontend"])
    state = fixture_emulator.state()
    # Two apps are called "blog": both get their uuid appended, neither keeps the bare name.
    blog_up = next("blog-" + r["uuid"] for r in state["applications"] if r["name"] == "blog" and r["status"] == "running:unknown")
    blog_down = next("blog-" + r["uuid"] for r in state["applications"] if r["name"] == "blog" and r["status"] != "running:unknown")
    assert "blog" not in inventory.hosts
    assert group_hosts(inventory, "coolify_applications") == sorted(
        ["shop-web", "shop-api", blog_up, blog_down, HOSTILE_APP % fixture_emulator.marker])
    assert group_hosts(inventory, "coolify_services") == ["shop-db"]
    assert "coolify_servers" not in inventory.groups
    web = hostvars(inventory, "shop-web")
    assert web["ansible_connection"] == "local"
    assert "ansible_host" not in web
    assert web["coolify_kind"] == "application"
    assert web["coolify_status"] == "running:healthy" and web["coolify_state"] == "running"
    assert web["coolify_project"] == "shop" and web["coolify_environment"] == "production"
    assert web["coolify_server"] == "edge-1"
    assert web["coolify_tags"] == ["frontend"]
    assert web["coolify_fqdn"] == "https://shop.example.com"
    db = hostvars(inventory, "shop-db")
    assert db["coolify_kind"] == "service" and db["coolify_service_type"] == "postgresql" and db["coolify_tags"] == []
    assert db["coolify_server"] == "edge-1"
    assert group_hosts(inventory, "coolify_status_exited") == sorted(["shop-api", blog_down])
    assert group_hosts(inventory, "coolify_status_running") == sorted(["shop-web", "shop-db", blog_up, HOSTILE_APP % fixture_emulator.marker])
    assert group_hosts(inventory, "coolify_environment_staging") == sorted(["shop-api", blog_down])
    assert group_hosts(inventory, "coolify_project_blog") == sorted([blog_up, HOSTILE_APP % fixture_emulator.marker])
    assert group_hosts(inventory, "coolify_tag_frontend") == sorted(["shop-web", blog_up])


def test_hostnames_uuid(fixture_emulator, tmp_path):
    inventory = build(tmp_path, fixture_emulator, hostnames="uuid", hosts=["servers", "applications"])
    state = fixture_emulator.state()
    expected = sorted([row["uuid"] for row in state["servers"]] + [row["uuid"] for row in state["applications"]])
    assert sorted(inventory.hosts) == expected


def test_compose_groups_keyed_groups(fixture_emulator, tmp_path):
    inventory = build(
        tmp_path, fixture_emulator, hosts=["applications"], strict=True,
        compose={"channel": "'stable' if coolify_environment == 'production' else 'edge'", "ansible_host": "coolify_name"},
        groups={"web_tier": "coolify_name is match('shop-')"},
        keyed_groups=[{"key": "coolify_server", "prefix": "on"}, {"key": "coolify_project ~ '_' ~ coolify_environment", "prefix": "scope"}],
    )
    assert hostvars(inventory, "shop-web")["channel"] == "stable"
    assert hostvars(inventory, "shop-api")["channel"] == "edge"
    assert hostvars(inventory, "shop-api")["ansible_host"] == "shop-api"
    assert group_hosts(inventory, "web_tier") == ["shop-api", "shop-web"]
    assert "shop-web" in group_hosts(inventory, "on_edge_1") and "shop-api" in group_hosts(inventory, "on_edge_1")
    assert group_hosts(inventory, "scope_shop_production") == ["shop-web"]


def test_filters_first_match_wins(fixture_emulator, tmp_path):
    inventory = build(tmp_path, fixture_emulator, hosts=["applications", "services"], filters=[
        {"exclude": "coolify_state == 'exited'"},
        {"include": "coolify_project == 'shop'"},
        {"exclude": True},
    ])
    assert sorted(inventory.hosts) == ["shop-db", "shop-web"]

    inventory = build(tmp_path, fixture_emulator, filters=[{"exclude": "not coolify_is_reachable"}])
    assert "edge-2" not in inventory.hosts and "edge-1" in inventory.hosts
    assert group_hosts(inventory, "coolify_status_unreachable") is None

    with pytest.raises(AnsibleError, match="exactly one key, include or exclude"):
        build(tmp_path, fixture_emulator, filters=[{"include": "true", "exclude": "false"}])


def test_cache_hit_sends_no_request(emulator, tmp_path):
    options = dict(cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(tmp_path / "cache"),
                   cache_timeout=3600, lookup_tags=["canary"])
    first = build(tmp_path, emulator, **options)
    sent = len(emulator.requests_log())
    assert sent > 0
    assert os.listdir(str(tmp_path / "cache")), "the cache file was written"

    second = build(tmp_path, emulator, **options)
    assert len(emulator.requests_log()) == sent, "a cache hit sends no API call"
    assert sorted(second.hosts) == sorted(first.hosts)
    for name in first.hosts:
        assert hostvars(second, name) == hostvars(first, name)
    assert group_hosts(second, "coolify_tag_canary") == group_hosts(first, "coolify_tag_canary")

    # --flush-cache (cache=False) reads Coolify again.
    build(tmp_path, emulator, refresh=True, **options)
    assert len(emulator.requests_log()) == 2 * sent


@pytest.mark.parametrize("cached", [False, True])
def test_templates_in_api_strings_stay_literal(fixture_emulator, tmp_path, cached):
    options = {}
    if cached:
        options = dict(cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(tmp_path / "cache"))
        build(tmp_path, fixture_emulator, hosts=["applications"], **options)
    inventory = build(tmp_path, fixture_emulator, hosts=["applications"], **options)
    name = HOSTILE_APP % fixture_emulator.marker
    assert name in inventory.hosts
    variables = hostvars(inventory, name)
    assert variables["coolify_name"] == name
    rendered = Templar(loader=DataLoader(), variables=variables).template(trust_as_template("{{ coolify_name }}"))
    assert rendered == name
    assert not fixture_emulator.marker.exists(), "the lookup in the app name was executed"


def test_make_unsafe_wraps_every_string_even_trusted_ones():
    data = {trust_as_template("{{ key }}"): [trust_as_template("{{ 6 * 7 }}"), 3, None, True, {"a": trust_as_template("{{ 1 }}")}]}
    safe = make_unsafe(data)
    templar = Templar(loader=DataLoader(), variables={"v": safe})
    assert templar.template(trust_as_template("{{ v }}")) == {"{{ key }}": ["{{ 6 * 7 }}", 3, None, True, {"a": "{{ 1 }}"}]}
    # Control: the same data, not made unsafe, does get rendered, so the assertion above can fail.
    assert Templar(loader=DataLoader(), variables={"v": data[list(data)[0]]}).template(trust_as_template("{{ v }}"))[0] == 42


def test_no_secret_reaches_the_inventory(emulator, tmp_path):
    inventory = build(tmp_path, emulator, hosts=["servers", "applications", "services"], lookup_tags=["production"])
    dump = json.dumps(unsafe_plain(dict((name, hostvars(inventory, name)) for name in inventory.hosts)), default=str)
    state = emulator.state()
    secrets = [row["value"] for row in state["envs"] if row["value"] and len(row["value"]) >= 12]
    assert secrets, "the seed has secret env values to look for"
    for secret in secrets + [emulator.token, emulator.token.split("|")[1]]:
        assert secret not in dump
    for word in ("sentinel", "custom_labels", "docker_compose", "password", "private_key", "settings"):
        assert word not in dump


def test_token_and_url_from_environment_and_templated_token(emulator, tmp_path, monkeypatch):
    monkeypatch.setenv("COOLIFY_URL", emulator.base_url)
    monkeypatch.setenv("COOLIFY_ACCESS_TOKEN", emulator.token)
    inventory = build(tmp_path, emulator, api_url=None, api_token=None)
    assert "fsn1-01" in inventory.hosts

    monkeypatch.delenv("COOLIFY_ACCESS_TOKEN")
    monkeypatch.setenv("MY_SECRET_SOURCE", emulator.token)
    inventory = build(tmp_path, emulator, api_token="{{ lookup('ansible.builtin.env', 'MY_SECRET_SOURCE') }}")
    assert "fsn1-01" in inventory.hosts


def test_bad_token_fails_without_leaking_it(emulator, tmp_path):
    marker = "77|token-marker-that-must-not-leak"
    with pytest.raises(AnsibleError) as info:
        build(tmp_path, emulator, api_token=marker)
    text = str(info.value)
    assert "401" in text and "/servers" in text
    assert "token-marker" not in text


def test_api_disabled_is_reported(emulator, tmp_path):
    emulator.configure(api_enabled=False)
    with pytest.raises(AnsibleError, match="API is disabled"):
        build(tmp_path, emulator)


def test_credentials_in_repository_urls_never_reach_hostvars(emulator_factory, tmp_path):
    fixture = tmp_path / "fleet.json"
    fixture.write_text(json.dumps({
        "servers": [{"uuid": "srv-1", "name": "main", "ip": "192.0.2.10"}],
        "projects": [{"uuid": "prj-1", "name": "shop", "environments": ["production"]}],
        "applications": [{"uuid": "app-1", "name": "web", "project": "prj-1", "environment": "production",
                          "server": "srv-1", "git_repository": "https://deploy:ghp-inv-marker-456@github.com/acme/web.git"}],
    }))
    emu = emulator_factory("--fixture", str(fixture))
    inventory = build(tmp_path, emu, hosts=["applications"])
    dump = json.dumps(unsafe_plain(dict((name, hostvars(inventory, name)) for name in inventory.hosts)), default=str)
    assert "ghp-inv-marker-456" not in dump
    assert "https://********@github.com/acme/web.git" in dump
