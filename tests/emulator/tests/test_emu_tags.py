# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Team tags and per-resource tags of applications, services and databases (§17)."""

from __future__ import annotations


def names(resp):
    return [row["name"] for row in resp.json()]


def test_per_resource_lists_and_what_lists_never_carry(api):
    assert names(api.get("/applications/app-web/tags")) == ["production", "frontend"]
    assert names(api.get("/services/svc-analytics/tags")) == ["production"]
    assert names(api.get("/databases/db-shop/tags")) == ["production", "database"]
    row = api.get("/databases/db-shop/tags").json()[0]
    assert list(row) == ["uuid", "name", "created_at", "updated_at"]
    assert api.get("/databases/db-shop/tags").json()[0]["uuid"] == api.get("/applications/app-web/tags").json()[0]["uuid"]
    for path in ("/applications", "/services", "/databases", "/applications/app-web", "/databases/db-shop"):
        body = api.get(path).json()
        for item in body if isinstance(body, list) else [body]:
            assert "tags" not in item, path
    for path, text in (("/applications/nope/tags", "Application not found."), ("/services/svc-acme/tags", "Service not found."),
                       ("/databases/db-acme/tags", "Database not found.")):
        assert api.get(path).json() == {"message": text}
    assert api.get("/applications/app-web/tags", token="7|member-read").status_code == 200


def test_attach_normalises_creates_and_is_idempotent(api):
    resp = api.post("/databases/db-reports/tags", json={"tag_names": ["  Nightly ", "<b>ops</b>", "nightly"]})
    assert resp.status_code == 201 and names(resp) == ["nightly", "ops"]
    again = api.post("/databases/db-reports/tags", json={"tag_name": "OPS"})
    assert again.status_code == 201 and names(again) == ["nightly", "ops"]
    assert "nightly" in names(api.get("/tags"))
    assert names(api.post("/services/svc-cache/tags", json={"tag_name": "nightly"})) == ["staging", "nightly"]
    # /deploy?tag= sees services and applications only
    body = api.post("/deploy", params={"tag": "nightly"}).json()
    assert body["message"] == ["Service shop-cache started. It could take a while, be patient."]


def test_attach_validation(api):
    path = "/applications/app-web/tags"
    assert api.post(path, json={"tag_name": "a", "tag_names": ["b"]}).json()["errors"] == {
        "tag_name": ["Provide either tag_name or tag_names, not both."]}
    assert api.post(path, json={"tag_name": "<i>x</i>"}).json()["errors"] == {
        "tag_name": ["Each tag name must be at least 2 characters after sanitization."]}
    assert api.post(path, json={"tag_name": "ok", "color": "red"}).json()["errors"] == {"color": ["This field is not allowed."]}
    assert api.post(path, json={"tag_names": "solo"}).json()["errors"] == {"tag_names": ["The tag names field must be an array."]}
    assert set(api.post(path, json={"other": 1}).json()["errors"]) == {"tag_name", "tag_names", "other"}
    assert api.post("/applications/nope/tags", json={}).json() == {"message": "Invalid request.", "error": "Empty JSON."}
    assert api.post("/applications/nope/tags", json={"tag_name": "ok"}).json() == {"message": "Application not found."}
    assert names(api.get(path)) == ["production", "frontend"]


def test_detach_deletes_an_orphaned_tag(api):
    attached = api.post("/databases/db-shop/tags", json={"tag_name": "solo"}).json()
    solo = next(row["uuid"] for row in attached if row["name"] == "solo")
    frontend = api.get("/applications/app-web/tags").json()[1]["uuid"]
    assert api.delete("/databases/db-shop/tags/" + frontend).json() == {"message": "Tag not found on resource."}
    assert api.delete("/databases/db-shop/tags/nope").json() == {"message": "Tag not found."}
    assert api.delete("/databases/db-shop/tags/" + solo).json() == {"message": "Tag removed."}
    assert "solo" not in names(api.get("/tags"))  # nothing else used it
    assert api.delete("/applications/app-web/tags/" + frontend).json() == {"message": "Tag removed."}
    assert "frontend" in names(api.get("/tags"))  # app-staging-web still uses it
    assert names(api.get("/applications", params={"tag": "frontend"})) == ["shop-web-staging"]


def test_team_tags_crud(api):
    listed = names(api.get("/tags"))
    assert listed == sorted(listed) and "empty-tag" in listed
    created = api.post("/tags", json={"name": "  Release-1 "})
    assert created.status_code == 201 and created.json()["name"] == "release-1"
    assert api.post("/tags", json={"name": "release-1"}).json() == {"message": "Tag with this name already exists."}
    assert api.post("/tags", json={"name": "x"}).json()["errors"] == {"name": ["The name field must be at least 2 characters."]}
    staging = next(row for row in api.get("/tags").json() if row["name"] == "staging")
    renamed = api.patch("/tags/" + staging["uuid"], json={"name": "stage"})
    assert renamed.status_code == 200 and renamed.json()["uuid"] == staging["uuid"]
    assert names(api.get("/services/svc-cache/tags")) == ["stage"]
    assert api.patch("/tags/" + staging["uuid"], json={"name": "production"}).status_code == 409
    assert api.delete("/tags/" + staging["uuid"]).json() == {"message": "Tag deleted."}
    assert api.get("/services/svc-cache/tags").json() == []
    assert api.delete("/tags/" + staging["uuid"]).json() == {"message": "Tag not found."}
    assert api.post("/tags", json={"name": "ro"}, token="2|read-only").status_code == 403
