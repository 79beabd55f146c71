#!/usr/bin/python
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: coolify_env
short_description: Create, update, prune and roll back environment variables across many Coolify resources
version_added: 1.0.0
author: coolops maintainers (@coolops)
description:
  - Sets environment variables on every selected Coolify application or service, in one bulk request per resource,
    and optionally restarts the resources whose variables changed.
  - Works as plan, then apply. Every resource is read and planned first, and the input is validated completely
    (key names, value types, hidden values, protected keys), before anything is written. Check mode stops after the
    plan.
  - Rows are matched on the key and the preview flag, because Coolify keeps the production value and the
    pull-request preview value of a key as two separate rows. O(scope) decides which of them are managed.
  - Values are never returned, logged or shown in a diff, at any verbosity. Results, diffs and messages name keys
    and flags only; every value appears as C(********).
extends_documentation_fragment:
  - coolops.coolify.connection
  - coolops.coolify.selectors
  - coolops.coolify.batch
  - coolops.coolify.attributes
  - coolops.coolify.attributes.check_mode
  - coolops.coolify.attributes.diff_mode
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
    support: partial
    details:
      - Idempotent when the token can read values (the C(read:sensitive) ability). Values the token cannot read, and
        C(is_shown_once) values (never readable), follow O(hidden_values); with the default V(update) they are
        rewritten on every run.
options:
  uuids:
    description:
      - Select resources by uuid.
      - Selected resources are the union of O(uuids), O(names) and O(tags), without duplicates, in the order given.
      - A uuid that does not exist, or that exists only outside the O(project)/O(environment)/O(server) scope, fails
        the task before anything is changed.
    type: list
    elements: str
    aliases: [application_uuids]
  resource_type:
    description:
      - Whether the selectors pick applications, services or standalone databases.
      - Services and databases have no preview variables, so they need O(scope=production). Selecting them by
        O(tags) reads each candidate's tags (one C(GET …/{uuid}/tags) each, after the scope narrowed the list).
      - A database reads its variables only when it starts, so use O(restart=changed) (or a later restart with
        M(coolops.coolify.coolify_database_batch)) to apply them.
      - The variables that hold a database's own credentials (C(REDIS_PASSWORD), C(REDIS_USERNAME),
        C(POSTGRES_PASSWORD), C(POSTGRES_USER), C(POSTGRES_DB), and the C(MYSQL_*), C(MARIADB_*), C(MONGO_INITDB_*),
        C(KEYDB_PASSWORD), C(DRAGONFLY_PASSWORD) and C(CLICKHOUSE_*) credential keys) are never managed here; with
        V(database), listing one in O(env) fails the task before any write, and O(prune) never deletes them. Coolify
        keeps them in step with the database settings.
    type: str
    choices: [application, service, database]
    default: application
  resource_types:
    description:
      - Select several kinds at once; overrides O(resource_type). The selectors apply to every kind listed (a uuid or
        name must resolve in one of them), and the run is one unit, in the order given.
      - One rollback unit across kinds. With O(rollback=true), a failed write or restart on any resource restores
        every written resource of every kind, and restarts again the ones already restarted. With
        O(restart=changed) the kinds restart one after the other (each with O(strategy)); a failed kind halts the
        later ones.
      - O(scope) applies to applications only; the other kinds have no preview rows and always use V(production).
      - Use it when one secret is used by applications and services, so that a failure on the services does not
        leave the applications restarted on the new value.
    type: list
    elements: str
    choices: [application, service, database]
    version_added: 1.1.0
  env:
    description:
      - The variables, as a dictionary of C(KEY) to value.
      - A value is either a string, or a dictionary with the keys C(value) (required), C(is_literal), C(is_multiline),
        C(is_shown_once), C(is_runtime), C(is_buildtime) (booleans) and C(comment) (a string of at most 256
        characters).
      - Flags that are not given keep their current value on an existing variable, and take Coolify's defaults on a
        new one (C(is_runtime) and C(is_buildtime) true, the others false). Every write still sends the complete flag
        set, because Coolify resets flags that a request leaves out.
      - Keys must match C(^[A-Za-z_][A-Za-z0-9_.]*$) and be at most 255 characters long. They are checked before any
        write, because Coolify's bulk endpoint saves the items before an invalid one.
      - Values must be strings. Numbers and booleans are refused with an error naming the key rather than converted,
        because YAML silently turns V(yes), V(on), V(1.10) or V(0123) into something else; quote them.
        V(null) and the empty string both mean an empty value.
      - Coolify strips leading and trailing whitespace from values (and stores an empty value as null). The
        comparison takes that into account, and the module warns, naming the key, when a value would be stripped.
      - With O(state=absent) only the keys matter; the values are ignored.
      - The whole option is C(no_log). Use a vaulted variable or a lookup to feed it.
    type: dict
    required: true
  state:
    description:
      - V(present) creates missing variables and updates the ones whose value or given flags differ.
      - V(absent) deletes the listed keys (by the uuid of each row, in the managed O(scope)).
    type: str
    choices: [present, absent]
    default: present
  scope:
    description:
      - Which rows of an application are managed.
      - V(production) manages the normal rows (C(is_preview=false)), V(preview) the pull-request preview rows
        (C(is_preview=true)), V(both) keeps both rows of every key in step. Rows outside the scope are never read for
        comparison, written, or pruned.
      - "Coolify's automatic preview copy: when a production variable is created on an application, Coolify also
        creates a preview row for the same key with the same value and flags, unless a preview row already exists.
        With V(production) this module leaves that copy in place (it is what Coolify does for every client), does not
        report it in RV(resources[].added), and does not manage it afterwards: later updates, O(state=absent) and
        O(prune) leave preview rows alone. Use V(both) to keep the preview rows in step, or V(preview) to manage them
        on their own. A rollback deletes preview copies that the run's creates made."
      - With V(both), preview rows are written before production rows, so Coolify makes no copy.
      - Services have no preview rows; only V(production) is accepted for them.
    type: str
    choices: [production, preview, both]
    default: production
  prune:
    description:
      - With O(state=present), also delete the variables that are not listed in O(env), within the managed O(scope)
        only.
      - Keys generated by Coolify (C(SERVICE_*), for example C(SERVICE_FQDN_APP) or C(SERVICE_PASSWORD_DB)) are never
        pruned unless O(manage_service_keys=true); a database's credential variables are never pruned (see
        O(resource_type)).
      - An empty O(env) with O(prune=true) fails the task before any API call, because it would delete every
        variable in the scope (a template that rendered empty looks the same).
    type: bool
    default: false
  manage_service_keys:
    description:
      - Allow this module to manage keys starting with C(SERVICE_), which Coolify generates for compose-based
        resources (URLs, users and passwords of the bundled databases).
      - When V(false), listing such a key in O(env) fails the task before any write, and O(prune) skips them.
    type: bool
    default: false
  hidden_values:
    description:
      - What to do with an existing variable whose current value cannot be read. Coolify hides values from tokens
        without the C(read:sensitive) ability, and always hides C(is_shown_once) values (since Coolify 4.2.0).
      - V(update) writes the desired value without comparing, reports the variable as updated and the task as
        changed, and warns, naming the missing C(read:sensitive) ability (or C(is_shown_once)).
      - V(skip) leaves such variables untouched (listed in RV(resources[].skipped)) and warns.
      - V(fail) fails the task before any write, listing them.
      - New variables and deletions never need to read a value.
    type: str
    choices: [update, skip, fail]
    default: update
  rollback:
    description:
      - When a write fails, restore the previous rows on every resource already written (values, flags and comments),
        delete the variables the run created (and the preview copies Coolify made for them), and recreate the ones it
        deleted.
      - The previous rows are kept in memory only, never on disk. A variable whose previous value could not be read
        (see O(hidden_values)) cannot be restored; such a resource reports the failure, and the module warns before
        writing.
      - With O(rollback=true) writes go in waves of O(max_workers) resources, and the run stops at the first wave
        with a failure, so that little has to be undone. Deletes (O(prune), O(state=absent)) run only after every
        create and update wave has succeeded, because a deleted row can only be recreated, with a new uuid.
      - The restore reads the rows again and writes back only what differs, so it is retried, in up to three rounds,
        like any idempotent write. When it still fails, RV(resources[].not_restored) and the task message list every
        key left changed, deleted or added, per resource (keys only, never values).
      - A resource whose write may still land (a proxy's 502/504 or other give-up, a lost answer) gets its previous
        rows written back whatever the re-read shows, and is never reported V(rolled_back); its touched keys are
        listed in RV(resources[].not_restored) as unknown, because no re-read proves the late write will not land.
      - With O(restart=changed), a failed restart (after O(max_fail_percentage)) also rolls back the variables of
        every written resource and restarts the already restarted ones again, so the previous values are live.
      - Recreated rows get new uuids.
    type: bool
    default: false
  restart:
    description:
      - V(none) only writes the variables; Coolify applies them at the next restart or deployment.
      - V(changed) restarts the resources whose variables changed, with the same engine and options as
        M(coolops.coolify.coolify_app_batch) and M(coolops.coolify.coolify_service_batch) (O(strategy), O(batch_size),
        O(pause_seconds), O(max_fail_percentage), O(wait), O(wait_timeout)).
      - Resources that were written are restarted even when the write failed on other resources (without
        O(rollback)), so that a later run, which sees them unchanged, does not leave them on old values. So are the
        resources whose write may have landed (RV(resources[].outcome=unknown)) or partly landed.
    type: str
    choices: [none, changed]
    default: none
  healthy:
    description:
      - With O(restart=changed) and O(wait=true), a restarted resource counts as done only once Coolify reports it
        C(running:healthy), not merely running.
    type: bool
    default: false
  poll_interval:
    description:
      - Seconds between two polls of the task's watcher while waiting for the restarts; steady while they are
        pending, stretched only after errors.
    type: float
    default: 2
  max_workers:
    description:
      - Maximum number of resources read, written and restarted at the same time. V(1) means one after the other.
      - The HTTP connection pool is sized to this value; all workers share one rate-limit pacer.
    type: int
    default: 10
notes:
  - The token needs the C(read) and C(write) abilities, C(read:sensitive) to compare values (see O(hidden_values)),
    and C(deploy) for O(restart=changed). Reading service variables also requires an admin or owner of the team.
  - O(env) is C(no_log), but its values are not masked as text in the result. The module never returns a value, and
    the echo of the module's arguments (C(invocation), at C(-vvv)) shows the keys of O(env) only. So a short value such
    as V(2), V(true) or V(a) never alters a uuid, a name, a count or a message.
  - Error texts from Coolify that may quote a sent value have the value masked, or are withheld when the value is
    shorter than eight characters.
  - Coolify applies changed variables only when a resource is restarted or redeployed; see O(restart).
seealso:
  - module: coolops.coolify.coolify_app_batch
  - module: coolops.coolify.coolify_service_batch
  - module: coolops.coolify.coolify_info
'''

EXAMPLES = r'''
- name: Rotate an API key on every staging application and restart them in rolling waves
  coolops.coolify.coolify_env:
    api_url: https://coolify.example.com
    api_token: "{{ lookup('ansible.builtin.env', 'COOLIFY_API_TOKEN') }}"
    tags: [staging]
    env:
      PAYMENT_API_KEY: "{{ vault_payment_api_key }}"
    rollback: true
    restart: changed
    strategy: rolling
    batch_size: 2

- name: Keep the preview rows in step, with flags
  coolops.coolify.coolify_env:
    names: [shop-web, shop-api]
    project: shop
    scope: both
    env:
      LOG_LEVEL: info
      TLS_CERT:
        value: "{{ lookup('ansible.builtin.file', 'cert.pem') }}"
        is_multiline: true
        is_buildtime: false
        comment: rotated by Ansible

- name: Make the production variables of one application exactly these (delete the others)
  coolops.coolify.coolify_env:
    uuids: [h8k2m0c4s6w1q3e5r7t9y2u4]
    env:
      APP_ENV: production
      DATABASE_URL: "{{ vault_database_url }}"
    prune: true
  check_mode: true
  diff: true
  register: plan

- name: Rotate a key used by the applications and the services of a project as one rollback unit
  coolops.coolify.coolify_env:
    resource_types: [application, service]
    project: shop
    env:
      SMTP_PASSWORD: "{{ vault_smtp_password }}"
    rollback: true
    restart: changed
    strategy: rolling
    batch_size: 2

- name: Delete a key from every service of a project
  coolops.coolify.coolify_env:
    resource_type: service
    project: internal-tools
    env:
      LEGACY_FLAG:
    state: absent

- name: Use the collection's module defaults group for the connection
  module_defaults:
    group/coolops.coolify.coolify:
      api_url: https://coolify.example.com
      api_token: "{{ lookup('ansible.builtin.env', 'COOLIFY_API_TOKEN') }}"
  block:
    - name: Fail instead of rewriting values the token cannot read
      coolops.coolify.coolify_env:
        tags: [production]
        env:
          FEATURE_FLAGS: "checkout,search"
        hidden_values: fail
'''

RETURN = r'''
resources:
  description: One entry per selected resource, in selection order. Key lists only; never a value.
  returned: always
  type: list
  elements: dict
  contains:
    uuid:
      description: Resource uuid.
      type: str
      sample: h8k2m0c4s6w1q3e5r7t9y2u4
    name:
      description: Resource name.
      type: str
      sample: shop-web
    type:
      description: V(application), V(service) or V(database).
      type: str
      sample: application
    outcome:
      description:
        - V(written) (the variables were changed), V(rolled_back) (they were changed, then restored), V(failed),
          V(unknown) (a write failed and reading the rows back could not show whether it landed; counted as changed),
          or V(untouched) (nothing to do, check mode, or not attempted after an earlier failure).
      type: str
      sample: written
    settled:
      description:
        - Null when every write of this resource was answered with success. Otherwise what reading the rows back
          after an error answer (a lost answer, a timeout, a 5xx) showed, V(written), V(not_written), V(partly) or
          V(unknown).
        - A write that is V(not_written) after a proxy's 502/504, a timeout or a lost answer is V(unknown), because
          it may still land.
      type: str
      sample: written
    not_restored:
      description:
        - Rows that a failed rollback left changed, deleted or added (the task message says which), whose previous
          value was unreadable, or whose write may still land after the restore (unknown). Keys only.
      type: list
      elements: str
      sample: [API_KEY, OLD_KEY]
    changed:
      description: Whether the variables of this resource differ from before the task (or would, in check mode).
      type: bool
      sample: true
    failed:
      description: Whether writing, restoring or restarting this resource failed.
      type: bool
      sample: false
    added:
      description: Rows created (or to create). Preview rows are named C(KEY@preview).
      type: list
      elements: str
      sample: [NEW_KEY]
    updated:
      description: Rows whose value or flags were updated (or would be).
      type: list
      elements: str
      sample: [API_KEY, API_KEY@preview]
    removed:
      description: Rows deleted (or to delete), by O(state=absent) or O(prune).
      type: list
      elements: str
      sample: [OLD_KEY]
    unchanged:
      description: Listed rows that already had the desired value and flags.
      type: list
      elements: str
      sample: [LOG_LEVEL]
    skipped:
      description: Rows left alone because their current value could not be read and O(hidden_values=skip).
      type: list
      elements: str
      sample: []
    restarted:
      description: Whether the resource was restarted (in check mode, would be) because of O(restart=changed).
      type: bool
      sample: true
    rolled_back:
      description: Whether the previous rows of this resource were restored after a failure.
      type: bool
      sample: false
    error:
      description: What went wrong on this resource, in one sentence, or null.
      type: str
      sample: "PATCH /applications/h8k2m0c4s6w1q3e5r7t9y2u4/envs/bulk failed with HTTP 500: Server Error."
summary:
  description: Counts over RV(resources).
  returned: always
  type: dict
  contains:
    total:
      description: Selected resources.
      type: int
    changed:
      description: Resources whose variables changed (or would).
      type: int
    failed:
      description: Resources that failed.
      type: int
    restarted:
      description: Resources restarted.
      type: int
    rolled_back:
      description: Resources whose previous rows were restored.
      type: int
    written:
      description: Resources with outcome V(written).
      type: int
    untouched:
      description: Resources with outcome V(untouched).
      type: int
    unknown:
      description: Resources with outcome V(unknown) (counted in RV(summary.changed) too).
      type: int
    keys_not_restored:
      description: Rows listed in RV(resources[].not_restored), over all resources.
      type: int
    keys_added:
      description: Rows created (or to create), over all resources.
      type: int
    keys_updated:
      description: Rows updated (or to update).
      type: int
    keys_removed:
      description: Rows deleted (or to delete).
      type: int
    keys_unchanged:
      description: Listed rows already as desired.
      type: int
    keys_skipped:
      description: Rows skipped by O(hidden_values=skip).
      type: int
  sample:
    total: 12
    changed: 3
    failed: 0
    restarted: 3
    rolled_back: 0
    written: 3
    untouched: 9
    unknown: 0
    keys_added: 0
    keys_updated: 3
    keys_removed: 0
    keys_unchanged: 9
    keys_skipped: 0
    keys_not_restored: 0
msg:
  description: One line describing what happened (or would happen).
  returned: always
  type: str
  sample: "Changed 3 of 12 applications: 0 variable(s) added, 3 updated, 0 removed; 3 restarted."
'''

from ansible_collections.coolops.coolify.plugins.module_utils._env import run_env
from ansible_collections.coolops.coolify.plugins.module_utils._lifecycle import lifecycle_argument_spec
from ansible_collections.coolops.coolify.plugins.module_utils._module import (
    batch_argument_spec,
    merge_argument_specs,
    module_main,
    selector_argument_spec,
)


def argument_spec():
    spec = merge_argument_specs(selector_argument_spec(), batch_argument_spec(), dict(
        resource_type=dict(type="str", default="application", choices=["application", "service", "database"]),
        resource_types=dict(type="list", elements="str", choices=["application", "service", "database"]),
        env=dict(type="dict", required=True, no_log=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        scope=dict(type="str", default="production", choices=["production", "preview", "both"]),
        prune=dict(type="bool", default=False),
        manage_service_keys=dict(type="bool", default=False, no_log=False),
        hidden_values=dict(type="str", default="update", choices=["update", "skip", "fail"]),
        rollback=dict(type="bool", default=False),
        restart=dict(type="str", default="none", choices=["none", "changed"]),
    ))
    lifecycle = lifecycle_argument_spec("application")
    spec["healthy"] = lifecycle["healthy"]
    spec["poll_interval"] = lifecycle["poll_interval"]
    spec["uuids"]["aliases"] = ["application_uuids"]
    return spec


def main():
    module_main(argument_spec(), run_env, keys_only=("env",))


if __name__ == "__main__":
    main()
