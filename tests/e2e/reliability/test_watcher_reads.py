# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The watcher's reads are sent once: it polls again after its own back-off, so a read that keeps failing neither
multiplies requests nor runs the task past wait_timeout in the client's retries."""

from __future__ import annotations

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch

# pylint: disable=import-error
from _support import APP_NAMES, api_log, assert_one_sentence, connection, count


def test_reads_that_keep_failing_are_not_retried_by_the_client_and_the_items_time_out(emu, run_module):
    emu.configure(fail_paths=["GET /api/v1/deployments"])  # the list and every GET /deployments/{uuid}
    args = connection(emu.api_url, names=APP_NAMES[:2], state="restarted", wait_timeout=3, poll_interval=1,
                      max_retries=5)
    result = run_module(coolify_app_batch, args)
    assert result["failed"] and result["summary"]["failed"] == 2
    for entry in result["applications"]:
        assert entry["changed"] and "Timed out" in entry["error"], entry  # restarted, never seen to finish
    assert_one_sentence(result["msg"])
    log = api_log(emu)
    reads = count(log, "GET", r"^/api/v1/deployments")
    # At most one read a poll (1 s apart, stretched by errors) within the 3 s: retried by the client, each poll's
    # read would have gone out 1 + 5 times.
    assert 1 <= reads <= 4, reads
    assert count(log, "POST", r"/restart$") == 2
