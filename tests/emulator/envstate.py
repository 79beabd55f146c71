# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Store's shared variables (team, project, environment, server) and how resource envs resolve them.

`{{team.KEY}}`, `{{project.KEY}}`, `{{environment.KEY}}` and `{{server.KEY}}` resolve as in Coolify's
EnvironmentVariable::get_real_environment_variables_internal: anywhere in the value, inner whitespace trimmed, the key
matched exactly among the shared variables of the resource's own team, project, environment or server; anything that
does not resolve stays verbatim. A resource keeps the resolved values it was last started with in `started_env`
(shown by /_emulator/state): changing a shared variable changes nothing there until the resource starts again.
"""

from __future__ import annotations

import re

SHARED_TYPES = ("team", "project", "environment", "server")
REFERENCE = re.compile(r"{{(.*?)}}")
SHARED_FLAGS = ("is_literal", "is_multiline", "is_shown_once")


class SharedEnvStore:
    """Mixed into Store."""

    def load_shared_envs(self, world):
        self.shared_envs = {}
        self.ids["shared_envs"] = 0
        for server in sorted(self.servers.values(), key=lambda row: row["id"]):
            # Every server gets these two at creation (Server.php), as ordinary editable rows.
            for key, value in (("COOLIFY_SERVER_UUID", server["uuid"]), ("COOLIFY_SERVER_NAME", server["name"])):
                self.add_shared_env({"key": key, "value": value, "is_literal": True}, "server", server["team_id"],
                                    server["created"], server_id=server["id"])
        for table in (self.apps, self.services, self.databases):
            for row in table.values():
                row.setdefault("started_env", None)
                row.setdefault("started_env_at", None)
        for row in world.get("shared_envs", []):
            self.add_shared_env(row, row["type"], row["team_id"], row["created"], project_id=row.get("project_id"),
                                environment_id=row.get("environment_id"), server_id=row.get("server_id"))

    def add_shared_env(self, fields, type_, team_id, now, project_id=None, environment_id=None, server_id=None):
        row = {"id": self.next_id("shared_envs"), "key": fields["key"], "value": fields.get("value"),
               "comment": fields.get("comment"), "type": type_, "team_id": team_id, "project_id": project_id,
               "environment_id": environment_id, "server_id": server_id, "version": self.settings.api_version,
               "created": now, "updated": now}
        for name in SHARED_FLAGS:
            row[name] = bool(fields.get(name, False))
        self.shared_envs[row["id"]] = row
        return row

    def shared_in_scope(self, team_id, type_, scope_id=None):
        """The rows of one scope, by id (scope_id: the project, environment or server id; None for the team)."""
        column = None if type_ == "team" else type_ + "_id"
        rows = [row for row in self.shared_envs.values() if row["team_id"] == team_id and row["type"] == type_
                and (column is None or row[column] == scope_id)]
        return sorted(rows, key=lambda row: row["id"])

    # ------------------------------------------------------------------------------------------------ resolution

    def scope_ids(self, resource):
        environment = self.environments.get(resource["environment_id"]) or {}
        return {"team": self.team_of(resource), "project": environment.get("project_id"),
                "environment": resource["environment_id"], "server": resource.get("server_id")}

    def resolve(self, value, resource):
        """The value with every resolvable `{{type.KEY}}` replaced (Coolify trims the value first)."""
        if value is None or value == "" or resource is None:
            return value
        value = value.strip()
        ids = None
        for inner in REFERENCE.findall(value):
            stripped = inner.strip()
            match = re.match(r"(.*?)\.", stripped)
            type_ = match.group(1) if match else ""
            if type_ not in SHARED_TYPES:
                continue
            ids = ids or self.scope_ids(resource)
            if ids[type_] is None:
                continue
            key = re.search(r"\.(.*)", stripped).group(1)
            for row in self.shared_in_scope(ids["team"], type_, None if type_ == "team" else ids[type_]):
                if row["key"] == key:
                    value = value.replace("{{%s}}" % inner, row["value"] or "")
                    break
        return value

    def resolve_env(self, env):
        owner = self._table(env["resource_type"]).get(env["resource_id"])
        return self.resolve(env["value"], owner)

    def env_values(self, kind, row):
        """What a (re)start hands the containers: key -> resolved value (preview rows are for PR deployments)."""
        return {env["key"]: self.resolve(env["value"], row) for env in self.envs_of(kind, row) if not env.get("is_preview")}

    def record_started_env(self, kind, row, when):
        row["started_env"] = self.env_values(kind, row)
        row["started_env_at"] = when

    def shared_snapshot(self):
        return {"shared_envs": [dict(row) for row in sorted(self.shared_envs.values(), key=lambda item: item["id"])]}
