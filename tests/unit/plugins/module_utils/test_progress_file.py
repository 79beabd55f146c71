# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The progress file of a batch task (pure: a file in tmp_path). Through ansible-playbook: tests/e2e/reliability/test_progress.py."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils._progress import (
    PROGRESS_ENV,
    progress_line,
    progress_writer,
    read_progress,
)


def test_no_file_asked_for_means_no_writer(monkeypatch):
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    assert progress_writer() is None


def test_the_writer_replaces_the_file_with_counts_only(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv(PROGRESS_ENV, str(path))
    write = progress_writer()
    write({"total": 5, "done": 1, "pending": 4, "names": ["api"]})
    assert read_progress(str(path)) == {"total": 5, "done": 1, "failed": 0, "pending": 4}
    write({"total": 5, "done": 3.0, "failed": 2, "pending": None})
    assert json.loads(path.read_text()) == {"total": 5, "done": 3, "failed": 2, "pending": 0}
    assert os.listdir(str(tmp_path)) == ["progress.json"]  # no temporary file left behind


def test_a_writer_that_cannot_write_never_fails_the_task(tmp_path):
    write = progress_writer(str(tmp_path / "no-such-dir" / "progress.json"))
    write({"total": 1, "done": 1})
    assert not (tmp_path / "no-such-dir").exists()


@pytest.mark.parametrize("content", [
    None,  # no file yet
    '{"total": 3, "done"',  # not JSON
    '[1, 2, 3, 4]',
    '{"total": 3, "done": 1, "failed": 0}',  # pending missing
    '{"total": 3, "done": "1", "failed": 0, "pending": 2}',
])
def test_anything_but_a_progress_object_reads_as_none(tmp_path, content):
    path = tmp_path / "progress.json"
    if content is not None:
        path.write_text(content)
    assert read_progress(str(path)) is None


@pytest.mark.parametrize("counts, line", [
    ({"total": 200, "done": 120, "failed": 3, "pending": 77}, "restarted 120/200, 3 failed, 77 pending"),
    ({"total": 4, "done": 4, "failed": 0, "pending": 0}, "restarted 4/4"),
    ({"total": 4, "done": 1, "failed": 0, "pending": 3}, "restarted 1/4, 3 pending"),
    ({"total": 4, "done": 2, "failed": 2, "pending": 0}, "restarted 2/4, 2 failed"),
])
def test_progress_line(counts, line):
    assert progress_line("restarted", counts) == line
