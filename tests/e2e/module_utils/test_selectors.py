# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Selector resolution against a real emulator seeded with a fleet built for these rules."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import (
    SelectorError,
    has_selection,
    resolve,
    resolve_kinds,
)
from ansible_collections.coolops.coolify.tests.emulator.harness import EmulatorProcess

# Two projects, two servers. "api" exists in shop/production and shop/staging (ambiguous fleet-wide, unique per
# environment); "dup" twice inside blog (ambiguous even in its project).
FLEET = {
    "servers": [{"uuid": "srv-a", "name": "alpha"}, {"uuid": "srv-b", "name": "beta"}],
    "projects": [
        {"uuid": "prj-shop", "name": "shop", "environments": [{"name": "production", "uuid": "env-shop-prod"},
                                                              {"name": "staging", "uuid": "env-shop-stg"}]},
        {"uuid": "prj-blog", "name": "blog", "environments": [{"name": "production", "uuid": "env-blog-prod"}]},
    ],
    "tags": ["empty-tag"],
    "applications": [
        {"uuid": "app-web", "name": "web", "project": "shop", "environment": "production", "server": "alpha",
         "status": "running:healthy", "tags": ["frontend", "prod"]},
        {"uuid": "app-api", "name": "api", "project": "shop", "environment": "production", "server": "alpha",
         "status": "running:healthy", "tags": ["backend", "prod"]},
        {"uuid": "app-web-stg", "name": "web-staging", "project": "shop", "environment": "staging", "server": "beta",
         "status": "exited", "tags": ["frontend"]},
        {"uuid": "app-api-stg", "name": "api", "project": "shop", "environment": "staging", "server": "beta",
         "status": "exited"},
        {"uuid": "app-blog", "name": "blog", "project": "blog", "environment": "production", "server": "beta",
         "status": "running:unhealthy", "tags": ["prod"]},
        {"uuid": "app-dup-1", "name": "dup", "project": "blog", "server": "alpha"},
        {"uuid": "app-dup-2", "name": "dup", "project": "blog", "server": "beta"},
    ],
    "services": [
        {"uuid": "svc-cache", "name": "cache", "project": "shop", "environment": "production", "server": "alpha",
         "status": "running:healthy", "databases": [{"name": "redis"}]},
        {"uuid": "svc-mail", "name": "mail", "project": "blog", "server": "beta", "status": "exited",
         "applications": [{"name": "mailer"}]},
    ],
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    path = tmp_path_factory.mktemp("selectors") / "fleet.json"
    path.write_text(json.dumps(FLEET))
    with EmulatorProcess(args=["--fixture", str(path)]) as emu:
        yield emu


@pytest.fixture
def client(fleet):
    fleet.reset()
    with CoolifyClient(fleet.api_url, fleet.token, max_retries=0) as api:
        yield api


def uuids_of(resources):
    return [r["uuid"] for r in resources]


def api_calls(emu):
    return ["%s %s%s" % (r["method"], r["path"][len("/api/v1"):],
                         ("?" + "&".join("%s=%s" % kv for kv in sorted(r["query"].items()))) if r["query"] else "")
            for r in emu.requests_log()]


def select(client, kind="application", **params):
    return uuids_of(resolve(client, kind, params))


def failure(client, kind="application", **params):
    with pytest.raises(SelectorError) as info:
        resolve(client, kind, params)
    return info.value


# ---------------------------------------------------------------------------------------------------------------------
# Selecting: uuids, names, tags, their union and order
# ---------------------------------------------------------------------------------------------------------------------


def test_uuids_keep_the_order_given(client, fleet):
    assert select(client, uuids=["app-blog", "app-web"]) == ["app-blog", "app-web"]
    assert api_calls(fleet) == ["GET /applications"]


def test_names_select_unique_names(client, fleet):
    assert select(client, names=["web-staging", "blog"]) == ["app-web-stg", "app-blog"]
    assert api_calls(fleet) == ["GET /applications"]


def test_tags_select_with_one_call_per_tag(client, fleet):
    assert select(client, tags=["frontend"]) == ["app-web", "app-web-stg"]  # the API's order: by name
    assert api_calls(fleet) == ["GET /applications?tag=frontend"]


def test_union_is_deduplicated_in_order_uuids_names_tags(client, fleet):
    selected = select(client, uuids=["app-blog"], names=["web", "blog"], tags=["prod", "frontend"])
    assert selected == ["app-blog", "app-web", "app-api", "app-web-stg"]
    assert api_calls(fleet) == ["GET /applications", "GET /applications?tag=prod", "GET /applications?tag=frontend"]


def test_overlap_between_selectors_is_deduplicated(client):
    assert select(client, uuids=["app-web"], names=["web"]) == ["app-web"]


@pytest.mark.parametrize("params,needle", [
    ({"uuids": ["app-web", "app-web"]}, "repeated in uuids: app-web"),
    ({"names": ["web", "blog", "web"]}, "repeated in names: web"),
    ({"names": ["web", ""]}, "empty entry in names"),
    ({"tags": ["prod", " "]}, "empty entry in tags"),
])
def test_blank_or_repeated_entries_are_refused_before_any_call(client, fleet, params, needle):
    with pytest.raises(SelectorError) as info:
        select(client, **params)
    assert needle in str(info.value)
    assert api_calls(fleet) == []


# ---------------------------------------------------------------------------------------------------------------------
# Scoping: project, environment, server
# ---------------------------------------------------------------------------------------------------------------------


def test_project_alone_selects_every_resource_of_the_project(client, fleet):
    assert select(client, project="shop") == ["app-api", "app-api-stg", "app-web", "app-web-stg"]
    calls = api_calls(fleet)
    assert calls[:2] == ["GET /projects", "GET /projects/prj-shop"]
    assert sorted(calls[2:4]) == ["GET /projects/prj-shop/env-shop-prod", "GET /projects/prj-shop/env-shop-stg"]
    assert calls[4:] == ["GET /applications"]


def test_project_by_uuid_and_environment_by_name_or_uuid(client, fleet):
    assert select(client, project="prj-shop", environment="staging") == ["app-api-stg", "app-web-stg"]
    assert api_calls(fleet) == ["GET /projects", "GET /projects/prj-shop", "GET /projects/prj-shop/env-shop-stg",
                                "GET /applications"]
    assert select(client, project="shop", environment="env-shop-prod") == ["app-api", "app-web"]


def test_server_alone_selects_every_resource_on_it(client, fleet):
    assert select(client, server="beta") == ["app-api-stg", "app-blog", "app-dup-2", "app-web-stg"]
    assert api_calls(fleet) == ["GET /servers", "GET /servers/srv-b/resources", "GET /applications"]
    assert select(client, kind="service", server="srv-b") == ["svc-mail"]


def test_scopes_intersect(client):
    assert select(client, project="shop", server="beta") == ["app-api-stg", "app-web-stg"]
    assert select(client, project="blog", server="alpha") == ["app-dup-1"]
    assert select(client, project="shop", environment="production", server="beta") == []


def test_scope_narrows_tags_silently(client):
    assert select(client, tags=["prod"]) == ["app-api", "app-blog", "app-web"]
    assert select(client, tags=["prod"], project="shop") == ["app-api", "app-web"]
    assert select(client, tags=["prod", "frontend"], server="beta") == ["app-blog", "app-web-stg"]


def test_names_are_looked_up_inside_the_scope(client):
    error = failure(client, names=["api"])
    assert error.offenders == {"ambiguous names": ["api (app-api, app-api-stg)"]}
    assert select(client, names=["api"], project="shop", environment="staging") == ["app-api-stg"]
    assert select(client, names=["api"], server="alpha") == ["app-api"]
    error = failure(client, names=["api"], project="shop")  # both are in the project
    assert error.offenders == {"ambiguous names": ["api (app-api, app-api-stg)"]}


def test_explicit_resources_outside_the_scope_fail(client):
    error = failure(client, uuids=["app-blog", "app-web"], names=["dup"], project="shop")
    assert error.offenders == {
        "uuids outside project 'shop'": ["blog (app-blog)"],
        "names outside project 'shop'": ["dup (app-dup-1), dup (app-dup-2)"],
    }
    assert str(error) == ("Cannot select applications: uuids outside project 'shop': blog (app-blog); "
                          "names outside project 'shop': dup (app-dup-1), dup (app-dup-2).")
    error = failure(client, names=["web"], project="shop", environment="staging", server="beta")
    assert list(error.offenders) == ["names outside project 'shop' environment 'staging' and server 'beta'"]


# ---------------------------------------------------------------------------------------------------------------------
# Failures: every offender at once
# ---------------------------------------------------------------------------------------------------------------------


def test_every_offender_is_listed_in_one_error(client):
    error = failure(client, uuids=["nope-1", "app-web", "nope-2"], names=["ghost", "api", "web"],
                    tags=["empty-tag", "no-such-tag", "prod"])
    assert error.offenders == {
        "unknown uuids": ["nope-1", "nope-2"],
        "unknown names": ["ghost"],
        "ambiguous names": ["api (app-api, app-api-stg)"],
        "tags matching nothing": ["empty-tag", "no-such-tag"],
    }
    text = str(error)
    assert text.startswith("Cannot select applications: ") and text.endswith(".")
    for word in ("nope-1", "nope-2", "ghost", "app-api-stg", "empty-tag", "no-such-tag"):
        assert word in text
    details = error.to_dict()
    assert details["offenders"] == error.offenders and details["error_type"] == "SelectorError"


def test_tag_matching_nothing_in_the_scope_fails(client):
    error = failure(client, tags=["frontend", "backend"], project="blog")
    assert error.offenders == {"tags matching nothing in project 'blog'": ["frontend", "backend"]}


def test_unknown_scopes_fail_and_still_report_unknown_names(client):
    error = failure(client, names=["ghost", "web"], project="nowhere", server="gamma")
    assert error.offenders == {"unknown project": ["nowhere"], "unknown server": ["gamma"], "unknown names": ["ghost"]}
    error = failure(client, project="shop", environment="qa")
    assert error.offenders == {"unknown environment": ["qa (project shop has: production, staging)"]}


def test_environment_needs_a_project(client):
    error = failure(client, names=["web"], environment="production")
    assert error.offenders == {"environment without project": ["production"]}


def test_no_selector_fails_unless_everything_is_allowed(client):
    error = failure(client)
    assert "No applications were selected" in str(error)
    assert not has_selection({"uuids": [], "names": None, "environment": "x"})
    everything = resolve(client, "application", {}, allow_all=True)
    assert len(everything) == 7
    with pytest.raises(ValueError):
        resolve(client, "server", {"names": ["x"]})


# ---------------------------------------------------------------------------------------------------------------------
# Several kinds at once (coolify_info): a selector is satisfied when any kind resolves it
# ---------------------------------------------------------------------------------------------------------------------


def test_resolve_kinds_across_applications_and_services(client):
    result = resolve_kinds(client, ["application", "service"], {"names": ["web", "mail"]})
    assert uuids_of(result["application"]) == ["app-web"]
    assert uuids_of(result["service"]) == ["svc-mail"]
    result = resolve_kinds(client, ["application", "service"], {"project": "blog"})
    assert uuids_of(result["application"]) == ["app-blog", "app-dup-1", "app-dup-2"]
    assert uuids_of(result["service"]) == ["svc-mail"]
    with pytest.raises(SelectorError) as info:
        resolve_kinds(client, ["application", "service"], {"names": ["mail", "ghost", "cache"], "project": "blog"})
    assert info.value.offenders == {"unknown names": ["ghost"], "names outside project 'blog'": ["cache (svc-cache)"]}
