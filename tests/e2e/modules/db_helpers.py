# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the database module tests share: the fixture (files/databases.yml) and readers of the emulator's state."""

from __future__ import annotations

import os

import pytest

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files", "databases.yml")
# Every generated database password (and so every connection URL) carries this marker.
DB_SECRET = "coolops-dbsecret"
TOKEN_MARK = "dbmk5e1"
READ_WRITE = "2|%s-read-write" % TOKEN_MARK
READ_DEPLOY = "3|%s-read-deploy" % TOKEN_MARK
ROOT = "1|%s-root" % TOKEN_MARK
# Queued jobs run after 0.3 s (as the other suites); status checks lag 0.1 s; each dump takes 0.3 s.
TIMING = ("--job-delay-seconds", "0.3", "--status-lag-seconds", "0.1", "--backup-seconds", "0.3", "--random-seed", "3")
FAST = {"poll_interval": 0.05, "wait_timeout": 20}


@pytest.fixture
def dbemu(emulator_factory):
    return emulator_factory("--fixture", FIXTURE, *TIMING, token=ROOT)


def db_args(emu, token=None, **extra):
    args = {"api_url": emu.api_url, "api_token": token or emu.token}
    args.update(FAST)
    args.update(extra)
    return args


def databases(emu):
    return {row["name"]: row for row in emu.state()["databases"]}


def statuses(emu):
    return {name: row["status"] for name, row in databases(emu).items()}


def writes(emu):
    return [r for r in emu.requests_log() if r["method"] != "GET"]


def by_name(result):
    return {item["name"]: item for item in result["databases"]}
