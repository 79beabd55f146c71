# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks on /_emulator/state for runme.sh: `verify.py waves SIZE < state.json`."""

from __future__ import annotations

import json
import sys


def waves(state, size):
    """Rolling: deployments come in groups of SIZE, each group created only after the previous one finished."""
    deployments = sorted(state["deployments"], key=lambda d: (d["created"], d["id"]))
    if not deployments or len(deployments) % size:
        sys.exit("verify: expected whole waves of %d deployments, got %d" % (size, len(deployments)))
    groups = [deployments[i:i + size] for i in range(0, len(deployments), size)]
    for before, after in zip(groups, groups[1:]):
        ended = max(d["finished_at"] for d in before)
        began = min(d["created"] for d in after)
        if began < ended:
            sys.exit("verify: a wave started at %.3f before the previous one finished at %.3f" % (began, ended))
    if any(d["status"] != "finished" for d in deployments):
        sys.exit("verify: a deployment did not finish")
    print("verify: %d waves of %d, each after the previous one finished" % (len(groups), size))


if __name__ == "__main__":
    CHECK = sys.argv[1]
    if CHECK == "waves":
        waves(json.load(sys.stdin), int(sys.argv[2]))
    else:
        sys.exit("verify: unknown check %s" % CHECK)
