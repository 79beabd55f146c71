# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Response shapes: how Coolify serialises each model (hidden `id`s, sensitive fields, key order, nested extras)."""

from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import urlsplit

from . import build_log

STANDALONE_DOCKER = "App\\Models\\StandaloneDocker"


def ts(value):
    """Laravel's ISO-8601 UTC timestamp with (zero) microseconds."""
    if value is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(value)) + ".000000Z"


def order_keys(data):
    """serializeApiResponse: sorted keys, timestamps last, then name/description (if truthy), uuid, id first."""
    keys = sorted(data)
    for key in ("created_at", "updated_at"):
        if key in data:
            keys.remove(key)
            keys.append(key)
    for key in ("name", "description", "uuid", "id"):
        if key in data and (key not in ("name", "description") or data[key]):
            keys.remove(key)
            keys.insert(0, key)
    return {key: data[key] for key in keys}


def _hash(*parts):
    return hashlib.md5("|".join(str(part) for part in parts).encode()).hexdigest()  # nosec - cosmetic config hash


def server_reachable(server):
    return bool(server["is_reachable"] and server["is_usable"])


def settings_view(store, server, sensitive):
    data = {
        "id": server["id"], "server_id": server["id"],
        "concurrent_builds": store.server_setting(server, "concurrent_builds"),
        "deployment_queue_limit": store.server_setting(server, "queue_limit"),
        "is_build_server": False, "is_reachable": server["is_reachable"], "is_usable": server["is_usable"],
        "force_disabled": False, "is_swarm_manager": False, "is_swarm_worker": False, "wildcard_domain": None,
        "connection_timeout": 10, "dynamic_timeout": 3600, "docker_cleanup_frequency": "0 0 * * *",
        "docker_cleanup_threshold": 80, "delete_unused_volumes": False, "delete_unused_networks": False,
        "is_cloudflare_tunnel": False, "is_sentinel_enabled": False, "is_metrics_enabled": False,
        "is_logdrain_newrelic_enabled": False, "is_logdrain_highlight_enabled": False, "is_logdrain_axiom_enabled": False,
        "is_logdrain_custom_enabled": False, "server_timezone": "UTC",
        "created_at": ts(server["created"]), "updated_at": ts(server["created"]),
    }
    if sensitive:
        data.update({"sentinel_token": "sentinel-" + _hash("sentinel", server["uuid"])[:24], "sentinel_custom_url": None,
                     "logdrain_newrelic_license_key": None, "logdrain_newrelic_base_uri": None,
                     "logdrain_highlight_project_id": None, "logdrain_axiom_dataset_name": None,
                     "logdrain_axiom_api_key": None, "logdrain_custom_config": None, "logdrain_custom_config_parser": None})
    return data


def server_view(store, server, sensitive, full=False):
    data = {
        "uuid": server["uuid"], "name": server["name"], "description": server["description"], "ip": server["ip"],
        "user": server["user"], "port": server["port"], "is_reachable": server["is_reachable"],
        "is_usable": server["is_usable"], "is_coolify_host": server["is_coolify_host"],
        "settings": settings_view(store, server, sensitive),
    }
    if full:
        data.update({
            "team_id": server["team_id"], "private_key_id": server["id"],
            "proxy": {"type": "traefik", "status": "running", "last_saved_settings": None, "last_applied_settings": None},
            "proxy_type": "traefik",
            "unreachable_count": 0, "unreachable_notification_sent": False, "validation_logs": None,
            "high_disk_usage_notification_sent": False, "log_drain_notification_sent": False, "swarm_cluster": None,
            "sentinel_updated_at": ts(server["created"]), "hetzner_server_id": None, "cloud_provider_token_id": None,
            "created_at": ts(server["created"]), "updated_at": ts(server["created"]), "deleted_at": None,
        })
        if sensitive:
            data["logdrain_axiom_api_key"] = None
            data["logdrain_newrelic_license_key"] = None
    return order_keys(data)


def _destination(store, server, sensitive):
    nested = dict(server_view(store, server, sensitive, full=True))
    return {"id": server["id"], "name": "coolify", "uuid": server["destination_uuid"], "network": "coolify",
            "server_id": server["id"], "created_at": ts(server["created"]), "updated_at": ts(server["created"]),
            "server": nested}


def app_view(store, app, sensitive, detail=False, nested=True):
    server = store.servers[app["server_id"]]
    data = {
        "uuid": app["uuid"], "name": app["name"], "description": app["description"], "fqdn": app["fqdn"],
        "git_repository": app["git_repository"], "git_branch": app["git_branch"], "git_commit_sha": app["git_commit_sha"],
        "git_full_url": None, "build_pack": app["build_pack"], "static_image": "nginx:alpine",
        "install_command": None, "build_command": None, "start_command": None, "ports_exposes": app["ports_exposes"],
        "ports_mappings": None, "base_directory": "/", "publish_directory": None, "health_check_enabled": False,
        "health_check_path": "/", "health_check_port": None, "health_check_host": "localhost",
        "health_check_method": "GET", "health_check_return_code": 200, "health_check_scheme": "http",
        "health_check_response_text": None, "health_check_interval": 5, "health_check_timeout": 5,
        "health_check_retries": 10, "health_check_start_period": 5, "limits_memory": "0", "limits_memory_swap": "0",
        "limits_memory_swappiness": 60, "limits_memory_reservation": "0", "limits_cpus": "0", "limits_cpuset": None,
        "limits_cpu_shares": 1024, "status": store.app_status(app), "environment_id": app["environment_id"],
        "destination_id": server["id"], "destination_type": STANDALONE_DOCKER, "source_id": 0,
        "source_type": "App\\Models\\GithubApp", "repository_project_id": None, "docker_registry_image_name": None,
        "docker_registry_image_tag": None, "dockerfile_location": "/Dockerfile", "dockerfile_target_build": None,
        "docker_compose_location": "/docker-compose.yaml", "docker_compose_domains": None, "redirect": "both",
        "preview_url_template": "{{pr_id}}.{{domain}}", "post_deployment_command": None,
        "post_deployment_command_container": None, "pre_deployment_command": None,
        "pre_deployment_command_container": None, "watch_paths": None, "custom_docker_run_options": None,
        "custom_healthcheck_found": False, "custom_nginx_configuration": None, "is_http_basic_auth_enabled": False,
        "http_basic_auth_username": None, "restart_count": 0, "last_restart_at": None, "last_restart_type": None,
        "last_online_at": ts(app.get("last_online_at")), "config_hash": _hash(app["uuid"], app["build_pack"]),
        "compose_parsing_version": "3", "server_status": server_reachable(server),
        "created_at": ts(app["created"]), "updated_at": ts(app["updated"]), "deleted_at": None,
    }
    if sensitive:
        data.update({"http_basic_auth_password": None, "manual_webhook_secret_github": None,
                     "manual_webhook_secret_gitlab": None, "manual_webhook_secret_bitbucket": None,
                     "manual_webhook_secret_gitea": None, "dockerfile": None, "docker_compose": None,
                     "docker_compose_raw": None, "private_key_id": None,
                     "custom_labels": "dHJhZWZpay5lbmFibGU9dHJ1ZQ=="})
    if nested:
        data["additional_servers"] = []
        data["destination"] = _destination(store, server, sensitive)
    if detail:
        data["settings"] = {
            "is_static": app["build_pack"] == "static", "is_git_submodules_enabled": True, "is_git_lfs_enabled": True,
            "is_auto_deploy_enabled": True, "is_force_https_enabled": True, "is_debug_enabled": False,
            "is_preview_deployments_enabled": False, "is_log_drain_enabled": False, "is_gpu_enabled": False,
            "is_build_server_enabled": False, "is_consistent_container_name_enabled": False,
            "is_gzip_enabled": True, "is_stripprefix_enabled": True, "connect_to_docker_network": False,
            "is_container_label_escape_enabled": True, "is_container_label_readonly_enabled": True,
            "is_env_sorting_enabled": False, "is_raw_compose_deployment_enabled": False,
            "is_swarm_only_worker_nodes": True, "is_pr_deployments_public_enabled": False,
            "custom_internal_name": None, "gpu_driver": "nvidia", "gpu_count": None, "gpu_device_ids": None,
            "gpu_options": None, "use_build_secrets": False, "inject_build_args_to_dockerfile": True,
            "include_source_commit_in_build": False, "disable_build_cache": False, "stop_grace_period": None,
        }
    return order_keys(data)


def sub_view(sub, service, kind):
    """ServiceApplication / ServiceDatabase rows: raw `status` column; only sub-applications show `service_id`."""
    data = {"uuid": sub["uuid"], "name": sub["name"], "human_name": sub.get("human_name"), "description": None,
            "image": sub["image"], "status": sub["status"], "exclude_from_status": sub.get("exclude_from_status", False),
            "ports": None, "exposes": None, "is_log_drain_enabled": False, "is_include_timestamps": False,
            "is_gzip_enabled": True, "is_stripprefix_enabled": True, "is_migrated": False,
            "last_online_at": ts(service["updated"]), "created_at": ts(service["created"]),
            "updated_at": ts(service["updated"]), "deleted_at": None}
    if kind == "applications":
        data.update({"fqdn": sub.get("fqdn"), "required_fqdn": False, "redirect": "both", "noindex_domains": [],
                     "is_force_https_enabled": True, "service_id": service["id"]})
    else:
        data.update({"is_public": False, "public_port": None, "public_port_timeout": 3600, "custom_type": None})
    return data


def service_view(store, service, sensitive, now, ordered=True):
    server = store.servers[service["server_id"]]
    data = {
        "uuid": service["uuid"], "name": service["name"], "description": service["description"],
        "service_type": service["service_type"], "environment_id": service["environment_id"],
        "server_id": server["id"], "destination_id": server["id"], "destination_type": STANDALONE_DOCKER,
        "connect_to_docker_network": False, "is_container_label_escape_enabled": True,
        "is_container_label_readonly_enabled": True, "config_hash": _hash(service["uuid"]),
        "compose_parsing_version": "4", "created_at": ts(service["created"]), "updated_at": ts(service["updated"]),
        "deleted_at": None, "server_status": server_reachable(server), "status": store.service_status(service, now),
        "server": server_view(store, server, sensitive, full=True),
        "applications": [sub_view(sub, service, "applications") for sub in service["applications"]],
        "databases": [sub_view(sub, service, "databases") for sub in service["databases"]],
    }
    if sensitive:
        data["docker_compose_raw"] = "services: {}\n"
        data["docker_compose"] = "services: {}\n"
    return order_keys(data) if ordered else data


def _escape_env(value):
    for search, replace in (("\\", "\\\\"), ("\r", "\\r"), ("\t", "\\t"), ("\x00", "\\0"), ('"', '\\"'), ("'", "\\'")):
        value = value.replace(search, replace)
    return value


def real_value(env, value=None):
    """The model's real_value: the resolved value (shared references replaced), quoted or escaped."""
    value = env["value"] if value is None else value
    if value is None:
        return None
    if env["is_literal"] or env["is_multiline"]:
        return "'" + value.replace("'", "'\\''") + "'"
    stripped = value.strip()
    if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
        try:
            json.loads(stripped)
            return value
        except ValueError:
            pass
    return _escape_env(value)


def env_view(env, sensitive, version, shown_once_rule=True, resolved=None):
    """An env row; `shown_once_rule=False` for databases, whose env endpoints never hide `is_shown_once` values."""
    value = env["value"] or ""
    # isShared: `{{<anything>` ... `}}`; neither the type nor the variable is checked
    data = {
        "uuid": env["uuid"], "key": env["key"], "is_preview": env["is_preview"], "is_literal": env["is_literal"],
        "is_multiline": env["is_multiline"], "is_shown_once": env["is_shown_once"], "is_runtime": env["is_runtime"],
        "is_buildtime": env["is_buildtime"], "is_required": env["is_required"], "comment": env["comment"],
        "order": None, "version": env["version"],
        "resourceable_type": "App\\Models\\Application" if env["resource_type"] == "application" else "App\\Models\\Service",
        "resourceable_id": env["resource_id"],
        "is_shared": value.startswith("{{") and value.endswith("}}"),
        "is_really_required": bool(env["is_required"] and not env["value"]),
        "is_buildpack_control": env["key"].startswith(("NIXPACKS_", "RAILPACK_")),
        "is_coolify": env["key"].startswith("SERVICE_"),
        "created_at": ts(env["created"]), "updated_at": ts(env["updated"]),
    }
    hide_once = shown_once_rule and env["is_shown_once"] and version >= (4, 2, 0)
    if sensitive and not hide_once:
        data["value"] = env["value"]
        data["real_value"] = real_value(env, resolved)
    return order_keys(data)


def deployment_view(store, dep, sensitive, ordered=True, now=None):
    app = store.apps.get(dep["application_id"])
    url = None
    if app is not None:
        environment = store.environments.get(app["environment_id"])
        project = store.projects.get(environment["project_id"]) if environment else None
        if environment and project:
            url = "/project/%s/environment/%s/application/%s/deployment/%s" % (
                project["uuid"], environment["uuid"], app["uuid"], dep["deployment_uuid"])
    data = {
        "id": dep["id"], "deployment_uuid": dep["deployment_uuid"], "application_id": str(dep["application_id"]),
        "application_name": dep["application_name"], "server_id": dep["server_id"], "server_name": dep["server_name"],
        "destination_id": str(dep["destination_id"]), "status": dep["status"], "commit": dep["commit"],
        "commit_message": dep["commit_message"], "pull_request_id": dep["pull_request_id"],
        "docker_registry_image_tag": dep["docker_registry_image_tag"], "force_rebuild": dep["force_rebuild"],
        "restart_only": dep["restart_only"], "is_webhook": dep["is_webhook"], "is_api": dep["is_api"],
        "rollback": dep["rollback"], "only_this_server": dep["only_this_server"], "git_type": dep["git_type"],
        "current_process_id": dep["current_process_id"], "build_server_id": dep["build_server_id"],
        "horizon_job_id": dep["horizon_job_id"], "horizon_job_worker": dep["horizon_job_worker"],
        "configuration_hash": dep["configuration_hash"], "deployment_url": url, "finished_at": ts(dep["finished_at"]),
        "created_at": ts(dep["created"]), "updated_at": ts(dep["updated"]),
    }
    if sensitive:
        data["logs"] = build_log.logs_field(dep, time.time() if now is None else now, store.settings.log_bytes_per_second)
    return order_keys(data) if ordered else data


def team_view(team):
    """Team: `custom_server_limit` and `pivot` are hidden."""
    return order_keys({
        "id": team["id"], "name": team["name"], "description": team["description"],
        "personal_team": team["personal_team"], "show_boarding": False, "is_mcp_server_enabled": False,
        "created_at": ts(team["created"]), "updated_at": ts(team["created"]),
    })


def member_view(user_id, created):
    """A team member (User): secrets and `pivot` hidden, so the role is not visible through the API."""
    name = "Root User" if user_id == 1 else "User %d" % user_id
    return order_keys({
        "id": user_id, "name": name, "email": "user%d@example.com" % user_id, "email_verified_at": ts(created),
        "force_password_reset": False, "marketing_emails": True, "pending_email": None, "avatar_path": None,
        "two_factor_confirmed_at": None, "created_at": ts(created), "updated_at": ts(created),
    })


def project_view(project, environments=None):
    data = {"id": project["id"], "uuid": project["uuid"], "name": project["name"], "description": project["description"],
            "team_id": project["team_id"], "created_at": ts(project["created"]), "updated_at": ts(project["created"])}
    if environments is not None:
        data["environments"] = [environment_view(row) for row in environments]
    return order_keys(data)


def environment_view(environment):
    return {"id": environment["id"], "uuid": environment["uuid"], "name": environment["name"],
            "description": environment["description"], "project_id": environment["project_id"],
            "created_at": ts(environment["created"]), "updated_at": ts(environment["created"])}


def fqdn_hosts(fqdn):
    hosts = []
    for item in (fqdn or "").split(","):
        item = item.strip()
        if not item:
            continue
        host = urlsplit(item if "://" in item else "http://" + item).hostname
        if host:
            hosts.append(host)
    return hosts
