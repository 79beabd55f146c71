# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tag selection of services and databases: one GET …/{uuid}/tags per candidate left after narrowing (API-NOTES §17)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import SelectorError, resolve, resolve_kinds
from ansible_collections.coolops.coolify.tests.emulator.harness import EmulatorProcess

FLEET = {
    "servers": [{"uuid": "srv-a", "name": "alpha"}, {"uuid": "srv-b", "name": "beta"}],
    "projects": [
        {"uuid": "prj-shop", "name": "shop", "environments": [{"name": "production", "uuid": "env-shop-prod"},
                                                              {"name": "staging", "uuid": "env-shop-stg"}]},
        {"uuid": "prj-blog", "name": "blog", "environments": [{"name": "production", "uuid": "env-blog-prod"}]},
    ],
    "tags": ["empty-tag"],
    "applications": [{"uuid": "app-web", "name": "web", "project": "shop", "server": "alpha", "tags": ["nightly"]}],
    "services": [
        {"uuid": "svc-cache", "name": "cache", "project": "shop", "environment": "production", "server": "alpha",
         "status": "running:healthy", "tags": ["nightly", "prod"]},
        {"uuid": "svc-mail", "name": "mail", "project": "blog", "server": "beta", "status": "exited",
         "tags": ["nightly"]},
        {"uuid": "svc-queue", "name": "queue", "project": "shop", "environment": "staging", "server": "beta",
         "status": "running:healthy", "tags": ["prod"]},
        {"uuid": "svc-plain", "name": "plain", "project": "shop", "environment": "staging", "server": "beta",
         "status": "exited"},
    ],
    "databases": [
        {"uuid": "db-shop", "name": "shop-db", "project": "shop", "server": "alpha", "status": "running:healthy",
         "tags": ["nightly"]},
        {"uuid": "db-blog", "name": "blog-db", "project": "blog", "server": "beta", "status": "exited",
         "tags": ["prod"]},
        {"uuid": "db-plain", "name": "plain-db", "project": "blog", "server": "beta", "status": "exited"},
    ],
}


def _emulator(tmp_path_factory, *extra):
    path = tmp_path_factory.mktemp("selectors-tags") / "fleet.json"
    path.write_text(json.dumps(FLEET))
    return EmulatorProcess(args=["--fixture", str(path)] + list(extra))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with _emulator(tmp_path_factory) as emu:
        yield emu


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    with _emulator(tmp_path_factory, "--fail-path", "/services/svc-mail/tags") as emu:
        yield emu


def _client(emu):
    emu.reset()
    return CoolifyClient(emu.api_url, emu.token, max_retries=0)


@pytest.fixture
def client(fleet):
    with _client(fleet) as api:
        yield api


def tag_reads(emu):
    return sorted(r["path"][len("/api/v1"):] for r in emu.requests_log() if r["path"].endswith("/tags"))


def select(client, kind, **params):
    return [r["uuid"] for r in resolve(client, kind, params)]


def test_services_by_tag_pick_exactly_the_tagged_ones(client, fleet):
    assert select(client, "service", tags=["nightly"]) == ["svc-cache", "svc-mail"]
    # One list, then one tags read per service (no scope: every service is a candidate).
    assert len(tag_reads(fleet)) == 4
    assert [r["path"] for r in fleet.requests_log()].count("/api/v1/services") == 1


def test_databases_by_tag_pick_exactly_the_tagged_ones(client, fleet):
    assert select(client, "database", tags=["prod"]) == ["db-blog"]
    assert tag_reads(fleet) == ["/databases/db-blog/tags", "/databases/db-plain/tags", "/databases/db-shop/tags"]


def test_any_tag_selects_as_for_applications_and_names_compare_lowercase(client):
    assert select(client, "service", tags=["PROD", "nightly"]) == ["svc-cache", "svc-queue", "svc-mail"]


def test_scope_narrows_before_the_tag_reads(client, fleet):
    assert select(client, "service", tags=["prod"], project="shop", environment="staging") == ["svc-queue"]
    assert tag_reads(fleet) == ["/services/svc-plain/tags", "/services/svc-queue/tags"]
    fleet.reset()
    assert select(client, "database", tags=["nightly"], server="alpha") == ["db-shop"]
    assert tag_reads(fleet) == ["/databases/db-shop/tags"]


def test_status_narrows_before_the_tag_reads(client, fleet):
    selected = resolve_kinds(client, ["database"], {"tags": ["nightly"], "status": ["running"]}, allow_all=True)
    assert [r["uuid"] for r in selected["database"]] == ["db-shop"]
    assert tag_reads(fleet) == ["/databases/db-shop/tags"]


def test_union_with_uuids_and_names_is_deduplicated(client):
    assert select(client, "service", uuids=["svc-plain"], names=["cache"], tags=["nightly"]) == [
        "svc-plain", "svc-cache", "svc-mail"]


def test_tag_matching_nothing_fails(client):
    with pytest.raises(SelectorError) as info:
        select(client, "database", tags=["empty-tag", "no-such-tag", "nightly"])
    assert info.value.offenders == {"tags matching nothing": ["empty-tag", "no-such-tag"]}
    with pytest.raises(SelectorError) as info:
        select(client, "service", tags=["nightly"], project="shop", environment="staging")
    assert info.value.offenders == {"tags matching nothing in project 'shop' environment 'staging'": ["nightly"]}


def test_across_kinds_a_tag_is_satisfied_by_either_kind(client, fleet):
    selected = resolve_kinds(client, ["service", "database"], {"tags": ["prod"], "project": "blog"})
    assert {k: [r["uuid"] for r in v] for k, v in selected.items()} == {"service": [], "database": ["db-blog"]}
    assert tag_reads(fleet) == ["/databases/db-blog/tags", "/databases/db-plain/tags", "/services/svc-mail/tags"]


@pytest.mark.parametrize("tags", [[], [" "], None])
def test_an_empty_tags_list_fails_closed_before_any_tag_read(client, fleet, tags):
    with pytest.raises(SelectorError):
        resolve(client, "service", {"tags": tags})
    assert tag_reads(fleet) == []


def test_a_failed_tag_read_fails_the_selection(broken):
    with _client(broken) as api:
        with pytest.raises(SelectorError) as info:
            resolve(api, "service", {"tags": ["prod"], "max_workers": 2})
    message = str(info.value)
    assert "reading the tags of service mail (svc-mail) failed" in message
    assert info.value.offenders == {"tag read failed": ["mail (svc-mail)"]}
    assert message.count(". ") == 0  # one sentence


def test_a_failed_tag_read_outside_the_narrowed_candidates_is_never_made(broken):
    with _client(broken) as api:
        assert select(api, "service", tags=["prod"], project="shop") == ["svc-cache", "svc-queue"]
    assert "/services/svc-mail/tags" not in tag_reads(broken)
