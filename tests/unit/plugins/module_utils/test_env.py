# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure tests of the env planner: parsing, (key, is_preview) matching, prune, protection, hidden values, restore plans."""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _env_plan
from ansible_collections.coolops.coolify.plugins.module_utils._env_input import DEFAULT_FLAGS, EnvInputError, parse_env
from ansible_collections.coolops.coolify.plugins.module_utils._env_plan import plan_resource
from ansible_collections.coolops.coolify.plugins.module_utils._redact import WITHHELD, mask, mask_quoted

APP = {"uuid": "app1", "name": "web"}
SVC = {"uuid": "svc1", "name": "db"}
SECRET = "s3cr3t-marker-9f2c"


def row(key, value="v", is_preview=False, uuid=None, **flags):
    data = {"uuid": uuid or "u-%s-%d" % (key, int(is_preview)), "key": key, "is_preview": is_preview, "comment": None}
    data.update(DEFAULT_FLAGS)
    data.update(flags)
    if value is not _HIDDEN:
        data["value"] = value
    return data


_HIDDEN = object()


def plan(rows, env, kind="application", resource=None, **kwargs):
    desired, _warnings = parse_env(env, kwargs.get("state", "present"))
    return plan_resource(kind, resource or (APP if kind == "application" else SVC), rows, desired, **kwargs)


# ------------------------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize("key", ["1ABC", "A-B", "A B", " A", "ÄPFEL", "", "A$"])
def test_invalid_keys_are_refused_before_planning(key):
    with pytest.raises(EnvInputError, match="invalid"):
        parse_env({key: "x"})


def test_valid_keys_include_dots_and_underscores():
    desired, dummy = parse_env({"_A.b_9": "x", "Z": "y"})
    assert [item.key for item in desired] == ["Z", "_A.b_9"]


def test_key_longer_than_255_is_refused():
    parse_env({"K" * 255: "x"})
    with pytest.raises(EnvInputError, match="longer than 255"):
        parse_env({"K" * 256: "x"})


@pytest.mark.parametrize("value", [8080, 1.5, True, False, ["a"]])
def test_non_string_values_are_refused_naming_the_key(value):
    with pytest.raises(EnvInputError) as info:
        parse_env({"PORT": value})
    text = str(info.value)
    assert "PORT" in text and "quote it" in text
    assert str(value) not in text.replace("PORT", "")


def test_non_string_value_inside_a_dict_is_refused():
    with pytest.raises(EnvInputError, match="PORT"):
        parse_env({"PORT": {"value": 8080}})


def test_dict_form_parses_flags_and_comment():
    desired, dummy = parse_env({"K": {"value": SECRET, "is_literal": True, "is_buildtime": "no", "comment": "why"}})
    item = desired[0]
    assert item.value == SECRET
    assert item.flags == {"is_literal": True, "is_buildtime": False}
    assert item.has_comment and item.comment == "why"


def test_dict_form_rejects_unknown_fields_and_missing_value():
    with pytest.raises(EnvInputError, match="unknown field"):
        parse_env({"K": {"value": "x", "is_secret": True}})
    with pytest.raises(EnvInputError, match="without a value"):
        parse_env({"K": {"is_literal": True}})
    with pytest.raises(EnvInputError, match="must be a boolean"):
        parse_env({"K": {"value": "x", "is_literal": "maybe"}})
    with pytest.raises(EnvInputError, match="comment"):
        parse_env({"K": {"value": "x", "comment": "c" * 257}})


def test_absent_ignores_values_but_checks_keys():
    desired, dummy = parse_env({"K": 5, "L": None}, state="absent")
    assert [item.key for item in desired] == ["K", "L"]
    with pytest.raises(EnvInputError):
        parse_env({"bad key": None}, state="absent")


def test_whitespace_warning_names_the_key_never_the_value():
    _desired, warnings = parse_env({"K": "  %s  " % SECRET})
    assert len(warnings) == 1 and "K" in warnings[0]
    assert SECRET not in warnings[0]


def test_error_messages_never_contain_values():
    for env in ({"K": {"value": SECRET, "bogus": 1}}, {"K": {"value": SECRET, "is_literal": "x"}}):
        with pytest.raises(EnvInputError) as info:
            parse_env(env)
        assert SECRET not in str(info.value)


# ------------------------------------------------------------------------------------------------ planning


def test_create_uses_coolify_defaults_and_full_flag_set():
    result = plan([], {"K": "v"})
    assert result.added == [("K", False)]
    assert result.items == [{"key": "K", "value": "v", "is_preview": False, "is_literal": False, "is_multiline": False,
                             "is_shown_once": False, "is_runtime": True, "is_buildtime": True, "comment": None}]
    assert result.changed


def test_update_preserves_flags_the_user_did_not_give():
    current = [row("K", "old", is_literal=True, is_buildtime=False, comment="keep")]
    result = plan(current, {"K": "new"})
    assert result.updated == [("K", False)]
    item = result.items[0]
    assert item["is_literal"] is True and item["is_buildtime"] is False and item["comment"] == "keep"
    assert item["value"] == "new"


def test_same_value_and_flags_is_unchanged_with_no_items():
    result = plan([row("K", "v")], {"K": "v"})
    assert result.unchanged == [("K", False)]
    assert not result.items and not result.changed


def test_comparison_follows_coolify_trimming_and_empty_as_null():
    assert not plan([row("K", "v")], {"K": "  v\n"}).changed
    assert not plan([row("K", None)], {"K": ""}).changed
    assert plan([row("K", None)], {"K": "x"}).changed


def test_flag_difference_alone_is_an_update():
    result = plan([row("K", "v")], {"K": {"value": "v", "is_literal": True}})
    assert result.updated == [("K", False)]
    assert ("K", False) not in result.changed_values
    assert result.items[0]["is_literal"] is True


def test_comment_difference_is_an_update_only_when_given():
    assert plan([row("K", "v", comment="a")], {"K": {"value": "v", "comment": "b"}}).changed
    assert not plan([row("K", "v", comment="a")], {"K": {"value": "v"}}).changed


def test_production_scope_ignores_preview_rows():
    current = [row("K", "v"), row("K", "stale", is_preview=True), row("P", "x", is_preview=True)]
    result = plan(current, {"K": "v"}, prune=True)
    assert not result.changed
    assert result.unchanged == [("K", False)]


def test_preview_scope_matches_preview_rows_only():
    current = [row("K", "v"), row("K", "old", is_preview=True)]
    result = plan(current, {"K": "v"}, scope="preview")
    assert result.updated == [("K", True)]
    assert result.items[0]["is_preview"] is True


def test_both_scope_orders_preview_items_first():
    """A production create after its preview row exists makes Coolify skip the automatic preview copy."""
    result = plan([], {"K": "v"}, scope="both")
    assert [(item["key"], item["is_preview"]) for item in result.items] == [("K", True), ("K", False)]
    assert result.labels("added") == ["K@preview", "K"]


def test_services_have_no_preview_scope():
    with pytest.raises(EnvInputError, match="no preview"):
        plan([], {"K": "v"}, kind="service", scope="both")


def test_service_rows_match_on_key_even_with_a_preview_flag():
    result = plan([row("K", "v", is_preview=True)], {"K": "v"}, kind="service")
    assert result.unchanged == [("K", False)]
    created = plan([], {"K": "v"}, kind="service")
    assert created.items[0]["is_preview"] is False


def test_absent_deletes_listed_rows_in_scope_by_uuid():
    current = [row("K", "v", uuid="e1"), row("K", "v", is_preview=True, uuid="e2"), row("L", "v", uuid="e3")]
    result = plan(current, {"K": None, "MISSING": None}, state="absent")
    assert result.deletes == [(("K", False), "e1")]
    both = plan(current, {"K": None}, state="absent", scope="both")
    assert sorted(uuid for _id, uuid in both.deletes) == ["e1", "e2"]


def test_prune_removes_unlisted_keys_in_scope_but_never_service_keys():
    current = [row("K", "v"), row("OLD", "x", uuid="old"), row("OLD", "x", is_preview=True, uuid="oldp"),
               row("SERVICE_FQDN_APP", "https://x", uuid="svc")]
    result = plan(current, {"K": "v"}, prune=True)
    assert result.removed == [("OLD", False)]
    assert result.deletes == [(("OLD", False), "old")]
    managed = plan(current, {"K": "v"}, prune=True, manage_service_keys=True)
    assert sorted(uuid for _id, uuid in managed.deletes) == ["old", "svc"]


def test_prune_needs_state_present():
    with pytest.raises(EnvInputError, match="prune"):
        plan([], {"K": None}, state="absent", prune=True)


def test_listing_a_service_key_needs_manage_service_keys():
    with pytest.raises(EnvInputError, match="SERVICE_PASSWORD_DB"):
        plan([], {"SERVICE_PASSWORD_DB": "x"}, kind="service")
    assert plan([], {"SERVICE_PASSWORD_DB": "x"}, kind="service", manage_service_keys=True).changed


# ------------------------------------------------------------------------------------------------ hidden values


def test_hidden_value_update_policy_rewrites_and_marks_hidden():
    result = plan([row("K", _HIDDEN)], {"K": "v"})
    assert result.updated == [("K", False)] and result.hidden == [("K", False)]
    assert result.items[0]["value"] == "v"


def test_hidden_value_skip_policy_leaves_the_row():
    result = plan([row("K", _HIDDEN)], {"K": "v"}, hidden_values="skip")
    assert result.skipped == [("K", False)] and not result.items


def test_hidden_value_fail_policy_reports_an_error_naming_read_sensitive():
    result = plan([row("K", _HIDDEN)], {"K": "v"}, hidden_values="fail")
    assert not result.items
    warnings, error = _env_plan.hidden_value_messages([result], "fail")
    assert warnings == [] and "read:sensitive" in error and "K" in error


def test_hidden_value_warnings_distinguish_shown_once():
    missing = plan([row("K", _HIDDEN)], {"K": "v"})
    once = plan([row("K", _HIDDEN, is_shown_once=True)], {"K": "v"})
    warnings, error = _env_plan.hidden_value_messages([missing], "update")
    assert error is None and "read:sensitive" in warnings[0] and "is_shown_once" not in warnings[0]
    warnings, error = _env_plan.hidden_value_messages([once], "update")
    assert "is_shown_once" in warnings[0] and "read:sensitive" not in warnings[0]
    warnings, dummy = _env_plan.hidden_value_messages([plan([row("K", _HIDDEN)], {"K": "v"}, hidden_values="skip")], "skip")
    assert "skipped 1" in warnings[0]


# ------------------------------------------------------------------------------------------------ diff


def test_diff_masks_every_value_and_marks_changes():
    current = [row("A", SECRET), row("B", SECRET), row("C", SECRET, uuid="c")]
    result = plan(current, {"A": SECRET + "-new", "B": SECRET, "D": SECRET}, prune=True)
    before, after = result.diff()
    assert sorted(before) == ["A", "B", "C"] and sorted(after) == ["A", "B", "D"]
    assert after["A"]["value"] == "******** (changed)" and before["A"]["value"] == "********"
    assert after["B"] == before["B"]
    assert SECRET not in repr((before, after))


# ------------------------------------------------------------------------------------------------ restore planning


def test_restore_writes_back_only_rows_that_differ():
    snapshot = [row("A", "old-a", is_literal=True, comment="c"), row("B", "old-b"), row("R", "gone", uuid="r")]
    result = plan(snapshot, {"A": "new-a", "B": "new-b", "N": "n"}, prune=True)
    # After a partial write: A written, B not yet, R deleted, N created plus its preview copy.
    now = [row("A", "new-a", is_literal=True, comment="c"), row("B", "old-b"), row("N", "n", uuid="n1"),
           row("N", "n", is_preview=True, uuid="n2")]
    items, unrestorable = _env_plan.plan_restore(result, now)
    assert unrestorable == []
    assert [(item["key"], item["value"]) for item in items] == [("A", "old-a"), ("R", "gone")]
    assert items[0]["is_literal"] is True and items[0]["comment"] == "c"
    cleanup = _env_plan.plan_cleanup(result, now)
    assert sorted(uuid for _id, uuid in cleanup) == ["n1", "n2"]


def test_cleanup_keeps_preview_rows_that_existed_and_untouched_keys():
    snapshot = [row("A", "a", is_preview=True, uuid="ap")]
    result = plan(snapshot, {"A": "a"})
    now = [row("A", "a", uuid="new"), row("A", "a", is_preview=True, uuid="ap"), row("OTHER", "x", uuid="o")]
    assert _env_plan.plan_cleanup(result, now) == [(("A", False), "new")]


def test_restore_reports_rows_whose_previous_value_was_hidden():
    result = plan([row("A", _HIDDEN)], {"A": "new"})
    items, unrestorable = _env_plan.plan_restore(result, [row("A", "new")])
    assert items == [] and unrestorable == [("A", False)]


# ------------------------------------------------------------------------------------------------ scrubbing


def test_scrub_masks_every_known_value():
    desired, dummy = parse_env({"K": " %s " % SECRET})
    result = plan([row("OLD", "previous-secret-1")], {"K": " %s " % SECRET})
    secrets = _env_plan.secrets_of(desired, [result])
    text = mask("error near %s and previous-secret-1" % SECRET, secrets)
    assert SECRET not in text and "previous-secret-1" not in text and text.count("********") == 2


def test_quoted_text_masks_long_values_and_withholds_texts_with_short_ones():
    assert mask_quoted("bad value %s here" % SECRET, [SECRET]) == "bad value ******** here"
    assert mask_quoted("The value field must be a string.", [SECRET, "a"]) == WITHHELD
    assert mask_quoted("Server Error", ["2", "true"]) == "Server Error"


# ------------------------------------------------------------------------------------------------ settling a failed write


def test_observe_write_settles_written_not_written_partly_and_unknown():
    snapshot = [row("A", "old-a"), row("B", "old-b"), row("R", "r", uuid="r1")]
    result = plan(snapshot, {"A": "new-a", "B": "new-b", "N": "n"}, prune=True)
    items, deletes = result.items, result.deletes
    written = [row("A", "new-a"), row("B", "new-b"), row("N", "n", uuid="n1")]
    assert _env_plan.observe_write(result, written, items, deletes) == "written"
    assert _env_plan.observe_write(result, snapshot, items, deletes) == "not_written"
    assert _env_plan.observe_write(result, [row("A", "new-a"), row("B", "old-b"), row("R", "r", uuid="r1")], items) == "partly"
    # Deletes pending while the upsert landed: partly.
    assert _env_plan.observe_write(result, written + [row("R", "r", uuid="r1")], items, deletes) == "partly"
    # A value the token cannot read, or a row changed by someone else: unknown.
    assert _env_plan.observe_write(result, [row("A", _HIDDEN), row("B", "new-b"), row("N", "n")], items) == "unknown"
    assert _env_plan.observe_write(result, [row("A", "third"), row("B", "new-b"), row("N", "n")], items) == "unknown"


def test_remaining_changes_name_keys_and_how_never_values():
    snapshot = [row("A", "old-a"), row("R", "r", uuid="r1"), row("H", _HIDDEN)]
    result = plan(snapshot, {"A": "new-a", "H": "h", "N": "n"}, prune=True)
    now = [row("A", "new-a"), row("H", _HIDDEN), row("N", "n", uuid="n1"), row("N", "n", is_preview=True, uuid="n2")]
    assert _env_plan.remaining_changes(result, now) == [
        ("A", "changed"), ("H", "changed"), ("R", "deleted"), ("N", "added"), ("N@preview", "added")]
    assert _env_plan.remaining_changes(result, snapshot) == [("H", "changed")]
    assert _env_plan.remaining_changes(result, None) == [("N", "unknown"), ("A", "unknown"), ("H", "unknown"),
                                                         ("R", "unknown")]
