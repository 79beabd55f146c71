# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin util is PRIVATE to the collection. It can change at any time; do not use it from elsewhere.

"""Run one of this collection's modules inside the worker process, where Ansible would run it as a local child anyway.

A task on the controller (``connection: local``) with the controller's own Python pays, before its first request, for
building the AnsiballZ zip, starting a second interpreter and compiling every module_util from that zip: about half a
second, which is more than the whole network time of a 100-item batch. Here the module's ``main()`` runs in this
process instead, on exactly the arguments Ansible would send (encoded and decoded with the same serialization
profile), and its result goes through Ansible's own parser as if it had been printed. ansible.netcommon does the same
for network modules; ansible-core keeps ``AnsibleModule._record_module_result`` as the hook for it.

Anything that would make the child differ from this process takes the normal path: another interpreter, ``become``,
the task's ``environment``, async, an ansible-core this code was not written for, or the opt-out variable.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import tempfile
import traceback

from ansible import constants as C
from ansible.module_utils import basic
from ansible.module_utils._internal import _traceback
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.release import __version__ as ANSIBLE_VERSION

try:  # ansible-core >= 2.19
    from ansible.module_utils.common.json import Direction, get_module_encoder
except ImportError:  # pragma: no cover - older cores always take the normal path
    Direction = get_module_encoder = None

OPT_OUT_VAR = "coolops_coolify_in_worker"  # set it to false to run the modules the usual way (AnsiballZ, a child)
PROFILE = "legacy"  # the serialization profile of a module that declares no metadata (all of this collection's)
CORE_VERSIONS = ((2, 21),)  # where the hook and the result parser below were read and tested
MODULES = "ansible_collections.coolops.coolify.plugins.modules."


def core_supported(version=ANSIBLE_VERSION):
    """True on the ansible-core releases whose module hook and result parser this file was written against."""
    parts = version.split(".")
    try:
        major_minor = (int(parts[0]), int(parts[1]))
    except (ValueError, IndexError):
        return False
    return (major_minor in CORE_VERSIONS and get_module_encoder is not None
            and hasattr(basic.AnsibleModule, "_record_module_result"))


def same_interpreter(interpreter, executable=sys.executable):
    """True when ``interpreter`` is this process's Python: the same file in the same bin directory (the same venv)."""
    if not interpreter or not executable:
        return False
    interpreter, executable = os.path.abspath(str(interpreter)), os.path.abspath(executable)
    if os.path.dirname(interpreter) != os.path.dirname(executable):
        return False  # another venv may link the same binary, but not share its site-packages
    try:
        return os.path.samefile(interpreter, executable)
    except OSError:
        return False


# Startup options of this Python that change what it imports (-s, -E, -I, -S); the child is started without them.
IMPORT_FLAGS = ("no_user_site", "ignore_environment", "isolated", "no_site")


def import_flags(flags=sys.flags):
    """The IMPORT_FLAGS this Python was started with (Fedora's and RHEL's packaged scripts use ``python3 -s``)."""
    return [name for name in IMPORT_FLAGS if getattr(flags, name, 0)]


def why_not_in_worker(interpreter, opt_in, has_environment, become, core_ok, flags=()):
    """None when the module can run in this process; otherwise the reason it takes the normal path (for -vvv)."""
    if not core_ok:
        return "ansible-core %s is not one this collection runs modules in the worker on" % ANSIBLE_VERSION
    if not opt_in:
        return "%s is false" % OPT_OUT_VAR
    if become:
        return "the task uses become"
    if has_environment:
        return "the task sets environment"
    if not same_interpreter(interpreter):
        return "the host's Python interpreter is not this controller's Python"
    if flags:
        return "this controller's Python was started with %s, which the module's Python would not be" % (
            ", ".join(flags))
    return None


def in_worker_refusal(action, task_vars):
    """The reason ``action``'s module cannot run in this worker, or None when it can."""
    # pylint: disable=protected-access
    task = action._task
    host_vars = task_vars.get("ansible_delegated_vars", {}).get(task.delegate_to) if task.delegate_to else task_vars
    try:
        # As ansible-core picks it: ansible_python_interpreter, else interpreter_python ("auto" never matches).
        interpreter = C.config.get_config_value("INTERPRETER_PYTHON", variables=host_vars or {})
        interpreter = action._templar.template(interpreter)
        # Off when it is false for the task's host or for the host the task is delegated to (where the module runs).
        opt_in = all(boolean(action._templar.template(found.get(OPT_OUT_VAR, True)), strict=True)
                     for found in (task_vars, host_vars or {}))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return "its variables could not be read here (%s)" % type(exc).__name__
    become = bool(getattr(action._play_context, "become", False))
    return why_not_in_worker(interpreter, opt_in, any(task.environment or ()), become, core_supported(),
                             flags=import_flags())


def run_in_worker(action, task_vars):
    """Run the task's module here and return what ``ActionBase._execute_module`` would have returned."""
    # pylint: disable=protected-access
    module_args = dict(action._task.args)
    action._update_module_args(action._task.action, module_args, task_vars)
    own_tmpdir = None
    if module_args.get("_ansible_tmpdir") is None:
        # As a child, the module's tmpdir (where AnsibleModule._set_cwd moves when the working directory cannot be
        # read) is the task's AnsiballZ directory, which the action removes. AnsibleModule would make its own and
        # remove it at exit, which a worker never reaches (it ends with os._exit): one of ours, removed below.
        own_tmpdir = module_args["_ansible_tmpdir"] = tempfile.mkdtemp(prefix="ansible-moduletmp-coolops-")
    try:
        return _run_main(action, module_args)
    finally:
        if own_tmpdir is not None:
            shutil.rmtree(own_tmpdir, ignore_errors=True)


def _run_main(action, module_args):
    """run_in_worker's body: the module's main() on ``module_args``; returns the parsed result."""
    # pylint: disable=protected-access
    params = json.dumps({"ANSIBLE_MODULE_ARGS": module_args},
                        cls=get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)).encode("utf-8")
    module = importlib.import_module(MODULES + action._task.resolved_action.rsplit(".", 1)[-1])
    printed = []

    def record(module_self, result):  # the hook ansible-core keeps for this; replaces print() to stdout
        del module_self
        printed.append(json.dumps(result, cls=get_module_encoder(PROFILE, Direction.MODULE_TO_CONTROLLER)))

    saved = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS)
    hook = basic.AnsibleModule.__dict__["_record_module_result"]
    basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = params, PROFILE
    basic.AnsibleModule._record_module_result = record
    try:
        module.main()
    except SystemExit:
        pass  # exit_json and fail_json end with sys.exit, after recording their result
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # Only the type: an unexpected exception's text is not known to be free of secrets.
        failure = {"failed": True,
                   "msg": "%s failed with an unexpected %s" % (action._task.resolved_action, type(exc).__name__)}
        if _traceback.is_traceback_enabled(_traceback.TracebackEvent.ERROR):
            # Where it happened, as the child's traceback shows it: the frames (file, line, code), not the text.
            failure["exception"] = "Traceback (most recent call last):\n%s%s\n" % (
                "".join(traceback.format_tb(exc.__traceback__)), type(exc).__name__)
        printed[:] = [json.dumps(failure)]
    finally:
        basic.AnsibleModule._record_module_result = hook
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS = saved
    if not printed:
        printed.append(json.dumps({"failed": True, "msg": "%s ended without a result" % action._task.resolved_action}))
    parsed = action._parse_returned_data({"stdout": printed[-1], "stderr": "", "rc": 0}, PROFILE)
    parsed.remove_internal_keys()
    return parsed.as_result_dict(for_round_trip=True)
