# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: coolify
short_description: Coolify servers, applications, services or databases as inventory hosts
version_added: 1.0.0
author: coolops maintainers (@coolops)
description:
  - Reads the servers of a Coolify instance, and the applications, services and standalone databases on them, through
    Coolify's REST API, and turns them into inventory hosts and groups.
  - By default every Coolify server is a host, with C(ansible_host), C(ansible_user) and C(ansible_port) taken from
    Coolify, and the resources it runs in host variables. With O(hosts) applications and services become hosts
    instead (or as well), and so can standalone databases, with C(ansible_connection=local), so forks, C(serial) and
    AWX job slicing spread work over resources.
  - Uses a YAML configuration file whose name ends with C(.coolify.yml) or C(.coolify.yaml).
  - Every string that comes from Coolify is marked unsafe, so a C({{) in a resource name is never templated.
  - No secret field is ever read into the inventory. Only the fields listed in the notes below are copied;
    environment variables, tokens, passwords, compose files and server settings are not.
  - 'API calls for one refresh: C(GET /servers), C(GET /resources), C(GET /projects), one
    C(GET /projects/{uuid}/environments) per project, and one C(GET /applications?tag=NAME) per name in
    O(lookup_tags). C(GET /applications) is added when the items of C(GET /resources) do not name the server an
    application runs on, and C(GET /servers/{uuid}/resources) for each server only when a resource still cannot be
    placed (a standalone database on a Docker network that no application uses). The
    number of calls does not grow with the number of servers or resources.'
extends_documentation_fragment:
  - coolops.coolify.connection.PLUGINS
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin. It must always be set to V(coolops.coolify.coolify).
    type: str
    required: true
    choices: [coolops.coolify.coolify]
  hosts:
    description:
      - Which Coolify objects become inventory hosts.
      - V(servers) hosts connect to the server over SSH (C(ansible_host) is the IP Coolify knows). Their host
        variables list the applications, services and databases on the server.
      - V(applications), V(services) and V(databases) (standalone databases) hosts get C(ansible_connection=local),
        because a task about a resource runs on the controller and talks to the Coolify API.
    type: list
    elements: str
    choices: [servers, applications, services, databases]
    default: [servers]
  hostnames:
    description:
      - What names the hosts. V(name) is the Coolify name, V(uuid) the Coolify uuid.
      - With V(name), a name used by more than one host, or a name Ansible keeps for the controller (V(localhost),
        V(127.0.0.1), V(::1)), becomes C(<name>-<uuid>). Coolify calls its own server V(localhost); taking that name
        would hijack every task delegated to C(localhost).
      - Names are chosen before O(filters) apply, so a host keeps its name whatever the filters drop.
    type: str
    choices: [name, uuid]
    default: name
  group_prefix:
    description:
      - Prefix of the group names this plugin generates (not of O(groups) or O(keyed_groups)).
      - Generated groups are C(<prefix>servers), C(<prefix>applications), C(<prefix>services) and
        C(<prefix>databases) (one per host kind), and, as chosen with O(group_by), C(<prefix>project_<name>), C(<prefix>environment_<name>),
        C(<prefix>tag_<name>) and C(<prefix>status_<state>). Characters not valid in a group name become C(_).
    type: str
    default: coolify_
  group_by:
    description:
      - Which generated groups to create besides the host-kind groups.
      - A server host joins the project, environment and tag groups of every resource it runs. Its status group is
        V(reachable), V(unreachable) or V(unusable).
      - An application, service or database host joins the groups of its own project, environment and tags, and the status
        group of the state part of its status (V(running), V(exited), V(degraded), ...).
    type: list
    elements: str
    choices: [project, environment, tag, status]
    default: [project, environment, tag, status]
  lookup_tags:
    description:
      - Names of Coolify tags to look up. Coolify's resource lists carry no tags, and the only list call that tells
        which applications carry a tag is C(GET /applications?tag=NAME), so the plugin makes one such call per name
        here. Applications carrying none of these tags get an empty C(tags) list.
      - Services and databases cannot be looked up by tag (Coolify's API has no tag filter for them), so their C(tags)
        is always empty, whatever this option says.
    type: list
    elements: str
    default: []
  filters:
    description:
      - Decide which hosts are kept, with Jinja2 conditions over the host variables (C(coolify_*) and C(ansible_*);
        not the ones made by O(compose)).
      - The entries are tried in order; the first one whose condition is true decides. A host no entry matches is
        kept.
    type: list
    elements: dict
    default: []
    suboptions:
      include:
        description: Keep the host when this condition is true.
        type: str
      exclude:
        description: Drop the host when this condition is true.
        type: str
notes:
  - O(hosts), O(lookup_tags) and O(filters) given but empty (V([]), blank entries, or a filter with an empty
    condition, for example a template that rendered empty) fail before any API call; leave an option out to get its
    default.
  - The inventory cache (O(cache)) stores the data read from Coolify. A cached inventory sends no API call at all, so it
    can be minutes or hours old; playbooks that act on resource statuses (like C(playbooks/maintenance.yml)) read them
    again from Coolify before they act.
  - 'Host variables of a server: C(coolify_kind) (V(server)), C(coolify_uuid), C(coolify_name),
    C(coolify_description), C(coolify_ip), C(coolify_is_reachable), C(coolify_is_usable), C(coolify_is_coolify_host),
    C(coolify_status) (V(reachable), V(unreachable) or V(unusable)), C(coolify_applications), C(coolify_services),
    C(coolify_databases) (each a list of C(uuid), C(name), C(type), C(status), C(state), C(tags), C(project),
    C(environment)), and C(coolify_projects), C(coolify_environments), C(coolify_tags) (the sorted names used by its
    resources).'
  - 'Host variables of an application, service or database: C(coolify_kind), C(coolify_uuid), C(coolify_name),
    C(coolify_description), C(coolify_type), C(coolify_status), C(coolify_state), C(coolify_tags), C(coolify_project),
    C(coolify_project_uuid), C(coolify_environment), C(coolify_environment_uuid), C(coolify_server),
    C(coolify_server_uuid), and for applications C(coolify_fqdn), C(coolify_build_pack), C(coolify_git_repository),
    C(coolify_git_branch), for services C(coolify_service_type), for databases C(coolify_database_type),
    C(coolify_image), C(coolify_is_public) and C(coolify_public_port) (never a password or connection URL).'
  - Coolify's own server has the IP V(host.docker.internal), which is only meaningful inside Coolify's container. Set
    its C(ansible_host) with O(compose) or in C(host_vars) if Ansible must reach it.
seealso:
  - name: Coolify API reference
    description: The REST API this plugin reads.
    link: https://coolify.io/docs/api-reference
'''

EXAMPLES = r'''
# coolify.coolify.yml: every Coolify server as a host; COOLIFY_API_URL and COOLIFY_API_TOKEN come from the environment.
plugin: coolops.coolify.coolify

---
# Token from a vaulted variable (passed with -e @vault.yml), servers grouped by their resources' tags.
plugin: coolops.coolify.coolify
api_url: https://coolify.example.com
api_token: "{{ vault_coolify_token }}"
lookup_tags: [production, staging, canary]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/coolify-inventory
cache_timeout: 300

---
# Applications and services as hosts, for AWX job slicing; skip stopped ones; extra groups.
plugin: coolops.coolify.coolify
hosts: [applications, services]
hostnames: uuid
group_prefix: cf_
filters:
  - exclude: coolify_state == 'exited'
  - include: coolify_project in ['shop', 'billing']
  - exclude: true
keyed_groups:
  - key: coolify_server
    prefix: on_server
  - key: coolify_project ~ '_' ~ coolify_environment
    prefix: scope
groups:
  unhealthy: coolify_status is match('running:unhealthy')
compose:
  release_channel: "'stable' if coolify_environment == 'production' else 'edge'"

---
# Servers, reached through a bastion name pattern instead of the IP Coolify knows.
plugin: coolops.coolify.coolify
compose:
  ansible_host: coolify_name ~ '.servers.example.com'
  ansible_user: "'deploy'"
filters:
  - exclude: not coolify_is_reachable
'''

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.group import to_safe_group_name
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.coolops.coolify.plugins.module_utils._client import PLURAL, CoolifyClient, kind_of_type
from ansible_collections.coolops.coolify.plugins.module_utils._errors import CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._redact import PUBLIC_FIELDS, public_fields, strip_sensitive
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import given_but_empty
from ansible_collections.coolops.coolify.plugins.module_utils._status import state_of
from ansible_collections.coolops.coolify.plugins.plugin_utils._unsafe import make_unsafe

# Options that choose what is read or kept: given but empty ([] or blanks) they are refused, never read as "all".
NARROWING_OPTIONS = ("hosts", "lookup_tags", "filters")
# Names Ansible resolves to the controller: a host with one of them would capture `delegate_to: localhost`.
RESERVED_NAMES = frozenset(("localhost", "127.0.0.1", "::1"))
# Only the fields in _redact.PUBLIC_FIELDS are copied from Coolify; everything else (settings, env vars, compose files,
# secrets) is never read in.


def _dig(data, *keys):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _server_status(server):
    if not server.get("is_reachable"):
        return "unreachable"
    if not server.get("is_usable"):
        return "unusable"
    return "reachable"


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Coolify servers, applications, services or databases as hosts."""

    NAME = "coolops.coolify.coolify"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith((".coolify.yml", ".coolify.yaml"))

    # -- reading Coolify -------------------------------------------------------------------------------------------

    def _client(self):
        token = self.get_option("api_token")
        if token and self.templar.is_template(token):
            token = self.templar.template(token)
        try:
            return CoolifyClient(self.get_option("api_url"), token, validate_certs=self.get_option("validate_certs"),
                                 timeout=self.get_option("timeout"), max_retries=self.get_option("max_retries"))
        except CoolifyError as exc:
            raise AnsibleError("coolops.coolify.coolify: %s" % to_native(exc)) from exc

    def _fetch(self):
        """Read Coolify into plain, cacheable data: {"servers": [...], "resources": [...]} with copied fields only."""
        client = self._client()
        try:
            try:
                return self._read(client)
            finally:
                client.close()
        except CoolifyError as exc:
            raise AnsibleError("coolops.coolify.coolify: %s" % to_native(exc)) from exc

    def _read(self, client):
        servers = client.list_servers()
        by_id = {}
        for server in servers:
            server_id = _dig(server, "settings", "server_id")
            if server_id is not None:
                by_id[server_id] = server.get("uuid")
        items = [item for item in client.list_resources() if isinstance(item, dict)]

        destinations = {}

        def destination_key(item):
            return (item.get("destination_type"), item.get("destination_id"))

        def place(item):
            """The uuid of the server a resource runs on, from whatever the object says; None when it says nothing."""
            return (_dig(item, "server", "uuid") or _dig(item, "destination", "server", "uuid")
                    or by_id.get(item.get("server_id")) or destinations.get(destination_key(item)))

        if any(place(item) is None and item.get("type") == "application" for item in items):
            # GET /resources leaves out an application's destination; GET /applications nests it with its server.
            for app in client.list_applications():
                server_uuid = _dig(app, "destination", "server", "uuid")
                if server_uuid and app.get("destination_id") is not None:
                    destinations[destination_key(app)] = server_uuid
        placed = {}
        if any(place(item) is None for item in items):
            for server in servers:
                for entry in client.server_resources(server.get("uuid")):
                    if isinstance(entry, dict):
                        placed[entry.get("uuid")] = server.get("uuid")

        environments = {}
        for project in client.list_projects():
            for environment in client.project_environments(project.get("uuid")):
                environments[environment.get("id")] = (project, environment)

        tags = {}
        for tag in self.get_option("lookup_tags") or []:
            for app in client.list_applications(tag=tag):
                tags.setdefault(app.get("uuid"), []).append(tag)

        resources = []
        for item in items:
            rtype = item.get("type") or "application"
            kind = kind_of_type(rtype) or "database"
            project, environment = environments.get(item.get("environment_id"), ({}, {}))
            resource = {
                "kind": kind, "type": rtype, "uuid": item.get("uuid"),
                "name": item.get("name"), "description": item.get("description"), "status": item.get("status"),
                "tags": sorted(set(tags.get(item.get("uuid"), []))) if rtype == "application" else [],
                "project": project.get("name"), "project_uuid": project.get("uuid"),
                "environment": environment.get("name"), "environment_uuid": environment.get("uuid"),
                "server_uuid": place(item) or placed.get(item.get("uuid")),
            }
            resource.update(public_fields(item, kind))
            resources.append(resource)
        return {"servers": [public_fields(server, "server") for server in servers], "resources": resources}

    # -- building hosts --------------------------------------------------------------------------------------------

    def _host_records(self, data):
        """(kind, vars) for every host to add, before naming and filtering."""
        servers = data.get("servers") or []
        resources = data.get("resources") or []
        server_by_uuid = dict((server.get("uuid"), server) for server in servers)
        wanted = self.get_option("hosts")
        records = []
        if "servers" in wanted:
            for server in servers:
                hostvars = {
                    "ansible_host": server.get("ip"), "ansible_user": server.get("user"),
                    "ansible_port": server.get("port"), "coolify_kind": "server",
                    "coolify_status": _server_status(server),
                }
                for field in PUBLIC_FIELDS["server"]:
                    if field not in ("user", "port"):
                        hostvars["coolify_" + field] = server.get(field)
                mine = [res for res in resources if res.get("server_uuid") == server.get("uuid")]
                for kind in ("application", "service", "database"):
                    hostvars["coolify_" + PLURAL[kind]] = [{
                        "uuid": res.get("uuid"), "name": res.get("name"), "type": res.get("type"),
                        "status": res.get("status"), "state": state_of(res.get("status")), "tags": list(res.get("tags") or []),
                        "project": res.get("project"), "environment": res.get("environment"),
                    } for res in mine if res.get("kind") == kind]
                for field, key in (("projects", "project"), ("environments", "environment")):
                    hostvars["coolify_" + field] = sorted(set(res.get(key) for res in mine if res.get(key)))
                hostvars["coolify_tags"] = sorted(set(tag for res in mine for tag in res.get("tags") or []))
                records.append(("server", hostvars))
        for res in resources:
            kind = res.get("kind")
            if PLURAL.get(kind) not in wanted:
                continue
            server = server_by_uuid.get(res.get("server_uuid")) or {}
            hostvars = {"ansible_connection": "local", "coolify_kind": kind, "coolify_state": state_of(res.get("status")),
                        "coolify_server": server.get("name"), "coolify_server_uuid": res.get("server_uuid")}
            for field in ("uuid", "name", "description", "type", "status", "tags", "project", "project_uuid",
                          "environment", "environment_uuid"):
                hostvars["coolify_" + field] = res.get(field)
            for field in PUBLIC_FIELDS[kind]:
                hostvars["coolify_" + field] = res.get(field)
            records.append((kind, hostvars))
        return records

    def _names(self, records):
        """Inventory hostnames for the records: unique, and never one of Ansible's names for the controller."""
        if self.get_option("hostnames") == "uuid":
            return [hostvars["coolify_uuid"] for dummy, hostvars in records]
        counts = {}
        for dummy, hostvars in records:
            counts[hostvars["coolify_name"]] = counts.get(hostvars["coolify_name"], 0) + 1
        names = []
        for dummy, hostvars in records:
            name = hostvars["coolify_name"]
            if not name or counts[name] > 1 or str(name).lower() in RESERVED_NAMES:
                name = "%s-%s" % (name, hostvars["coolify_uuid"]) if name else hostvars["coolify_uuid"]
            names.append(name)
        return names

    def _keep(self, hostvars):
        for entry in self.get_option("filters") or []:
            if not isinstance(entry, dict) or len(entry) != 1 or list(entry)[0] not in ("include", "exclude"):
                raise AnsibleParserError("coolops.coolify.coolify: each entry of filters must be a mapping with exactly one "
                                         "key, include or exclude; got %r" % (entry,))
            action, condition = list(entry.items())[0]
            try:
                if isinstance(condition, str):
                    matched = boolean(self._compose(condition, hostvars), strict=False)
                else:
                    matched = boolean(condition, strict=False)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                raise AnsibleParserError("coolops.coolify.coolify: could not evaluate filter %s %r: %s"
                                         % (action, condition, to_native(exc))) from exc
            if matched:
                return action == "include"
        return True

    def _group(self, suffix):
        return self.inventory.add_group(to_safe_group_name(self.get_option("group_prefix") + suffix, force=True, silent=True))

    def _populate(self, data):
        strict = self.get_option("strict")
        group_by = self.get_option("group_by") or []
        records = self._host_records(data)
        for (kind, hostvars), name in zip(records, self._names(records)):
            hostvars = make_unsafe(strip_sensitive(hostvars))
            if not self._keep(hostvars):
                continue
            name = make_unsafe(name)
            self.inventory.add_host(name, group=self._group(PLURAL[kind]))
            for key, value in hostvars.items():
                self.inventory.set_variable(name, key, value)
            groups = []
            if kind == "server":
                scopes = (("project", hostvars["coolify_projects"]), ("environment", hostvars["coolify_environments"]),
                          ("tag", hostvars["coolify_tags"]))
            else:
                scopes = (("project", [hostvars["coolify_project"]]), ("environment", [hostvars["coolify_environment"]]),
                          ("tag", hostvars["coolify_tags"]))
            for scope, values in scopes:
                if scope in group_by:
                    groups.extend("%s_%s" % (scope, value) for value in values or [] if value)
            if "status" in group_by:
                groups.append("status_" + (hostvars["coolify_status"] if kind == "server" else hostvars["coolify_state"]))
            for suffix in groups:
                self.inventory.add_child(self._group(suffix), name)
            self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, name, strict=strict)

    def _check_config(self, config):
        """Fail closed, before any API call: an option given but empty, or a blank entry in a list option."""
        try:
            given_but_empty(config, NARROWING_OPTIONS)
        except CoolifyError as exc:
            raise AnsibleParserError("coolops.coolify.coolify: %s" % to_native(exc)) from exc
        for key in ("hosts", "lookup_tags"):
            if any(entry is None or not str(entry).strip() for entry in config.get(key) or []):
                raise AnsibleParserError("coolops.coolify.coolify: %s has a blank entry %r; remove it or give a value."
                                         % (key, config.get(key)))
        for entry in config.get("filters") or []:
            conditions = list(entry.values()) if isinstance(entry, dict) else []
            if any(condition is None or not str(condition).strip() for condition in conditions):
                raise AnsibleParserError("coolops.coolify.coolify: the filters entry %r has an empty condition; give a "
                                         "condition or remove the entry." % (entry,))

    # -- entry point -----------------------------------------------------------------------------------------------

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        # Extra vars may feed a templated api_token.
        self.templar.available_variables = self._vars
        config = self._read_config_data(path)
        self._check_config(dict(config or {}))
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        data = None
        if use_cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if data is None:
            data = self._fetch()
        if update_cache:
            self._cache[cache_key] = data
        self._populate(data)
