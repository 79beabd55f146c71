# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Routing, the middleware chain (in Coolify's effective order) and the controllers of the v1 API."""

from __future__ import annotations

import math
import re

from . import databases, envs, places, shared_envs, tags
from .http_types import (AUTH_DOCS_URL, DOCS_URL, Response, framework_error, json_response, message, php_truthy,
                         request_boolean, text_response)
from .state import ACTIVE, CANCELLED
from .views import app_view, deployment_view, order_keys, service_view, sub_view

ELEVATED = ("root", "write", "write:sensitive", "deploy", "read:sensitive")
QUEUE_FULL = "Deployment queue is full. Please wait for existing deployments to complete."
POST_REQUIRED = "This endpoint has changed to a POST request."


class Route:
    __slots__ = ("method", "parts", "ability", "handler", "group", "action", "name")

    def __init__(self, method, pattern, ability, handler, group="main", action=False):
        self.method = method
        self.parts = pattern.split("/")
        self.ability = ability
        self.handler = handler
        self.group = group
        self.action = action
        self.name = "%s /api/v1/%s" % (method, pattern)

    def match(self, segments):
        if len(segments) != len(self.parts):
            return None
        params = []
        for part, segment in zip(self.parts, segments):
            if part.startswith("{"):
                params.append(segment)
            elif part != segment:
                return None
        return params


# (method, pattern, ability, handler name, group). Actions also get a GET variant (405 stub, or acting on <= 4.1.2).
ROUTE_TABLE = (
    ("GET", "version", "read", "version", "main"),
    ("POST", "enable", "write", "enable", "toggle"),
    ("POST", "disable", "write", "disable", "toggle"),
    ("GET", "applications", "read", "app_list", "main"),
    ("GET", "applications/{uuid}/envs", "read", "env_app_list", "main"),
    ("POST", "applications/{uuid}/envs", "write", "env_app_create", "main"),
    ("PATCH", "applications/{uuid}/envs/bulk", "write", "env_app_bulk", "main"),
    ("PATCH", "applications/{uuid}/envs", "write", "env_app_update", "main"),
    ("DELETE", "applications/{uuid}/envs/{env_uuid}", "write", "env_app_delete", "main"),
    ("POST", "applications/{uuid}/start", "deploy", "app_start", "main"),
    ("POST", "applications/{uuid}/restart", "deploy", "app_restart", "main"),
    ("POST", "applications/{uuid}/stop", "deploy", "app_stop", "main"),
    ("GET", "applications/{uuid}", "read", "app_get", "main"),
    ("GET", "services", "read", "service_list", "main"),
    ("GET", "services/{uuid}/envs", "read", "env_service_list", "main"),
    ("POST", "services/{uuid}/envs", "write", "env_service_create", "main"),
    ("PATCH", "services/{uuid}/envs/bulk", "write", "env_service_bulk", "main"),
    ("PATCH", "services/{uuid}/envs", "write", "env_service_update", "main"),
    ("DELETE", "services/{uuid}/envs/{env_uuid}", "write", "env_service_delete", "main"),
    ("POST", "services/{uuid}/start", "deploy", "service_start", "main"),
    ("POST", "services/{uuid}/restart", "deploy", "service_restart", "main"),
    ("POST", "services/{uuid}/stop", "deploy", "service_stop", "main"),
    ("GET", "services/{uuid}/applications", "read", "service_applications", "main"),
    ("GET", "services/{uuid}/databases", "read", "service_databases", "main"),
    ("GET", "services/{uuid}", "read", "service_get", "main"),
    ("GET", "deployments", "read", "deployment_list", "main"),
    ("GET", "deployments/applications/{uuid}", "read", "deployment_by_app", "main"),
    ("POST", "deployments/{uuid}/cancel", "deploy", "deployment_cancel", "main"),
    ("GET", "deployments/{uuid}", "read", "deployment_get", "main"),
    ("POST", "deploy", "deploy", "deploy", "main"),
)
ACTIONS = {"app_start", "app_restart", "app_stop", "service_start", "service_restart", "service_stop", "deploy",
           "enable", "disable"}


def build_routes():
    """Routes of the extra modules (handlers are functions taking the Api first) come first, then the table's."""
    routes = []
    for method, pattern, ability, handler, action in databases.ROUTES + shared_envs.ROUTES + tags.ROUTES + places.ROUTES:
        routes.append(Route(method, pattern, ability, handler, "main", action))
        if action:
            routes.append(Route("GET", pattern, ability, handler, "main", action))
    for method, pattern, ability, handler, group in ROUTE_TABLE:
        action = handler in ACTIONS
        routes.append(Route(method, pattern, ability, handler, group, action))
        if action:
            routes.append(Route("GET", pattern, ability, handler, group, action))
    return routes


ROUTES = build_routes()


class Context:
    """Who is calling: the token row, its team and whether values may be shown."""

    __slots__ = ("token", "team_id", "sensitive", "now", "version", "role")

    def __init__(self, token, now, version):
        self.token = token
        self.team_id = token["team_id"]
        self.role = token["role"]
        abilities = token["abilities"]
        self.sensitive = bool({"root", "read:sensitive", "*"} & set(abilities)) and self.role in ("owner", "admin")
        self.now = now
        self.version = version


def bearer(req):
    header = req.headers.get("Authorization") or ""
    if header[:7].lower() == "bearer ":
        token = header[7:].strip()
        return token or None
    return None


class Api:
    """Dispatches one request against the store. The caller holds the store lock."""

    def __init__(self, store):
        self.store = store

    @property
    def settings(self):
        return self.store.settings

    def route_name(self, method, path):
        """The route template a request maps to (for stats); unknown paths are grouped as the catch-all."""
        if path in ("/api/health", "/api/v1/health"):
            return "GET " + path
        route = self.match(method, path)[0]
        return route.name if route else "catch-all 404"

    def match(self, method, path):
        if not path.startswith("/api/v1/"):
            return None, None
        segments = path[len("/api/v1/"):].split("/")
        method = "GET" if method == "HEAD" else method
        for route in ROUTES:
            if route.method != method:
                continue
            params = route.match(segments)
            if params is not None:
                return route, params
        return None, None

    # -------------------------------------------------------------------------------------------- middleware

    def handle(self, req, now):
        self.store.tick(now)
        if req.path in ("/api/health", "/api/v1/health"):
            limit = 1000 if req.path == "/api/health" else self.settings.rate_limit
            return self._throttled(req, ("ip", req.ip, req.path), limit, now, lambda: text_response(200, "OK"))
        route, params = self.match(req.method, req.path)
        if route is not None and self.settings.version < (4, 2, 0) and route.action:
            # Up to 4.1.2 the actions answer GET (and POST); enable/disable answered GET only.
            if route.group == "toggle" and req.method == "POST":
                route = None
        if route is None:
            return self._throttled(req, ("ip", req.ip, "api"), self.settings.rate_limit, now,
                                   lambda: message(404, "Not found.", docs=DOCS_URL))
        presented = bearer(req)
        token = self.store.find_token(presented) if presented else None
        if token is None:
            return message(401, "Unauthenticated.")
        return self._throttled(req, ("user", token["user_id"]), self.settings.rate_limit, now,
                               lambda: self._authorized(req, route, params, token, now))

    def _throttled(self, req, key, limit, now, inner):
        window = self.settings.rate_window
        allowed, remaining, reset_at = self.store.hit(key, limit, window, now)
        if not allowed:
            # Laravel's RateLimiter::availableIn: the timer (the whole second of the window's first request plus the
            # window) minus the current whole second, at least 0. So Retry-After is up to a second short or long of
            # the time the window has left, and may say 0 while it has not reset.
            timer = int(math.floor(reset_at - window)) + int(math.ceil(window))
            retry = max(timer - int(math.floor(now)), 0)
            headers = [("Retry-After", str(retry)), ("X-RateLimit-Reset", str(timer)),
                       ("X-RateLimit-Limit", str(limit)), ("X-RateLimit-Remaining", "0")]
            return framework_error(req, 429, "Too Many Requests", "Too Many Attempts.", headers)
        resp = inner()
        resp.headers.append(("X-RateLimit-Limit", str(limit)))
        resp.headers.append(("X-RateLimit-Remaining", str(remaining)))
        return resp

    def _authorized(self, req, route, params, token, now):
        version = self.settings.version
        if version >= (4, 1, 2):
            if token["team_id"] not in self.store.teams:
                return message(401, "Invalid token.")
            if token["role"] == "member" and set(token["abilities"]) & set(ELEVATED):
                return message(403, "Missing required team role.")
        if route.group == "main" and not self.settings.api_enabled:
            return json_response(403, {"success": True, "message": "API is disabled."})
        abilities = token["abilities"]
        if route.ability and route.ability not in abilities and "root" not in abilities and "*" not in abilities:
            return message(403, "Missing required permissions: %s" % route.ability)
        if version < (4, 1, 2) and token["team_id"] not in self.store.teams:
            return message(400, "Invalid token.", docs=AUTH_DOCS_URL)
        if route.action and version >= (4, 2, 0) and req.method in ("GET", "HEAD"):
            return message(405, POST_REQUIRED, headers=[("Allow", "POST")])
        ctx = Context(token, now, version)
        req.processed = True  # past the rate limiter, authentication and abilities: the controller runs
        if callable(route.handler):
            return route.handler(self, req, ctx, *params)
        return getattr(self, "c_" + route.handler)(req, ctx, *params)

    def policy_manage(self, ctx):
        if ctx.role in ("owner", "admin"):
            return None
        return json_response(403, {"message": "You are not authorized to perform this action.", "error": "Unauthorized"})

    def managed(self, ctx, kind, uuid, missing):
        """The team's application or service plus the manage policy, checked in Coolify's order (404 before 403).

        Returns (row, None) or (row-or-None, the error response); `missing` is the 404 text, which varies by endpoint.
        """
        find = {"application": self.store.app_by_uuid, "service": self.store.service_by_uuid,
                "database": self.store.database_by_uuid}[kind]
        row = find(uuid, ctx.team_id)
        if row is None:
            return None, message(404, missing)
        return row, self.policy_manage(ctx)

    def server_error(self, req):
        return framework_error(req, 500, "Server Error", "Server Error")

    # -------------------------------------------------------------------------------------------- misc

    def c_version(self, req, ctx):
        return text_response(200, self.settings.api_version)

    def _toggle(self, ctx, enabled):
        verb = "enable" if enabled else "disable"
        if ctx.team_id != 0:
            return message(403, "You are not allowed to %s the API." % verb)
        self.settings.api_enabled = enabled
        return message(200, "API %s." % ("enabled" if enabled else "disabled"))

    def c_enable(self, req, ctx):
        return self._toggle(ctx, True)

    def c_disable(self, req, ctx):
        return self._toggle(ctx, False)

    # -------------------------------------------------------------------------------------------- applications

    def c_app_list(self, req, ctx):
        apps = self.store.team_apps(ctx.team_id)
        tag = req.query.get("tag")
        if tag is not None:
            apps = [app for app in apps if tag in app["tags"]]
        apps.sort(key=lambda app: (app["name"], app["id"]))
        return json_response(200, [app_view(self.store, app, ctx.sensitive) for app in apps])

    def c_app_get(self, req, ctx, uuid):
        app = self.store.app_by_uuid(uuid, ctx.team_id)
        if app is None:
            return message(404, "Application not found.")
        return json_response(200, app_view(self.store, app, ctx.sensitive, detail=True))

    def _queue(self, req, ctx, uuid, restart):
        app, error = self.managed(ctx, "application", uuid, "Application not found.")
        if error:
            return error
        force = False if restart else request_boolean(req.data.get("force"))
        instant = False if restart else request_boolean(req.data.get("instant_deploy"))
        result, dep = self.store.queue_deployment(app, ctx.now, force=force, instant=instant, restart_only=restart)
        text = "Restart request queued." if restart else "Deployment request queued."
        if result == "skipped":
            return message(200, "Deployment already queued for this commit.")
        # On a full queue Coolify still answers "queued", with a uuid that was never stored.
        dep_uuid = dep["deployment_uuid"] if dep else self.store.new_uuid()
        return message(200, text, deployment_uuid=dep_uuid)

    def c_app_start(self, req, ctx, uuid):
        return self._queue(req, ctx, uuid, restart=False)

    def c_app_restart(self, req, ctx, uuid):
        return self._queue(req, ctx, uuid, restart=True)

    def c_app_stop(self, req, ctx, uuid):
        app, error = self.managed(ctx, "application", uuid, "Application not found.")
        if error:
            return error
        self.store.queue_job("application", app, "stop", ctx.now)
        return message(200, "Application stopping request queued.")

    # -------------------------------------------------------------------------------------------- envs

    def c_env_app_list(self, req, ctx, uuid):
        return envs.app_list(self, req, ctx, uuid)

    def c_env_app_create(self, req, ctx, uuid):
        return envs.app_create(self, req, ctx, uuid)

    def c_env_app_update(self, req, ctx, uuid):
        return envs.app_update(self, req, ctx, uuid)

    def c_env_app_bulk(self, req, ctx, uuid):
        return envs.app_bulk(self, req, ctx, uuid)

    def c_env_app_delete(self, req, ctx, uuid, env_uuid):
        return envs.app_delete(self, req, ctx, uuid, env_uuid)

    def c_env_service_list(self, req, ctx, uuid):
        return envs.service_list(self, req, ctx, uuid)

    def c_env_service_create(self, req, ctx, uuid):
        return envs.service_create(self, req, ctx, uuid)

    def c_env_service_update(self, req, ctx, uuid):
        return envs.service_update(self, req, ctx, uuid)

    def c_env_service_bulk(self, req, ctx, uuid):
        return envs.service_bulk(self, req, ctx, uuid)

    def c_env_service_delete(self, req, ctx, uuid, env_uuid):
        return envs.service_delete(self, req, ctx, uuid, env_uuid)

    # -------------------------------------------------------------------------------------------- services

    def c_service_list(self, req, ctx):
        services = sorted(self.store.team_services(ctx.team_id), key=lambda row: row["id"])
        return json_response(200, [service_view(self.store, row, ctx.sensitive, ctx.now, ordered=False) for row in services])

    def c_service_get(self, req, ctx, uuid):
        service = self.store.service_by_uuid(uuid, ctx.team_id)
        if service is None:
            return message(404, "Service not found.")
        return json_response(200, service_view(self.store, service, ctx.sensitive, ctx.now))

    def _service_subs(self, ctx, uuid, kind):
        service = self.store.service_by_uuid(uuid, ctx.team_id)
        if service is None:
            return message(404, "Service not found.")
        return json_response(200, [order_keys(sub_view(sub, service, kind)) for sub in service[kind]])

    def c_service_applications(self, req, ctx, uuid):
        return self._service_subs(ctx, uuid, "applications")

    def c_service_databases(self, req, ctx, uuid):
        return self._service_subs(ctx, uuid, "databases")

    def _service_action(self, ctx, uuid, action):
        service, error = self.managed(ctx, "service", uuid, "Service not found.")
        if error:
            return error
        status = self.store.service_status(service, ctx.now)
        if action == "start" and "running" in status:
            return message(400, "Service is already running.")
        if action == "stop" and ("exited" in status or "stopped" in status):
            return message(400, "Service is already stopped.")
        self.store.queue_job("service", service, action, ctx.now)
        return message(200, "Service %s request queued." % {"start": "starting", "stop": "stopping",
                                                            "restart": "restarting"}[action])

    def c_service_start(self, req, ctx, uuid):
        return self._service_action(ctx, uuid, "start")

    def c_service_stop(self, req, ctx, uuid):
        return self._service_action(ctx, uuid, "stop")

    def c_service_restart(self, req, ctx, uuid):
        return self._service_action(ctx, uuid, "restart")

    # -------------------------------------------------------------------------------------------- deployments

    def _team_server_ids(self, team_id):
        return {row["id"] for row in self.store.servers.values() if row["team_id"] == team_id}

    def c_deployment_list(self, req, ctx):
        servers = self._team_server_ids(ctx.team_id)
        rows = sorted((dep for dep in self.store.active if dep["server_id"] in servers), key=lambda dep: dep["id"])
        return json_response(200, [deployment_view(self.store, dep, ctx.sensitive) for dep in rows])

    def _visible_deployment(self, uuid, team_id):
        dep = self.store.deployments_by_uuid.get(uuid)
        if dep is None:
            return None
        app = self.store.apps.get(dep["application_id"])
        if app is None or self.store.team_of(app) != team_id:
            return None
        return dep

    def c_deployment_get(self, req, ctx, uuid):
        dep = self._visible_deployment(uuid, ctx.team_id)
        if dep is None:
            return message(404, "Deployment not found.")
        return json_response(200, deployment_view(self.store, dep, ctx.sensitive))

    def c_deployment_by_app(self, req, ctx, uuid):
        errors = {}
        values = {}
        for name, minimum, default in (("skip", 0, 0), ("take", 1, 10)):
            raw = req.query.get(name)
            if raw is None:
                values[name] = default
                continue
            if not re.match(r"^[+-]?\d+$", str(raw)):
                errors.setdefault(name, []).append("The %s field must be an integer." % name)
                continue
            values[name] = int(raw)
            if values[name] < minimum:
                errors.setdefault(name, []).append("The %s field must be at least %d." % (name, minimum))
        if errors:
            return self._framework_validation(req, errors)
        app = self.store.app_by_uuid(uuid, ctx.team_id)
        if app is None:
            return message(404, "Application not found")
        rows = [dep for dep in self.store.deployments.values() if dep["application_id"] == app["id"]]
        rows.sort(key=lambda dep: (dep["created"], dep["id"]), reverse=True)
        page = rows[values["skip"]:values["skip"] + values["take"]]
        return json_response(200, {"count": len(rows),
                                   "deployments": [deployment_view(self.store, dep, ctx.sensitive, ordered=False) for dep in page]})

    def _framework_validation(self, req, errors):
        """Laravel's ValidationException: JSON 422 for JSON clients, otherwise a redirect back."""
        if req.wants_json:
            texts = [text for items in errors.values() for text in items]
            text = texts[0]
            if len(texts) > 1:
                more = len(texts) - 1
                text += " (and %d more error%s)" % (more, "" if more == 1 else "s")
            return json_response(422, {"message": text, "errors": errors})
        location = req.headers.get("Referer") or "http://%s/" % (req.headers.get("Host") or "localhost")
        body = ('<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="UTF-8" />\n'
                '        <meta http-equiv="refresh" content="0;url=\'%s\'" />\n\n        <title>Redirecting to %s</title>\n'
                '    </head>\n    <body>\n        Redirecting to <a href="%s">%s</a>.\n    </body>\n</html>') % ((location,) * 4)
        return Response(302, body, [("Location", location)], "text/html; charset=UTF-8")

    def c_deployment_cancel(self, req, ctx, uuid):
        dep = self.store.deployments_by_uuid.get(uuid)
        if dep is None:
            return message(404, "Deployment not found.")
        server = self.store.servers.get(dep["server_id"])
        if server is None or server["team_id"] != ctx.team_id:
            return message(403, "You do not have permission to cancel this deployment.")
        if dep["status"] not in ACTIVE:
            return message(400, "Deployment cannot be cancelled. Current status: %s" % dep["status"])
        self.store.cancel_deployment(dep, ctx.now)
        return message(200, "Deployment cancelled successfully.", deployment_uuid=dep["deployment_uuid"], status=CANCELLED)

    # -------------------------------------------------------------------------------------------- /deploy

    def _deploy_resource(self, kind, row, ctx, force, pr, docker_tag):
        """DeployController::deploy_resource -> (message, deployment_uuid or None, queue_full)."""
        if kind == "service":
            # /deploy runs StartService inline (API-NOTES §11): no queued job.
            self.store.start_service(row, ctx.now)
            return "Service %s started. It could take a while, be patient." % row["name"], None, False
        if docker_tag and row["build_pack"] != "dockerimage":
            return "docker_tag can only be used with Docker Image applications.", None, False
        result, dep = self.store.queue_deployment(row, ctx.now, force=force, pull_request_id=pr, docker_tag=docker_tag)
        if result == "queue_full":
            return QUEUE_FULL, None, True
        if result == "skipped":
            return "Deployment already queued for this commit.", self.store.new_uuid(), False
        return "Application %s deployment queued." % row["name"], dep["deployment_uuid"], False

    def c_deploy(self, req, ctx):
        uuids = req.input("uuid")
        tags = req.input("tag")
        raw_force = req.input("force")
        if ctx.version >= (4, 2, 0):
            force = request_boolean(raw_force)
        else:
            force = php_truthy(raw_force)
        pr = 0
        for name in ("pr", "pull_request_id"):
            value = req.input(name)
            if value is not None and not pr:
                try:
                    pr = max(int(value), 0)
                except (TypeError, ValueError):
                    pr = 0
        docker_tag = req.input("docker_tag")
        if isinstance(uuids, (list, dict)) or isinstance(tags, (list, dict)):
            # Coolify explode()s the value: a JSON array is a PHP TypeError, i.e. a 500.
            return self.server_error(req)
        if uuids and tags:
            return message(400, "You can only use uuid or tag, not both.")
        if tags and pr:
            return message(400, "You can only use tag or pr, not both.")
        if docker_tag and not pr:
            return message(400, "docker_tag requires pull_request_id.")
        if tags and docker_tag:
            return message(400, "You can only use tag or docker_tag, not both.")
        if tags:
            return self._deploy_by_tags(str(tags), ctx, force)
        if uuids:
            return self._deploy_by_uuids(str(uuids), ctx, force, pr, docker_tag)
        return message(400, "You must provide uuid or tag.")

    def _deploy_by_uuids(self, uuids, ctx, force, pr, docker_tag):
        items = [item.strip() for item in uuids.split(",") if item.strip()]
        if not items:
            return message(400, "No UUIDs provided.")
        deployments = []
        for uuid in items:
            app = self.store.app_by_uuid(uuid, ctx.team_id)
            service = None if app else self.store.service_by_uuid(uuid, ctx.team_id)
            if app is None and service is None:
                try:
                    item = databases.deploy_item(self, ctx, uuid, pr)
                except databases.NoPreviews:
                    return message(500, "Server Error")  # earlier items stay queued
                if item:
                    deployments.append(item)
                continue
            kind, row = ("application", app) if app else ("service", service)
            text, dep_uuid, full = self._deploy_resource(kind, row, ctx, force, pr, docker_tag)
            if full:
                return message(429, QUEUE_FULL, headers=[("Retry-After", "60")])
            item = {"message": text, "resource_uuid": row["uuid"]}
            if dep_uuid:
                item["deployment_uuid"] = dep_uuid
            deployments.append(item)
        if not deployments:
            return message(404, "No resources found.")
        return json_response(200, {"deployments": deployments})

    def _deploy_by_tags(self, tags, ctx, force):
        names = [item.strip() for item in tags.split(",") if item.strip()]
        if not names:
            return message(400, "No TAGs provided.")
        messages = []
        details = []
        team_tags = {row["name"] for row in self.store.tags.values() if row["team_id"] == ctx.team_id}
        apps = sorted(self.store.team_apps(ctx.team_id), key=lambda row: row["id"])
        services = sorted(self.store.team_services(ctx.team_id), key=lambda row: row["id"])
        for name in names:
            if name not in team_tags:
                continue
            tagged_apps = [row for row in apps if name in row["tags"]]
            tagged_services = [row for row in services if name in row["tags"]]
            if not tagged_apps and not tagged_services:
                messages.append("No resources found for tag %s." % name)
                continue
            for row in tagged_apps:
                text, dep_uuid = self._deploy_resource("application", row, ctx, force, 0, None)[:2]
                if dep_uuid:
                    details.append({"resource_uuid": row["uuid"], "deployment_uuid": dep_uuid})
                messages.append(text)
            for row in tagged_services:
                text = self._deploy_resource("service", row, ctx, force, 0, None)[0]
                messages.append(text)
        if not messages:
            return message(404, "No resources found with this tag.")
        payload = {}
        if details:
            payload["details"] = details
        payload["message"] = messages
        return json_response(200, payload)
