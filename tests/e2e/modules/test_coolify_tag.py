# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""coolify_tag end to end against the emulator (files/databases.yml): read first, exact check mode, idempotent."""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_tag
from ansible_collections.coolops.coolify.tests.e2e.modules.db_helpers import dbemu, writes  # pylint: disable=unused-import


def db_args(emu, **extra):
    args = {"api_url": emu.api_url, "api_token": emu.token}
    args.update(extra)
    return args


TAG = "coolops-nightly-stopped"


def tags_of(emu, uuid):
    status, _headers, body = emu.request("GET", "/databases/%s/tags" % uuid)
    assert status == 200
    return sorted(tag["name"] for tag in body)


def test_present_check_then_apply_then_idempotent_then_absent(dbemu, run_module):
    args = db_args(dbemu, resource_type="database", uuids=["db-shop-pg", "db-shop-redis"], tag=TAG.upper())
    check = run_module(coolify_tag, args, check_mode=True)
    assert check["changed"] is True and check["had_tag"] == [] and writes(dbemu) == []
    assert check["msg"] == "would add tag %s to 2 of 2 databases" % TAG

    result = run_module(coolify_tag, args)
    assert result["changed"] is True and result["tag"] == TAG
    assert TAG in tags_of(dbemu, "db-shop-pg") and TAG in tags_of(dbemu, "db-shop-redis")
    assert all(r["body"] == {"tag_name": TAG} for r in writes(dbemu))

    again = run_module(coolify_tag, args)
    assert again["changed"] is False and again["had_tag"] == ["db-shop-pg", "db-shop-redis"]
    assert len(writes(dbemu)) == 2

    gone = run_module(coolify_tag, dict(args, state="absent", uuids=["db-shop-pg"]))
    assert gone["changed"] is True and TAG not in tags_of(dbemu, "db-shop-pg") and TAG in tags_of(dbemu, "db-shop-redis")


def test_unknown_and_foreign_resources_fail_naming_them(dbemu, run_module):
    result = run_module(coolify_tag, db_args(dbemu, resource_type="database", uuids=["db-ghost", "db-acme", "db-shop-pg"],
                                             tag=TAG))
    assert result["failed"] is True
    errors = {item["uuid"]: item["error"] for item in result["resources"]}
    assert errors["db-ghost"].startswith("Could not add tag %s to database db-ghost:" % TAG) and "404" in errors["db-ghost"]
    assert "404" in errors["db-acme"] and errors["db-shop-pg"] is None
    assert [r["path"] for r in writes(dbemu)] == ["/api/v1/databases/db-shop-pg/tags"]


def test_bad_tag_name_fails_before_any_call(dbemu, run_module):
    result = run_module(coolify_tag, db_args(dbemu, resource_type="service", uuids=["x"], tag=" a "))
    assert result["failed"] is True and "at least 2 characters" in result["msg"]
    assert dbemu.requests_log() == []


@pytest.mark.parametrize("uuids, msg", [
    (["db-shop-pg", " "], "uuids must not contain blank entries."),
    (["db-shop-pg", " db-shop-pg"], "uuids must not repeat an entry."),
])
def test_blank_or_repeated_uuids_fail_before_any_call(dbemu, run_module, uuids, msg):
    result = run_module(coolify_tag, db_args(dbemu, resource_type="database", uuids=uuids, tag=TAG))
    assert result["failed"] is True and result["msg"] == msg
    assert dbemu.requests_log() == []


def test_max_workers_below_1_fails_before_any_call(dbemu, run_module):
    # Review of cover (dfd1703): _tags no longer checks max_workers; check_numbers must still refuse it first.
    result = run_module(coolify_tag, db_args(dbemu, resource_type="database", uuids=["db-shop-pg"], tag=TAG, max_workers=0))
    assert result["failed"] is True and "max_workers must be at least 1" in result["msg"]
    assert dbemu.requests_log() == []
