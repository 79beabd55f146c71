#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: coolify_database_backup
short_description: Take an on-demand backup of many Coolify standalone databases and wait for it
version_added: 1.1.0
author: coolops maintainers (@coolops)
description:
  - Runs a backup of every selected standalone database now, through the database's scheduled backup configuration
    (Coolify's C(backup_now)), and waits until the backup execution that this request started has succeeded or
    failed.
  - The execution is identified safely. Coolify returns no execution id, so the executions of the configuration are
    read before the request; the one this request started is an execution that did not exist before and was created
    after the request was sent. An older or concurrent execution is never taken for it.
  - A C(backup_now) request is not idempotent (each one queues a backup run). A request whose answer is lost is never
    sent again; the executions are read instead, and when none appears the database is reported failed with an
    unknown outcome.
  - "A database without a backup configuration is reported C(skipped: no backup configured); with
    O(require_backup=true) it fails instead."
  - A database that is not running fails (Coolify skips the backup of a database that is not running, without any
    trace), and so does a database whose configuration is already running a backup (Coolify would drop a second run).
  - A backup that fails, or does not finish within O(wait_timeout), fails with one sentence naming the database.
  - A run makes one execution per database name of the configuration (MongoDB's names are separated by C(|), the
    others' by a comma); the module waits for all of them.
  - When the configuration saves to S3 (C(save_s3)) and an execution's S3 upload failed, the database fails. Coolify
    records such an execution as a success with a warning, but the off-site copy does not exist.
  - When a database has several backup configurations, the newest enabled one is used (RV(databases[].backup_uuid)).
  - Check mode says which databases would be backed up with which configuration, and sends no write.
  - No password or connection URL is ever returned.
extends_documentation_fragment:
  - coolops.coolify.connection
  - coolops.coolify.selectors
  - coolops.coolify.attributes
  - coolops.coolify.attributes.CHECK_MODE
  - coolops.coolify.attributes.DIFF_MODE_NONE
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: none
    details:
      - Every run takes a new backup.
options:
  uuids:
    description:
      - Select databases by uuid.
      - A uuid that does not exist, belongs to another team, or exists only outside the
        O(project)/O(environment)/O(server) scope, fails the task before any backup is started.
    type: list
    elements: str
    aliases: [database_uuids]
  tags:
    description:
      - Select every database carrying one of these tags (any of them; names compare lowercase, as Coolify stores
        them). A tag that matches nothing (in the scope) fails the task.
      - Coolify's databases lists carry no tags and have no tag filter, so this costs one list plus one
        C(GET /databases/{uuid}/tags) per database left after O(project)/O(environment)/O(server) narrowed the list, read
        O(max_workers) at a time. A failed tag read fails the task before anything is changed.
    type: list
    elements: str
  require_backup:
    description:
      - Fail for a selected database that has no backup configuration, instead of reporting it skipped.
    type: bool
    default: false
  max_workers:
    description: How many databases are backed up at the same time.
    type: int
    default: 10
  wait_timeout:
    description:
      - Seconds to wait for each database's backup to finish (from the request, queue time included). A backup still
        running after that fails the task; Coolify keeps running it.
    type: float
    default: 3600.0
  poll_interval:
    description:
      - Seconds between the first reads of the executions; later reads back off by a factor of 1.5, up to 8 times
        this value.
    type: float
    default: 2.0
  max_fail_percentage:
    description:
      - Percentage of failed databases that is tolerated. The task fails only when more than this percentage of the
        selected databases failed. When not set, any failed database fails the task.
    type: float
  max_resources:
    description:
      - The most databases the selectors may select. When they select more, the task fails before any backup is
        started, naming the count; check mode fails the same way.
      - A guard against a selector that matches far more than intended. When not set, there is no limit.
      - Must be at least V(1).
    type: int
notes:
  - The token needs the C(read) and C(write) abilities (or C(root)); Coolify checks that the token's team member may
    update the database (admin or owner).
  - Create the backup configuration in Coolify first (the database's Backups tab, or C(POST /databases/{uuid}/backups)).
seealso:
  - module: coolops.coolify.coolify_database_batch
  - module: coolops.coolify.coolify_info
'''

EXAMPLES = r'''
- name: Back up every database of a server before maintenance, and fail if one has no backup configured
  coolops.coolify.coolify_database_backup:
    api_url: https://coolify.example.com
    api_token: "{{ lookup('ansible.builtin.env', 'COOLIFY_API_TOKEN') }}"
    server: edge-01
    require_backup: true
  register: backup

- name: Show where each dump went
  ansible.builtin.debug:
    msg: "{{ backup.databases | map(attribute='filename') | list }}"

- name: Preview which shop databases would be backed up
  coolops.coolify.coolify_database_backup:
    project: shop
  check_mode: true
'''

RETURN = r'''
databases:
  description: One entry per selected database, in selection order.
  returned: success and failure after the selectors resolved
  type: list
  elements: dict
  contains:
    uuid:
      description: The database uuid.
      type: str
      sample: p0s8kc4wgo4
    name:
      description: The database name.
      type: str
      sample: shop-postgres
    database_type:
      description: Coolify's type of the database, for example C(standalone-postgresql); null for KeyDB.
      type: str
      sample: standalone-postgresql
    backup_uuid:
      description: The backup configuration used, or null when the database has none.
      type: str
      sample: b4c0kg8ws0
    execution_uuid:
      description: The uuid of the (first) backup execution this request started; null when none was seen.
      type: str
      sample: e8ok0wc4s4
    status:
      description:
        - V(success), V(failed), or V(running) (when waiting ran out); null when no execution was started or seen.
      type: str
      sample: success
    size:
      description: Size of the dump in bytes (the sum over the executions of the run), or null.
      type: int
      sample: 1048576
    filename:
      description: Path of the dump on the server (of the first execution); null after a failure.
      type: str
      sample: /data/coolify/backups/databases/shop/pg-dump-shop-1767222000.dmp
    duration_seconds:
      description:
        - Seconds from the execution's creation to its end, as Coolify recorded them (whole seconds), or as measured
          here when Coolify recorded no end.
      type: float
      sample: 2.0
    executions:
      description:
        - Every execution this request started (one per database name of the configuration), oldest first, with
          C(uuid), C(status), C(size), C(filename), C(database_name), C(created_at) and C(finished_at).
      type: list
      elements: dict
    changed:
      description: Whether a backup was started (or would be, in check mode).
      type: bool
    failed:
      description: Whether the backup of this database failed, or the database could not be backed up.
      type: bool
    skipped:
      description: True when the database has no backup configuration.
      type: bool
    reason:
      description: "What was (or would be) done, in words, for example C(skipped: no backup configured)."
      type: str
      sample: backup success (configuration b4c0kg8ws0)
    error:
      description: One sentence naming the database and saying what went wrong, or null.
      type: str
      sample: "The backup of database shop-postgres failed (execution e8ok0wc4s4: pg_dump: error: connection failed)."
summary:
  description: Counts over RV(databases).
  returned: success and failure after the selectors resolved
  type: dict
  contains:
    total:
      description: Number of selected databases.
      type: int
    backed_up:
      description: Databases whose backup succeeded.
      type: int
    skipped:
      description: Databases without a backup configuration (not failed).
      type: int
    failed:
      description: Databases that failed.
      type: int
    ok:
      description: Databases that did not fail.
      type: int
msg:
  description: One line summing up the run, with the error of each failed database.
  returned: always
  type: str
  sample: "backed up 2 of 3 databases (1 skipped: no backup configured)"
'''

from ansible_collections.coolops.coolify.plugins.module_utils._backup import backup_argument_spec, run_database_backup
from ansible_collections.coolops.coolify.plugins.module_utils._module import module_main


def main():
    module_main(backup_argument_spec(), run_database_backup)


if __name__ == "__main__":
    main()
