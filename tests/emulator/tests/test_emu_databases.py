# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Standalone databases: shapes, hidden secrets, team scoping, queued actions, /deploy and envs (API-NOTES §14)."""

from __future__ import annotations

import json
import time

MARKER = "coolops-dbsecret"
SECRET_KEYS = {"internal_db_url", "external_db_url", "postgres_password", "mysql_password", "mysql_root_password",
               "mariadb_password", "mariadb_root_password", "mongo_initdb_root_password", "redis_password",
               "keydb_password", "dragonfly_password", "clickhouse_admin_password", "init_scripts"}
ALL_TYPES = {"postgresql", "mysql", "mariadb", "mongodb", "redis", "keydb", "dragonfly", "clickhouse"}


def db_status(api, uuid):
    return api.get("/databases/" + uuid).json()["status"]


def test_list_order_shape_and_keydb_quirk(api):
    items = api.get("/databases").json()
    # one project: types in Coolify's model order (postgresql, redis, mongodb, mysql, mariadb, keydb, ...)
    assert [item["uuid"] for item in items] == ["db-shop", "db-cache", "db-reports", "db-sessions"]
    shop = items[0]
    assert list(shop)[:4] == ["uuid", "name", "backup_configs", "config_hash"]
    assert "id" not in shop and shop["status"] == "running:healthy"
    assert shop["database_type"] == "standalone-postgresql" and shop["postgres_user"] == "shop"
    assert shop["postgres_db"] == "shop" and shop["server_status"] is True
    assert shop["destination"]["server"]["uuid"] == "srv-main"
    assert "database_type" not in items[3]  # StandaloneKeydb does not append it
    assert items[1]["status"] == "exited:unhealthy"  # a bare `exited` reads with `:unhealthy`
    assert [cfg["uuid"] for cfg in shop["backup_configs"]] == ["bkp-shop-nightly"]
    assert shop["backup_configs"][0]["latest_log"] is None and "executions" not in shop["backup_configs"][0]


def test_secrets_hidden_without_read_sensitive(api):
    for token in ("2|read-only", "7|member-read"):
        for path in ("/databases", "/databases/db-shop", "/databases/db-reports", "/resources",
                     "/servers/srv-main/resources", "/projects/prj-shop/production"):
            resp = api.get(path, token=token)
            assert resp.status_code == 200, path
            assert MARKER not in resp.text and "coolops-dbsecret" not in json.dumps(resp.json()), path
        for item in api.get("/databases", token=token).json():
            assert not SECRET_KEYS & set(item), item["uuid"]


def test_secrets_shown_with_read_sensitive(api):
    items = {item["uuid"]: item for item in api.get("/databases", token="3|sensitive-reader").json()}
    shop = items["db-shop"]
    assert MARKER in shop["postgres_password"]
    assert shop["internal_db_url"] == "postgres://shop:%s@db-shop:5432/shop" % shop["postgres_password"]
    assert shop["external_db_url"] is None  # not public
    reports = items["db-reports"]
    assert reports["external_db_url"].startswith("mysql://mysql:%s@10.0.0.10:13306/" % reports["mysql_password"])
    assert MARKER in reports["mysql_root_password"]
    cache = items["db-cache"]
    assert MARKER in cache["redis_password"] and cache["internal_db_url"].startswith("redis://default:")
    detail = api.get("/databases/db-shop", token="3|sensitive-reader").json()
    assert "backup_configs" not in detail and detail["environment"]["project"]["team"]["id"] == 0
    assert "sentinel_token" in detail["destination"]["server"]["settings"]


def test_other_team_database_is_404(api):
    for method, path in (("GET", "/databases/db-acme"), ("POST", "/databases/db-acme/start"),
                         ("GET", "/databases/db-acme/envs"), ("GET", "/databases/db-acme/backups")):
        resp = api.call(method, path)
        assert resp.status_code == 404 and resp.json() == {"message": "Database not found."}
    assert "db-acme" not in [item["uuid"] for item in api.get("/databases").json()]
    acme = api.get("/databases", token="6|acme-root").json()
    assert [item["uuid"] for item in acme] == ["db-acme"]
    assert api.get("/databases/db-shop", token="6|acme-root").status_code == 404


def test_generated_fleet_has_every_type_with_marked_secrets(start_emulator):
    client = start_emulator("--seed-databases", "8", "--random-seed", "5", "--seed-apps", "2", "--seed-services", "0")
    items = client.get("/databases").json()
    assert len(items) == 8
    types = {item["internal_db_url"] and item.get("database_type", "standalone-keydb")[len("standalone-"):] for item in items}
    assert types == ALL_TYPES
    for item in items:
        secrets = [item[key] for key in SECRET_KEYS if item.get(key) and key != "external_db_url"]
        assert secrets and all(MARKER in value for value in secrets), item["name"]
    configs = {cfg["uuid"] for item in items for cfg in item["backup_configs"]}
    assert 2 <= len(configs) <= 4  # about half the databases carry a backup configuration
    state = client.emu.state()
    assert {row["server_uuid"] for row in state["databases"] if row["team_id"] == 0} == {
        row["uuid"] for row in state["servers"] if row["team_id"] == 0}
    again = start_emulator("--seed-databases", "8", "--random-seed", "5", "--seed-apps", "2", "--seed-services", "0")
    assert [item["uuid"] for item in again.get("/databases").json()] == [item["uuid"] for item in items]


def test_start_is_queued_and_guarded(api):
    api.emu.configure(job_delay_seconds=0.6, status_lag_seconds=0.3)
    resp = api.post("/databases/db-shop/start")
    assert resp.status_code == 400 and resp.json() == {"message": "Database is already running."}
    resp = api.post("/databases/db-reports/start")
    assert resp.json() == {"message": "Database starting request queued."}
    jobs = api.jobs("db-reports")
    assert [(job["kind"], job["action"], job["status"]) for job in jobs] == [("database", "start", "pending")]
    assert db_status(api, "db-reports") == "exited:unhealthy"
    # the guard reads the status when the request arrives: a second start is queued as well
    assert api.post("/databases/db-reports/start").status_code == 200
    seen = []

    def healthy():
        status = db_status(api, "db-reports")
        if not seen or seen[-1] != status:
            seen.append(status)
        return status == "running:healthy"

    api.wait_for(healthy)
    assert seen == ["exited:unhealthy", "running:starting", "running:healthy"]  # the health check starts first
    assert all(job["status"] in ("running", "done") for job in api.jobs("db-reports"))
    assert api.post("/databases/db-reports/start").json() == {"message": "Database is already running."}


def test_stop_and_restart_statuses(api):
    api.emu.configure(job_delay_seconds=0.3, status_lag_seconds=0.4)
    resp = api.post("/databases/db-reports/stop")
    assert resp.status_code == 400 and resp.json() == {"message": "Database is already stopped."}
    assert api.post("/databases/db-shop/stop", params={"docker_cleanup": "false"}).json() == {
        "message": "Database stopping request queued."}
    assert db_status(api, "db-shop") == "running:healthy"
    api.wait_for(lambda: db_status(api, "db-shop") == "exited:unhealthy")
    assert api.post("/databases/db-shop/restart").json() == {"message": "Database restarting request queued."}
    seen = set()

    def running():
        seen.add(db_status(api, "db-shop"))
        return "running:healthy" in seen

    api.wait_for(running)
    api.emu.configure(status_lag_seconds=0.5)
    assert api.post("/databases/db-sessions/restart").status_code == 200  # restart has no guard
    api.wait_for(lambda: db_status(api, "db-sessions") == "exited:unhealthy")  # its stop phase shows
    api.wait_for(lambda: db_status(api, "db-sessions") == "running:healthy")


def test_action_permissions_and_get_stub(api):
    assert api.get("/databases/db-shop/start").status_code == 405
    assert api.post("/databases/db-shop/restart", token="2|read-only").json() == {
        "message": "Missing required permissions: deploy"}
    assert api.post("/databases/db-shop/restart", token="8|member-deploy").json() == {
        "message": "Missing required team role."}
    assert api.post("/databases/db-shop/restart", token="5|deployer").status_code == 200
    assert api.post("/databases/nope/restart").json() == {"message": "Database not found."}


def test_unfunctional_server_swallows_the_job(start_emulator, tmp_path):
    fixture = {"servers": [{"uuid": "srv-down", "name": "down", "ip": "10.9.9.9", "is_reachable": False},
                           {"uuid": "srv-up", "name": "up", "ip": "10.9.9.10"}],
               "projects": [{"uuid": "prj", "name": "p"}],
               "databases": [{"uuid": "db-down", "name": "down-db", "type": "mariadb", "status": "exited"},
                             {"uuid": "db-nohc", "name": "no-hc", "type": "dragonfly", "server": "srv-up",
                              "health_check_enabled": False}]}
    path = tmp_path / "down.json"
    path.write_text(json.dumps(fixture))
    client = start_emulator("--fixture", str(path), "--job-delay-seconds", "0.1", "--status-lag-seconds", "0.1")
    assert client.post("/databases/db-down/start").json() == {"message": "Database starting request queued."}
    client.wait_for(lambda: client.jobs("db-down") and client.jobs("db-down")[0]["status"] == "done")
    time.sleep(0.3)
    assert db_status(client, "db-down") == "exited:unhealthy"
    assert client.jobs("db-down")[0]["outcome"] == "Server is not functional"
    assert client.post("/databases/db-nohc/start").status_code == 200  # no health check: running:unknown
    client.wait_for(lambda: db_status(client, "db-nohc") == "running:unknown")


def test_deploy_endpoint_with_a_database_uuid(api):
    api.emu.configure(job_delay_seconds=0.3)
    assert api.get("/databases/db-sessions").json()["started_at"] is None
    body = api.post("/deploy", params={"uuid": "db-sessions,app-api"}).json()
    # in the order given; no running guard, no deployment uuid; StartDatabase is still a queued job
    assert body["deployments"][0] == {"message": "Database shop-sessions started.", "resource_uuid": "db-sessions"}
    assert body["deployments"][1]["message"] == "Application shop-api deployment queued."
    assert [job["action"] for job in api.jobs("db-sessions")] == ["start"]
    assert api.get("/databases/db-sessions").json()["started_at"]
    sub = api.get("/services/svc-analytics").json()["databases"][0]["uuid"]
    assert api.post("/deploy", params={"uuid": sub}).json() == {"deployments": [
        {"message": "Unauthorized to start this database.", "resource_uuid": sub}]}
    assert api.post("/deploy", params={"uuid": "db-acme"}).json() == {"message": "No resources found."}
    resp = api.post("/deploy", params={"uuid": "app-web,db-shop", "pr": "3"})
    assert resp.status_code == 500 and resp.json() == {"message": "Server Error"}
    assert [dep["pull_request_id"] for dep in api.emu.state()["deployments"]
            if dep["application_uuid"] == "app-web"] == [3]  # what came before the database was queued
    tagged = api.post("/deploy", params={"tag": "database"}).json()  # /deploy?tag= never touches databases
    assert tagged == {"message": ["No resources found for tag database."]}
    assert [job["action"] for job in api.jobs("db-shop")] == []


def test_database_envs_rules(api):
    envs = api.get("/databases/db-shop/envs", token="7|member-read")
    assert envs.status_code == 200  # members may list database envs (services need admin/owner)
    assert [row["key"] for row in envs.json()] == ["POSTGRES_EXTRA"]
    assert "value" not in envs.json()[0] and "resourceable_type" not in envs.json()[0] and "id" not in envs.json()[0]
    created = api.post("/databases/db-shop/envs", json={"key": "TOKEN", "value": "s3", "is_shown_once": True,
                                                        "is_preview": True, "is_buildtime": "nope"})
    assert created.status_code == 201  # is_preview/is_buildtime silently ignored; full object back
    assert created.json()["key"] == "TOKEN" and created.json()["is_preview"] is False
    assert api.post("/databases/db-shop/envs", json={"key": "TOKEN", "value": "x"}).status_code == 409
    rows = {row["key"]: row for row in api.get("/databases/db-shop/envs", token="3|sensitive-reader").json()}
    assert rows["TOKEN"]["value"] == "s3"  # no is_shown_once rule for databases
    patched = api.patch("/databases/db-shop/envs", json={"key": "TOKEN", "comment": "c"})
    assert patched.status_code == 201 and patched.json()["value"] is None  # value always overwritten
    assert api.patch("/databases/db-shop/envs", json={"key": "NOPE", "value": "x"}).json() == {
        "message": "Environment variable not found."}
    bulk = api.patch("/databases/db-shop/envs/bulk", json={"data": [{"key": "POSTGRES_EXTRA", "comment": "kept"},
                                                                    {"key": "NEW", "value": "n"}]})
    assert bulk.status_code == 201
    rows = {row["key"]: row for row in api.get("/databases/db-shop/envs", token="3|sensitive-reader").json()}
    assert rows["POSTGRES_EXTRA"]["value"] == "on" and rows["POSTGRES_EXTRA"]["comment"] == "kept"  # partial
    assert api.delete("/databases/db-shop/envs/" + rows["NEW"]["uuid"]).json() == {"message": "Environment variable deleted."}
    assert api.delete("/databases/db-shop/envs/" + rows["NEW"]["uuid"]).status_code == 404
    redis = [row["key"] for row in api.get("/databases/db-cache/envs").json()]
    assert redis == ["REDIS_PASSWORD", "REDIS_USERNAME"]
    assert api.post("/databases/db-shop/envs", json={"value": "x"}).json()["errors"] == {"key": ["This field is required."]}
