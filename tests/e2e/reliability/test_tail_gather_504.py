# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile review of the wait: false tail gather with lost answers: restarts of the last wave (and one in the middle)
are processed by Coolify but their answer is a 504/502 (or hangs). No restart is sent twice, and no item is claimed
queued unless its deployment really exists and a deployment read reached Coolify after the restart was processed."""

from __future__ import annotations

import re

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch

# pylint: disable=import-error
from _proxy import HTML_502
from _support import APP_NAMES, admits_uncertainty, api_log, assert_refused, connection, count, processed, uuids_of

RESTART = r"^/api/v1/applications/%s/restart$"
DEPLOYMENT_READ = r"^/api/v1/deployments(/|$)"


def lose(uuids):
    return [r"^POST /api/v1/applications/(%s)/restart$" % "|".join(re.escape(uuid) for uuid in uuids)]


def answer_502_after_processing(proxy, uuids):
    """The proxy forwards the restart (Coolify processes it) and then answers 502 instead of Coolify's answer."""
    forward = proxy._forward  # pylint: disable=protected-access
    pattern = re.compile(r"^/api/v1/applications/(%s)/restart$" % "|".join(re.escape(uuid) for uuid in uuids))

    def lossy_forward(handler, body):
        status, content_type, headers, data = forward(handler, body)
        if handler.command == "POST" and pattern.search(handler.path.split("?", 1)[0]):
            return 502, "text/html", {}, HTML_502
        return status, content_type, headers, data

    proxy._forward = lossy_forward  # pylint: disable=protected-access


def lose_answers(emu, proxy, lost, fault):
    """The restarts of ``lost`` are processed and their answer lost: "504" (the emulator loses it), "502" (the proxy
    turns it into a 502), or "504-after-hang" (lost after 0.6 s on the wire)."""
    if fault == "502":
        answer_502_after_processing(proxy, lost)
        return
    emu.configure(lose_paths=lose(lost))
    if fault == "504-after-hang":
        for uuid in lost:
            proxy.add_rule("delay_after", RESTART % uuid, method="POST", seconds=0.6)


def check_truthful(emu, result, uuids, lost):
    """Each restart processed (and sent) once; an item claimed queued has its real deployment, read after the send;
    a lost item is either found (says so) or failed admitting the outcome is unknown. Returns the entries by uuid."""
    log = api_log(emu)
    state = emu.state()
    by_uuid = {entry["uuid"]: entry for entry in result["applications"]}
    assert sorted(by_uuid) == sorted(uuids), result
    for uuid in uuids:
        assert processed(log, "POST", RESTART % uuid) == 1, uuid
        assert count(log, "POST", RESTART % uuid) == 1, "%s: the restart was sent again" % uuid
        entry = by_uuid[uuid]
        deployments = [dep for dep in state["deployments"] if dep["application_uuid"] == uuid]
        assert len(deployments) == 1, deployments
        if uuid in lost:
            sent = [item for item in log if item["method"] == "POST" and re.search(RESTART % uuid, item["path"])]
            assert sent[0].get("fault") == "lost" or sent[0]["status"] < 400, sent
        if entry["failed"]:
            assert uuid in lost, "an item whose answer arrived failed: %r" % entry
            assert admits_uncertainty(entry["error"]), entry
            assert "queued" not in (entry.get("reason") or ""), entry
            continue
        assert entry["changed"], entry
        assert entry["deployment_uuid"] == deployments[0]["deployment_uuid"], (entry, deployments)
        assert deployments[0]["status"] in ("queued", "in_progress", "finished"), deployments
        if uuid in lost:
            assert "The answer was lost; the deployment it created was found." in entry["reason"], entry
        else:
            assert entry["reason"].startswith("restart queued (deployment"), entry
        # a deployment read reached Coolify after the restart was processed
        index = [i for i, item in enumerate(log)
                 if item["method"] == "POST" and re.search(RESTART % uuid, item["path"])][0]
        later = [item for item in log[index + 1:]
                 if item["method"] == "GET" and re.search(DEPLOYMENT_READ, item["path"])]
        assert later, "%s claimed without any deployment read after its restart: %r" % (uuid, entry)
    return by_uuid


@pytest.mark.parametrize("workers", [6, 4, 2])
@pytest.mark.parametrize("fault", ["504", "502", "504-after-hang"])
def test_last_wave_lost_answers_are_never_resent_nor_claimed_unseen(emu, proxy, run_module, fault, workers):
    emu.configure(deploy_seconds=30.0)  # every deployment stays in the list: list reads can find them all
    uuids = uuids_of(emu.state(), "applications", APP_NAMES)
    lost = uuids[-2:]  # the last items handed out: the last wave, on the wire when the tail gather runs
    lose_answers(emu, proxy, lost, fault)
    result = restart_losing_nothing_after(emu, proxy, run_module, uuids, workers)
    if fault != "502":
        assert [item for item in api_log(emu) if item.get("fault") == "lost"], "no answer was lost: proves nothing"
    by_uuid = check_truthful(emu, result, uuids, lost)
    for uuid in uuids[:-2]:
        assert not by_uuid[uuid]["failed"], by_uuid[uuid]


def restart_losing_nothing_after(emu, proxy, run_module, uuids, workers):
    """Restart ``uuids`` with wait: false through the proxy; the emulator loses no answer after the run."""
    try:
        return run_module(coolify_app_batch, connection(proxy.api_url, uuids=uuids, state="restarted", wait=False,
                                                        poll_interval=2.0, max_workers=workers, max_retries=3,
                                                        timeout=10, wait_timeout=20))
    finally:
        emu.configure(lose_paths=[])


@pytest.mark.parametrize("workers", [6, 3])
@pytest.mark.parametrize("hang", [1.5, 12.0], ids=["hung", "read-timeout"])
def test_lost_answer_mid_fan_out_plus_hung_last_answer(emu, proxy, run_module, workers, hang):
    # hang 12 > timeout 10: the last restart is processed, its answer never comes (client read timeout).
    emu.configure(deploy_seconds=30.0)
    uuids = uuids_of(emu.state(), "applications", APP_NAMES)
    middle, last = uuids[2], uuids[-1]
    emu.configure(lose_paths=lose([middle]))
    proxy.add_rule("delay_after", RESTART % last, method="POST", seconds=hang)
    result = restart_losing_nothing_after(emu, proxy, run_module, uuids, workers)
    assert [item for item in api_log(emu) if item.get("fault") == "lost"], "no answer was lost: proves nothing"
    lost = [middle] + ([last] if hang > 10 else [])
    by_uuid = check_truthful(emu, result, uuids, lost)
    if hang < 10:
        assert not by_uuid[last]["failed"], by_uuid[last]


EMPTY = [{"uuids": ["", " "]}, {"names": []}, {"names": ["", " "]}, {"uuids": []}, {"tags": [" "]}]


@pytest.mark.parametrize("extra", EMPTY, ids=[repr(case) for case in EMPTY])
def test_templated_empty_selector_wait_false_is_refused_before_any_request(emu, run_module, extra):
    args = connection(emu.api_url, state="restarted", wait=False, max_workers=6)
    args.update(extra)
    assert_refused(run_module(coolify_app_batch, args), emu, no_calls=True)
    assert api_log(emu) == []
