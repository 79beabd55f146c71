# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin util is PRIVATE to the collection. It can change at any time; do not use it from elsewhere.

"""The action plugin of the batch modules: runs the module as Ansible would, and shows its progress meanwhile.

When the module runs on the controller (``connection: local``, or ``delegate_to: localhost``), the module runs in a
thread of the worker process: inside this process when ``_in_worker`` allows it (the controller's own Python, no
become, no task environment), else as the ``normal`` action plugin would run it. The module writes its item
counts to a private temporary file (``_progress``), and this thread shows them at most every SHOW_EVERY seconds
through Ansible's Display, so they reach the terminal and AWX's job output (as verbose events). Everything else
(async tasks, remote connections) goes through the normal path unchanged; check mode, ``--diff`` and the result are
the module's own in every case.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import tempfile
import threading
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.coolops.coolify.plugins.module_utils._progress import PROGRESS_ENV, progress_line, read_progress
from ansible_collections.coolops.coolify.plugins.plugin_utils._in_worker import in_worker_refusal, run_in_worker

display = Display()

SHOW_EVERY = 3.0  # seconds between two progress lines, at most one line per interval
CHECK_EVERY = 0.5  # how often the progress file is read


class BatchProgressAction(ActionBase):
    """Base of plugins/action/coolify_*_batch.py."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(BatchProgressAction, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        wrap_async = self._task.async_val
        if wrap_async or self._play_context.check_mode or getattr(self._connection, "transport", None) != "local":
            answer = self._execute_module(task_vars=task_vars, wrap_async=wrap_async)
        else:
            answer = self._relay(task_vars, (task_vars or {}).get("inventory_hostname") or "localhost")
        result = merge_hash(result, answer)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _relay(self, task_vars, host):
        """Run the module in a thread with a progress file named in its environment; show the counts it writes."""
        folder = tempfile.mkdtemp(prefix="coolops-coolify-progress-")  # private (0700): nobody else can plant the file
        path = os.path.join(folder, "progress.json")
        box = {}
        refusal = in_worker_refusal(self, task_vars)
        if refusal is None:
            display.vvv("%s runs inside this worker process" % self._task.resolved_action, host=host)
        else:
            display.vvv("%s runs as a child process: %s" % (self._task.resolved_action, refusal), host=host)

        done = threading.Event()

        def execute():
            try:
                if refusal is None:
                    box["result"] = run_in_worker(self, task_vars)
                else:
                    box["result"] = self._execute_module(task_vars=task_vars, wrap_async=False)
            except BaseException as exc:  # pylint: disable=broad-exception-caught
                box["error"] = exc
            finally:
                done.set()

        # The worker process runs this one task: the local connection's child inherits its environment.
        previous = os.environ.get(PROGRESS_ENV)
        os.environ[PROGRESS_ENV] = path
        # The thread runs in a copy of this thread's context: Ansible's task context (contextvars) is current there,
        # so what the module warns through Display (in the worker, AnsibleModule.warn does) joins the task's result.
        thread = threading.Thread(target=contextvars.copy_context().run, args=(execute,), name="coolops-coolify-module")
        try:
            thread.start()
            self._show_while(thread, path, host)
        finally:
            # Not thread.join(): when an exception (the task's timeout, from SIGALRM) interrupted an earlier join,
            # Python 3.12 has marked the thread stopped, and join() would return while the module still runs.
            if thread.ident is not None:  # started (a thread that could not start never sets it)
                done.wait()
            if previous is None:
                os.environ.pop(PROGRESS_ENV, None)
            else:
                os.environ[PROGRESS_ENV] = previous
            shutil.rmtree(folder, ignore_errors=True)
        if "error" in box:
            raise box["error"]
        return box["result"]

    def _show_while(self, thread, path, host):
        verb = str(self._task.args.get("state") or "started")
        shown = None
        last = time.monotonic()
        while thread.is_alive():
            thread.join(CHECK_EVERY)
            if not thread.is_alive() or time.monotonic() - last < SHOW_EVERY:
                continue
            counts = read_progress(path)
            if counts is None or counts == shown or not counts["pending"]:
                continue
            shown, last = counts, time.monotonic()
            display.display("%s | %s: %s" % (host, self._task.action.rsplit(".", 1)[-1], progress_line(verb, counts)))
