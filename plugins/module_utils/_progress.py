# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Progress of a long batch task: the module writes its item counts to a small file, the action plugin shows them.

The collection's action plugin for a batch module names the file in the module's environment (``PROGRESS_ENV``);
without it, nothing is written. The file holds one JSON object (``total``, ``done``, ``failed``, ``pending``) and is
replaced atomically, so a reader never sees half of it. Counts only: no name, uuid or message goes into it.
"""

from __future__ import annotations

import json
import os

PROGRESS_ENV = "COOLOPS_COOLIFY_PROGRESS_FILE"
FIELDS = ("total", "done", "failed", "pending")


def progress_writer(path=None):
    """An ``on_progress(counts)`` callable that rewrites the progress file, or None when no file was asked for."""
    path = path if path is not None else os.environ.get(PROGRESS_ENV)
    if not path:
        return None

    def on_progress(counts):
        data = dict((key, int(counts.get(key) or 0)) for key in FIELDS)
        temporary = "%s.%d.tmp" % (path, os.getpid())
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(temporary, path)
        except (OSError, ValueError):
            pass  # progress is best effort: it never fails the task

    return on_progress


def read_progress(path):
    """The counts last written to ``path``, or None (no file yet, or not a progress object)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or any(not isinstance(data.get(key), int) for key in FIELDS):
        return None
    return data


def progress_line(verb, counts):
    """``restarted 120/200, 3 failed, 77 pending``."""
    text = "%s %d/%d" % (verb, counts["done"], counts["total"])
    if counts["failed"]:
        text += ", %d failed" % counts["failed"]
    if counts["pending"]:
        text += ", %d pending" % counts["pending"]
    return text
