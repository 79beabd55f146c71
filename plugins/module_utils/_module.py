# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Module glue: shared argument specs, CoolifyModule (client from params, CoolifyError -> fail_json in one place) and
module_main, the body of every module's main(). This is the only module_utils file that calls ``module.*``."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._errors import CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.coolops.coolify.plugins.module_utils._progress import progress_writer
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import SELECTING_KEYS

API_URL_ENV = ("COOLIFY_API_URL", "COOLIFY_URL", "COOLIFY_BASE_URL")
API_TOKEN_ENV = ("COOLIFY_API_TOKEN", "COOLIFY_TOKEN", "COOLIFY_ACCESS_TOKEN")
DEFAULT_MAX_WORKERS = 10


def connection_argument_spec():
    """api_url, api_token, validate_certs, timeout, max_retries (a fresh dict on every call)."""
    return dict(
        api_url=dict(type="str", required=True, fallback=(env_fallback, list(API_URL_ENV))),
        api_token=dict(type="str", required=True, no_log=True, fallback=(env_fallback, list(API_TOKEN_ENV))),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["COOLIFY_VALIDATE_CERTS"])),
        timeout=dict(type="float", default=30.0),
        max_retries=dict(type="int", default=5),
    )


def selector_argument_spec():
    """uuids, names, tags, project, environment, server; modules add aliases (application_uuids, ...) themselves."""
    return dict(
        uuids=dict(type="list", elements="str"),
        names=dict(type="list", elements="str"),
        tags=dict(type="list", elements="str"),
        project=dict(type="str"),
        environment=dict(type="str"),
        server=dict(type="str"),
    )


def selector_module_kwargs(require_selection=True):
    """AnsibleModule keyword arguments for the selectors: environment requires project; optionally one selector."""
    kwargs = dict(required_by=dict(environment=["project"]))
    if require_selection:
        kwargs["required_one_of"] = [list(SELECTING_KEYS)]
    return kwargs


def batch_argument_spec():
    """strategy, max_workers, batch_size, pause_seconds, wait, wait_timeout, max_fail_percentage."""
    return dict(
        strategy=dict(type="str", default="parallel", choices=["parallel", "sequential", "rolling"]),
        max_workers=dict(type="int", default=DEFAULT_MAX_WORKERS),
        batch_size=dict(type="int"),
        pause_seconds=dict(type="float", default=0.0),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="float", default=600.0),
        max_fail_percentage=dict(type="float"),
    )


def merge_argument_specs(*specs):
    """Merge several spec dicts into a new one (later ones win)."""
    merged = {}
    for spec in specs:
        merged.update(spec)
    return merged


def error_details(exc):
    """A token-free dict describing any exception: CoolifyError.to_dict(), or msg + error_type for anything else."""
    if isinstance(exc, CoolifyError):
        return exc.to_dict()
    text = str(exc) or type(exc).__name__
    return {
        "msg": "Unexpected %s: %s." % (type(exc).__name__, text.rstrip(".")),
        "error_type": type(exc).__name__,
        "method": None,
        "path": None,
        "status_code": None,
        "api_error": None,
    }


class CoolifyModule(object):
    """Builds the AnsibleModule (connection options merged in), creates the client, and reports errors.

    Modules do not build it themselves: their main() calls module_main().
    """

    def __init__(self, argument_spec=None, supports_check_mode=True, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self.params = self.module.params
        self._client = None
        # on_progress(counts) for long tasks, when the collection's action plugin asked for progress; else None.
        self.progress = progress_writer()

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff

    @property
    def client(self):
        """The CoolifyClient, created on first use; its pool is sized to ``max_workers`` when the module has it."""
        if self._client is None:
            params = self.params
            pool_size = params.get("max_workers") or DEFAULT_MAX_WORKERS
            self._client = CoolifyClient(
                api_url=params["api_url"],
                api_token=params["api_token"],
                validate_certs=params["validate_certs"],
                timeout=params["timeout"],
                max_retries=params["max_retries"],
                pool_size=max(1, int(pool_size)),
            )
        return self._client

    def warn(self, message):
        self.module.warn(message)

    def fail_from_error(self, exc, **result):
        """The one place that turns a CoolifyError (or any exception) into fail_json."""
        details = error_details(exc)
        msg = details.pop("msg")
        result.update(details)
        result.setdefault("changed", False)
        self.module.fail_json(msg=msg, **result)

    def close(self):
        if self._client is not None:
            self._client.close()

    def run(self, func):
        """Call ``func(self)`` and exit with its result dict; a result with ``failed`` true goes to fail_json."""
        try:
            result = func(self)
        except CoolifyError as exc:
            self.close()
            self.fail_from_error(exc)
            return  # not reached: fail_json exits
        self.close()
        result = dict(result or {})
        result.setdefault("changed", False)
        if result.get("failed"):
            result.pop("failed")
            msg = result.pop("msg", "The task failed.")
            self.module.fail_json(msg=msg, **result)
        self.module.exit_json(**result)


def module_main(argument_spec, run, require_selection=True):
    """The body of every module's main(): build the CoolifyModule, call ``run(cm)`` and exit with the dict it returns.

    ``run`` lives in the module_utils file of the module's concern (``_lifecycle.run_app_batch``, ``_env.run_env``,
    ``_info.run_info``, ...), never in the module file.
    """
    cm = CoolifyModule(argument_spec=argument_spec, supports_check_mode=True,
                       **selector_module_kwargs(require_selection=require_selection))
    cm.run(run)
