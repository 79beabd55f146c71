# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""CoolifyClient: the one client every module and the inventory plugin use; the resource helpers of Coolify's API v1.

The transport (retries, pacing, error mapping, secret masking) is ``_http.ApiTransport``; this file only knows which
path means what and which answer shape to expect. Add new helpers here, never in a module.
"""

from __future__ import annotations

from urllib.parse import quote

from ansible_collections.coolops.coolify.plugins.module_utils._errors import ConfigurationError, InvalidResponseError
from ansible_collections.coolops.coolify.plugins.module_utils._http import ApiTransport
from ansible_collections.coolops.coolify.plugins.module_utils._redact import strip_sensitive

# The kinds of resource the modules act on, and the plural Coolify (and the results) use for every kind.
KINDS = ("application", "service")
PLURAL = {"application": "applications", "service": "services", "server": "servers", "database": "databases"}
# Kinds with /{plural}/{uuid} and start/stop/restart actions (databases are not selectable by every module yet).
RESOURCE_KINDS = KINDS + ("database",)
RESOURCE_ACTIONS = ("start", "stop", "restart")


def _quote(value):
    """Quote one path segment (a uuid or a name)."""
    return quote(str(value), safe="")


def _kind_path(kind, uuid):
    """``/applications/{uuid}``, ``/services/{uuid}`` or ``/databases/{uuid}``."""
    if kind not in RESOURCE_KINDS:
        raise ConfigurationError("Unknown resource kind %r; use application, service or database." % (kind,))
    return "/%s/%s" % (PLURAL[kind], _quote(uuid))


class CoolifyClient(ApiTransport):
    """A pooled, thread-safe client for Coolify's REST API v1 (see ApiTransport for the constructor)."""

    def _get_list(self, path, params=None):
        data = self.get(path, params=params)
        if data is None:
            return []
        if isinstance(data, dict) and all(str(k).isdigit() for k in data):
            # Laravel's "sorted but keys kept" quirk: {"0": {...}, "1": {...}}
            return [data[k] for k in sorted(data, key=int)]
        if not isinstance(data, list):
            raise self._error(InvalidResponseError, "GET", path, status=200,
                              api_message="a JSON %s where a list was expected" % type(data).__name__)
        return data

    def _get_dict(self, path, params=None):
        data = self.get(path, params=params)
        if not isinstance(data, dict):
            raise self._error(InvalidResponseError, "GET", path, status=200,
                              api_message="a JSON %s where an object was expected" % type(data).__name__)
        return data

    def list_applications(self, tag=None):
        return self._get_list("/applications", params={"tag": tag} if tag else None)

    def list_services(self):
        return self._get_list("/services")

    def list_databases(self):
        return self._get_list("/databases")

    def get_resource(self, kind, uuid):
        """GET /applications/{uuid}, /services/{uuid} or /databases/{uuid}."""
        return self._get_dict(_kind_path(kind, uuid))

    def resource_action(self, kind, uuid, action, params=None):
        """POST /{applications|services|databases}/{uuid}/{start|stop|restart}; params are Coolify's flags for that
        endpoint (applications: force, instant_deploy, docker_cleanup; services: docker_cleanup, latest; databases:
        docker_cleanup)."""
        if action not in RESOURCE_ACTIONS:
            raise ConfigurationError("Unknown %s action %r; use one of %s." % (kind, action, ", ".join(RESOURCE_ACTIONS)))
        return self.request("POST", "%s/%s" % (_kind_path(kind, uuid), action), params=params, action=True)

    def list_envs(self, kind, uuid):
        return self._get_list(_kind_path(kind, uuid) + "/envs")

    def bulk_update_envs(self, kind, uuid, items):
        data = self.request("PATCH", _kind_path(kind, uuid) + "/envs/bulk", json={"data": list(items)})
        return data if isinstance(data, list) else ([] if data is None else [data])

    def delete_env(self, kind, uuid, env_uuid):
        return self.request("DELETE", "%s/envs/%s" % (_kind_path(kind, uuid), _quote(env_uuid)))

    def get_deployment(self, deployment_uuid):
        return self._get_dict("/deployments/%s" % _quote(deployment_uuid))

    def cancel_deployment(self, deployment_uuid):
        """POST /deployments/{uuid}/cancel (only a queued or in-progress deployment; 400 otherwise)."""
        return self.request("POST", "/deployments/%s/cancel" % _quote(deployment_uuid), action=True)

    def scrub_text(self, text):
        """``text`` with the token and credentials inside URLs masked: for API text a module returns (log lines)."""
        return strip_sensitive(self._scrub(text))

    def list_deployments(self):
        """Queued and in-progress deployments; accepts the object-keyed quirk and always returns a list."""
        data = self.get("/deployments")
        if data is None:
            return []
        if isinstance(data, dict):
            return [data[k] for k in sorted(data, key=lambda k: (0, int(k)) if str(k).isdigit() else (1, str(k)))]
        if not isinstance(data, list):
            raise self._error(InvalidResponseError, "GET", "/deployments", status=200,
                              api_message="a JSON %s where a list was expected" % type(data).__name__)
        return data

    def application_deployments(self, uuid, skip=0, take=10):
        """``{"count": n, "deployments": [...]}``, newest first."""
        data = self.get("/deployments/applications/%s" % _quote(uuid), params={"skip": int(skip), "take": int(take)})
        if isinstance(data, list):
            return {"count": len(data), "deployments": data}
        if not isinstance(data, dict):
            return {"count": 0, "deployments": []}
        deployments = data.get("deployments") or []
        if isinstance(deployments, dict):
            deployments = list(deployments.values())
        return {"count": data.get("count", len(deployments)), "deployments": deployments}

    def list_servers(self):
        return self._get_list("/servers")

    def server_resources(self, uuid):
        return self._get_list("/servers/%s/resources" % _quote(uuid))

    def list_projects(self):
        return self._get_list("/projects")

    def get_project(self, uuid):
        return self._get_dict("/projects/%s" % _quote(uuid))

    def project_environments(self, uuid):
        return self._get_list("/projects/%s/environments" % _quote(uuid))

    def get_environment(self, project_uuid, env):
        """The environment (by name or uuid) with its resources (``applications``, ``services``, databases)."""
        return self._get_dict("/projects/%s/%s" % (_quote(project_uuid), _quote(env)))

    def list_resources(self):
        return self._get_list("/resources")
