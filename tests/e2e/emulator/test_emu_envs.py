# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The environment-variable store of applications and services, with Coolify's exact rules and messages."""

from __future__ import annotations

import pytest

EXISTS = {"message": "Environment variable already exists. Use PATCH request to update it."}


def rows(api, key, kind="applications", uuid="app-web"):
    return [env for env in api.get("/%s/%s/envs" % (kind, uuid)).json() if env["key"] == key]


def test_list_order_non_preview_first_and_value_hiding(api):
    envs = api.get("/applications/app-web/envs").json()
    assert [(env["key"], env["is_preview"]) for env in envs] == [
        ("APP_ENV", False), ("DATABASE_URL", False), ("API_TOKEN", False), ("MULTI", False), ("APP_ENV", True)]
    assert "id" not in envs[0]
    assert envs[1]["value"] == "postgres://shop:s3cret@db:5432/shop"
    assert envs[1]["real_value"] == "postgres://shop:s3cret@db:5432/shop"
    assert envs[3]["real_value"] == "'line1\nline2'"
    for env in api.get("/applications/app-web/envs", token="2|read-only").json():
        assert "value" not in env and "real_value" not in env
    sensitive = api.get("/applications/app-web/envs", token="3|sensitive-reader").json()
    assert sensitive[1]["value"].startswith("postgres://")


def test_shown_once_values_are_always_hidden(api):
    for token in (None, "3|sensitive-reader"):
        env = rows(api, "API_TOKEN")[0] if token is None else [
            env for env in api.get("/applications/app-web/envs", token=token).json() if env["key"] == "API_TOKEN"][0]
        assert env["is_shown_once"] is True
        assert "value" not in env and "real_value" not in env


def test_create_returns_uuid_and_makes_the_preview_copy(api):
    payload = {"key": "FEATURE_X", "value": "on", "is_literal": True, "is_shown_once": True, "comment": "flag"}
    resp = api.post("/applications/app-web/envs", json=payload)
    assert resp.status_code == 201
    assert list(resp.json()) == ["uuid"]
    found = rows(api, "FEATURE_X")
    assert [env["is_preview"] for env in found] == [False, True]
    assert found[0]["uuid"] == resp.json()["uuid"]
    preview = found[1]
    assert preview["is_literal"] is True and preview["comment"] == "flag"
    assert preview["is_shown_once"] is False
    assert preview["value"] == "on"


def test_create_preview_only_makes_no_copy_and_sets_are_independent(api):
    assert api.post("/applications/app-api/envs", json={"key": "ONLY_PREVIEW", "value": "p", "is_preview": True}).status_code == 201
    assert [env["is_preview"] for env in rows(api, "ONLY_PREVIEW", uuid="app-api")] == [True]
    # the preview row does not block the normal one, and no second preview copy appears
    assert api.post("/applications/app-api/envs", json={"key": "ONLY_PREVIEW", "value": "n"}).status_code == 201
    assert sorted(env["is_preview"] for env in rows(api, "ONLY_PREVIEW", uuid="app-api")) == [False, True]


def test_duplicate_create_is_409(api):
    resp = api.post("/applications/app-web/envs", json={"key": "APP_ENV", "value": "x"})
    assert resp.status_code == 409
    assert resp.json() == EXISTS
    assert api.post("/applications/app-web/envs", json={"key": "APP_ENV", "value": "x", "is_preview": True}).json() == EXISTS


@pytest.mark.parametrize("key", ["1ABC", "MY KEY", "MY-KEY", "K" * 256, "$X"])
def test_key_pattern_is_422(api, key):
    resp = api.post("/applications/app-web/envs", json={"key": key, "value": "x"})
    assert resp.status_code == 422
    body = resp.json()
    assert body["message"] == "Validation failed."
    assert "key" in body["errors"]


def test_key_messages(api):
    assert api.post("/applications/app-web/envs", json={"key": "1A"}).json()["errors"] == {
        "key": ["The key field format is invalid."]}
    assert api.post("/applications/app-web/envs", json={"value": "x"}).json()["errors"] == {
        "key": ["This field is required."]}
    assert api.post("/applications/app-web/envs", json={"key": "K" * 256}).json()["errors"] == {
        "key": ["The key field must not be greater than 255 characters."]}
    assert api.post("/applications/app-web/envs", json={"key": "A.b_C9"}).status_code == 201


@pytest.mark.parametrize("value, ok", [(True, True), (False, True), (0, True), (1, True), ("0", True), ("1", True),
                                       ("true", False), ("false", False), (2, False), ("yes", False), (None, False)])
def test_strict_booleans(api, value, ok):
    resp = api.post("/applications/app-web/envs", json={"key": "BOOL_TEST", "value": "v", "is_literal": value})
    if ok:
        assert resp.status_code == 201
    else:
        assert resp.status_code == 422
        assert resp.json()["errors"] == {"is_literal": ["The is literal field must be true or false."]}


def test_is_preview_message(api):
    resp = api.post("/applications/app-web/envs", json={"key": "X1", "is_preview": "true"})
    assert resp.json()["errors"] == {"is_preview": ["The is preview field must be true or false."]}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_unknown_fields_are_not_allowed_on_app_env_routes(api, method):
    resp = api.call(method, "/applications/app-web/envs", json={"key": "APP_ENV", "value": "x", "is_build_time": True})
    assert resp.status_code == 422
    assert resp.json() == {"message": "Validation failed.", "errors": {"is_build_time": ["This field is not allowed."]}}


@pytest.mark.parametrize("value", [5, 1.5, True, ["a"], {"a": 1}])
def test_numbers_and_non_strings_are_rejected_as_values(api, value):
    resp = api.post("/applications/app-web/envs", json={"key": "NUM", "value": value})
    assert resp.status_code == 422
    assert resp.json()["errors"] == {"value": ["The value field must be a string."]}


def test_comment_too_long(api):
    resp = api.post("/applications/app-web/envs", json={"key": "C", "comment": "x" * 257})
    assert resp.json()["errors"] == {"comment": ["The comment field must not be greater than 256 characters."]}


def test_strings_are_trimmed_and_empty_becomes_null(api):
    assert api.post("/applications/app-web/envs", json={"key": "  TRIMMED  ", "value": "  x  "}).status_code == 201
    assert rows(api, "TRIMMED")[0]["value"] == "x"
    assert api.post("/applications/app-web/envs", json={"key": "EMPTY", "value": ""}).status_code == 201
    assert rows(api, "EMPTY")[0]["value"] is None
    assert api.post("/applications/app-web/envs", json={"key": "   "}).json()["errors"] == {"key": ["This field is required."]}


def test_patch_semantics_value_and_is_literal_are_always_written(api):
    api.post("/applications/app-api/envs", json={"key": "P", "value": "v1", "is_literal": True, "comment": "keep", "is_runtime": False})
    resp = api.patch("/applications/app-api/envs", json={"key": "P", "is_multiline": False, "is_shown_once": False})
    assert resp.status_code == 201
    body = resp.json()
    assert body["value"] is None
    assert body["is_literal"] is False
    assert body["comment"] == "keep"
    assert body["is_runtime"] is False
    payload = {"key": "P", "value": " v2 ", "is_literal": True, "is_runtime": True, "comment": "new", "is_multiline": False,
               "is_shown_once": False}
    body = api.patch("/applications/app-api/envs", json=payload).json()
    assert (body["value"], body["is_literal"], body["is_runtime"], body["comment"]) == ("v2", True, True, "new")
    # only the addressed row changes: the preview copy keeps its value
    preview = [env for env in rows(api, "P", uuid="app-api") if env["is_preview"]][0]
    assert preview["value"] == "v1"


def test_patch_preview_row_and_missing_key(api):
    payload = {"key": "APP_ENV", "value": "pv", "is_preview": True, "is_multiline": False, "is_shown_once": False}
    resp = api.patch("/applications/app-web/envs", json=payload)
    assert resp.status_code == 201 and resp.json()["is_preview"] is True
    assert [env["value"] for env in rows(api, "APP_ENV")] == ["production", "pv"]
    resp = api.patch("/applications/app-web/envs", json={"key": "NOPE", "value": "x"})
    assert resp.status_code == 404
    assert resp.json() == {"message": "Environment variable not found."}


def test_patch_omitting_a_true_multiline_flag_is_a_500(api):
    resp = api.patch("/applications/app-web/envs", json={"key": "MULTI", "value": "x"})
    assert resp.status_code == 500
    assert rows(api, "MULTI")[0]["value"] == "line1\nline2"


@pytest.mark.parametrize("path", ["/applications/app-web/envs", "/applications/app-web/envs/bulk"])
@pytest.mark.parametrize("body, content_type, reason", [
    ('{"key": "A"}', "text/plain", "Content-Type must be application/json."),
    ("[]", "application/json", "Invalid JSON."),
    ("not json", "application/json", "Invalid JSON."),
    ("0", "application/json", "Invalid JSON."),
    ("{}", "application/json", "Empty JSON."),
])
def test_body_guard_on_app_patch_and_bulk(api, path, body, content_type, reason):
    resp = api.patch(path, data=body, headers={"Content-Type": content_type})
    assert resp.status_code == 400
    assert resp.json() == {"message": "Invalid request.", "error": reason}


def test_body_guard_comes_before_the_application_lookup(api):
    resp = api.patch("/applications/missing/envs", data="{}", headers={"Content-Type": "application/json"})
    assert resp.json()["error"] == "Empty JSON."
    resp = api.patch("/applications/missing/envs", json={"key": "A"})
    assert resp.status_code == 404 and resp.json() == {"message": "Application not found"}


def test_bulk_upserts_and_returns_201_array(api):
    resp = api.patch("/applications/app-web/envs/bulk", json={"data": [
        {"key": "APP_ENV", "value": "prod2", "is_multiline": False, "is_shown_once": False},
        {"key": "BRAND_NEW", "value": "n", "unknown_field": "dropped"},
    ]})
    assert resp.status_code == 201
    body = resp.json()
    assert [env["key"] for env in body] == ["APP_ENV", "BRAND_NEW"]
    assert body[0]["value"] == "prod2"
    assert [env["is_preview"] for env in rows(api, "BRAND_NEW")] == [False, True]


def test_bulk_commits_partially_on_an_invalid_item(api):
    resp = api.patch("/applications/app-web/envs/bulk", json={"data": [
        {"key": "FIRST_OK", "value": "1"}, {"key": "BAD KEY", "value": "2"}, {"key": "NEVER", "value": "3"}]})
    assert resp.status_code == 422
    assert resp.json() == {"message": "Validation failed.", "errors": {"key": ["The key field format is invalid."]}}
    assert rows(api, "FIRST_OK")
    assert not rows(api, "NEVER")


@pytest.mark.parametrize("payload", [{"data": []}, {"other": 1}, {"data": None}])
def test_bulk_data_is_required(api, payload):
    resp = api.patch("/applications/app-web/envs/bulk", json=payload)
    assert resp.status_code == 400
    assert resp.json() == {"message": "Bulk data is required."}


def test_delete_by_uuid_only_that_row(api):
    env = rows(api, "APP_ENV")[0]
    resp = api.delete("/applications/app-web/envs/" + env["uuid"])
    assert resp.status_code == 200 and resp.json() == {"message": "Environment variable deleted."}
    assert [row["is_preview"] for row in rows(api, "APP_ENV")] == [True]
    assert api.delete("/applications/app-web/envs/" + env["uuid"]).json() == {"message": "Environment variable not found."}
    assert api.delete("/applications/missing/envs/x").json() == {"message": "Application not found."}
    other = api.get("/services/svc-analytics/envs").json()[0]["uuid"]
    assert api.delete("/applications/app-web/envs/" + other).status_code == 404


def test_app_env_404_texts(api):
    assert api.get("/applications/missing/envs").json() == {"message": "Application not found"}
    assert api.post("/applications/missing/envs", json={"key": "A"}).json() == {"message": "Application not found"}
    assert api.patch("/applications/missing/envs/bulk", json={"data": [{"key": "A"}]}).json() == {
        "message": "Application not found"}


# -------------------------------------------------------------------------------------------------- services

def test_service_envs_list_and_is_coolify(api):
    envs = api.get("/services/svc-analytics/envs").json()
    flags = {env["key"]: env["is_coolify"] for env in envs}
    assert flags == {"SERVICE_FQDN_PLAUSIBLE": True, "SERVICE_PASSWORD_POSTGRES": True, "TZ": False}
    assert all("value" not in env for env in api.get("/services/svc-analytics/envs", token="2|read-only").json())


def test_service_env_create_returns_the_full_object_and_ignores_preview(api):
    resp = api.post("/services/svc-analytics/envs", json={"key": "NEW", "value": "v", "is_preview": True, "is_runtime": False,
                                                          "whatever": 1})
    assert resp.status_code == 201
    body = resp.json()
    assert body["key"] == "NEW" and body["value"] == "v" and "uuid" in body
    assert body["is_preview"] is False and body["is_runtime"] is True
    assert len(rows(api, "NEW", "services", "svc-analytics")) == 1
    assert api.post("/services/svc-analytics/envs", json={"key": "NEW", "value": "w"}).json() == EXISTS
    resp = api.post("/services/svc-analytics/envs", json={"key": "2BAD"})
    assert resp.status_code == 422 and "key" in resp.json()["errors"]
    assert api.post("/services/svc-analytics/envs", json={"key": "N2", "value": 3}).status_code == 422


def test_service_env_patch_changes_flags_only_when_given(api):
    api.post("/services/svc-analytics/envs", json={"key": "SV", "value": "a", "is_literal": True, "is_multiline": True,
                                                   "comment": "c"})
    resp = api.patch("/services/svc-analytics/envs", json={"key": "SV"})
    assert resp.status_code == 201
    body = resp.json()
    assert body["value"] is None
    assert (body["is_literal"], body["is_multiline"], body["comment"]) == (True, True, "c")
    body = api.patch("/services/svc-analytics/envs", json={"key": "SV", "value": "b", "is_literal": False}).json()
    assert (body["value"], body["is_literal"], body["is_multiline"]) == ("b", False, True)
    resp = api.patch("/services/svc-analytics/envs", json={"key": "NOPE", "value": "x"})
    assert resp.status_code == 404 and resp.json() == {"message": "Environment variable not found."}


def test_service_env_has_no_body_guard(api):
    resp = api.patch("/services/svc-analytics/envs", data="key=TZ&value=Europe/Paris",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 201
    assert resp.json()["value"] == "Europe/Paris"


def test_service_bulk_stores_every_given_field_and_commits_partially(api):
    resp = api.patch("/services/svc-analytics/envs/bulk", json={"data": [
        {"key": "TZ", "value": "Europe/Berlin", "is_preview": True}, {"key": "B1", "value": "x"}]})
    assert resp.status_code == 201
    body = resp.json()
    assert body[0]["value"] == "Europe/Berlin" and body[0]["is_preview"] is True
    resp = api.patch("/services/svc-analytics/envs/bulk", json={"data": [{"key": "B2", "value": "y"}, {"key": "B 3"}]})
    assert resp.status_code == 422
    assert rows(api, "B2", "services", "svc-analytics")
    assert api.patch("/services/svc-analytics/envs/bulk", json={"data": []}).json() == {"message": "Bulk data is required."}


def test_service_env_delete_and_404s(api):
    env = rows(api, "TZ", "services", "svc-analytics")[0]
    assert api.delete("/services/svc-analytics/envs/" + env["uuid"]).json() == {"message": "Environment variable deleted."}
    assert api.delete("/services/svc-analytics/envs/" + env["uuid"]).json() == {"message": "Environment variable not found."}
    for method, path in (("GET", "/services/nope/envs"), ("POST", "/services/nope/envs"), ("PATCH", "/services/nope/envs"),
                         ("PATCH", "/services/nope/envs/bulk"), ("DELETE", "/services/nope/envs/x")):
        resp = api.call(method, path, json={"key": "A"})
        assert resp.status_code == 404 and resp.json() == {"message": "Service not found."}
