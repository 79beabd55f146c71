# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The memory tag of playbooks/nightly-shutdown.yml and nightly-startup.yml, run with ansible-playbook against the
emulator: the startup forgets only what really runs again (review-b reproductions)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIXTURE = os.path.join(HERE, "files", "nightly_memory.yml")
MEMORY = "coolops-nightly-stopped"
FAILED = "coolops-nightly-start-failed"
# Polls every 0.25 s: faster ones exhaust the emulator's rate limit (200 a minute, as Coolify's) while ops-pg-lost is
# watched until nightly_wait_timeout, and the 429s then hold up the other waits too.
SELECT = ("-e", "nightly_tag=staging", "-e", "nightly_database_project=ops", "-e", "nightly_poll_interval=0.25")
# ops-pg-lost never starts, so a startup waits for it this long; ops-pg starts in 0.3 s (job delay and status lag).
STARTUP_WAIT = ("-e", "nightly_wait_timeout=6")


@pytest.fixture
def nightemu(emulator_factory):
    return emulator_factory("--fixture", FIXTURE, "--job-delay-seconds", "0.2", "--status-lag-seconds", "0.1")


def playbook(emu, name, *extra):
    env = dict(os.environ, COOLIFY_API_URL=emu.api_url.rsplit("/api/v1", 1)[0], COOLIFY_API_TOKEN=emu.token,
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".venv", "collections"), ANSIBLE_NOCOLOR="1")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=" + sys.executable, os.path.join(ROOT, "playbooks", name)] + list(extra)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240, check=False)


def tags_of(emu, name):
    return [row for row in emu.state()["databases"] if row["name"] == name][0].get("tags") or []


def test_startup_keeps_the_memory_of_a_database_that_did_not_start(nightemu):
    """With nightly_max_fail_percentage a failed start is tolerated; the database still down keeps its memory tag (so a
    rerun retries it) and only the one that runs again loses it."""
    run = playbook(nightemu, "nightly-startup.yml", *SELECT, "-e", "nightly_max_fail_percentage=50", *STARTUP_WAIT)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    rows = {row["name"]: row for row in nightemu.state()["databases"]}
    assert not str(rows["ops-pg-lost"]["status"]).startswith("running"), rows["ops-pg-lost"]["status"]
    assert str(rows["ops-pg"]["status"]).startswith("running"), rows["ops-pg"]["status"]
    assert sorted(tags_of(nightemu, "ops-pg-lost")) == [FAILED, MEMORY], log[-3000:]
    assert tags_of(nightemu, "ops-pg") == [], log[-3000:]


def test_a_failed_start_without_tolerance_still_updates_the_memory_then_halts(nightemu):
    """Without nightly_max_fail_percentage the failed start halts the play, but only after the tags say what ran again
    and what did not: the next shutdown must be able to tell a stale memory from a fresh one."""
    run = playbook(nightemu, "nightly-startup.yml", *SELECT, *STARTUP_WAIT)
    log = run.stdout + run.stderr
    assert run.returncode != 0 and "Halt when the databases did not all start" in log, log[-3000:]
    assert sorted(tags_of(nightemu, "ops-pg-lost")) == [FAILED, MEMORY], log[-3000:]
    assert tags_of(nightemu, "ops-pg") == [], log[-3000:]


def database_starts(emu, since):
    return [r["path"] for r in emu.requests_log()[since:]
            if r["path"].startswith("/api/v1/databases/") and r["path"].endswith("/start")]


def test_the_next_startup_brings_back_only_what_the_last_shutdown_stopped(nightemu):
    """ops-pg-lost failed to start and is still down in the evening: the shutdown did not stop it, so it forgets it,
    and the next morning's startup leaves it alone. ops-pg, down with only the memory tag (an earlier shutdown run
    stopped it), keeps its memory through a rerun of the shutdown and comes back."""
    for dummy in range(2):  # the rerun must change nothing
        down = playbook(nightemu, "nightly-shutdown.yml", *SELECT, "-e", "nightly_wait_timeout=5")
        assert down.returncode == 0, (down.stdout + down.stderr)[-3000:]
        assert tags_of(nightemu, "ops-pg") == [MEMORY], (down.stdout + down.stderr)[-3000:]
        assert tags_of(nightemu, "ops-pg-lost") == [], (down.stdout + down.stderr)[-3000:]
    since = len(nightemu.requests_log())
    morning = playbook(nightemu, "nightly-startup.yml", *SELECT, "-e", "nightly_max_fail_percentage=50",
                       *STARTUP_WAIT)
    assert morning.returncode == 0, (morning.stdout + morning.stderr)[-3000:]
    assert database_starts(nightemu, since) == ["/api/v1/databases/db-ops-pg/start"], database_starts(nightemu, since)
    assert tags_of(nightemu, "ops-pg") == [] and tags_of(nightemu, "ops-pg-lost") == []
