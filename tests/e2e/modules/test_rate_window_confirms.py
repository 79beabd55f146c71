# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 13 over HTTP: ``wait: false`` under a binding rate limit, with quick deployments and a slow network.

Each restart's deployment is in Coolify's list for about a second. A follow missed by the list reads costs a
``GET /deployments/{uuid}`` of its own. Before the watcher read the list first and confirmed each window's last
actions in that window, those GETs pushed the next list past the next follows, window after window: 300 restarts
at 150 ms took 507 requests instead of 310 (benchmarks, 100 requests per 10 s).
"""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch
from ansible_collections.coolops.coolify.tests.e2e.modules.batch_helpers import args_for

APPS = 90


def test_wait_false_under_a_rate_limit_confirms_each_windows_actions_from_the_list(emulator_factory, run_module):
    emu = emulator_factory("--seed-apps", str(APPS), "--seed-services", "0", "--seed-servers", "4",
                           "--seed-projects", "2", "--random-seed", "3", "--latency-ms", "150",
                           "--rate-limit", "30", "--rate-window", "3", "--deploy-seconds", "1",
                           "--status-lag-seconds", "0.5", "--queue-limit", "1000000", "--concurrent-builds", "1000000")
    uuids = sorted(app["uuid"] for app in emu.state()["applications"] if app["team_id"] == 0)
    assert len(uuids) == APPS
    result = run_module(coolify_app_batch, args_for(emu, uuids=uuids, state="restarted", wait=False,
                                                    max_workers=10, poll_interval=2.0, max_retries=8, timeout=15,
                                                    wait_timeout=120))  # far off: within two polls of it, GETs go
    assert not result.get("failed"), result["msg"]
    reasons = [item["reason"] for item in result["applications"]]
    assert all(reason.startswith("restart queued (deployment") for reason in reasons), reasons
    log = emu.requests_log()
    restarts = [entry for entry in log if entry["method"] == "POST" and entry["path"].endswith("/restart")
                and entry["status"] == 200]
    assert sorted(entry["path"].split("/")[4] for entry in restarts) == uuids  # each sent and processed once
    one_by_one = [entry for entry in log
                  if entry["method"] == "GET" and entry["path"].startswith("/api/v1/deployments/")]
    lists = [entry for entry in log if entry["method"] == "GET" and entry["path"] == "/api/v1/deployments"]
    # A window's last actions are answered while their deployments are still listed, so the list confirms them;
    # a GET by uuid is left for a deployment a loaded machine let slip (it proves it was stored, never a resend).
    assert len(one_by_one) <= 6, (len(one_by_one), len(lists))  # 90 before the change
    assert lists
