# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Module glue: shared argument specs, CoolifyModule (client from params, CoolifyError -> fail_json in one place) and
module_main, the body of every module's main(). This is the only module_utils file that calls ``module.*``."""

from __future__ import annotations

import copy

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.coolops.coolify.plugins.module_utils._client import CoolifyClient
from ansible_collections.coolops.coolify.plugins.module_utils._errors import ConfigurationError, CoolifyError
from ansible_collections.coolops.coolify.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.coolops.coolify.plugins.module_utils._progress import progress_writer
from ansible_collections.coolops.coolify.plugins.module_utils._selectors import NARROWING_KEYS, SELECTING_KEYS, given_but_empty

API_URL_ENV = ("COOLIFY_API_URL", "COOLIFY_URL", "COOLIFY_BASE_URL")
API_TOKEN_ENV = ("COOLIFY_API_TOKEN", "COOLIFY_TOKEN", "COOLIFY_ACCESS_TOKEN")
DEFAULT_MAX_WORKERS = 10
NO_LOG_MARK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # what Ansible echoes for a no_log option
# Numeric options and their lowest allowed value (None: must be greater than 0); checked before any API call.
NUMBER_MINIMUMS = {"max_workers": 1, "batch_size": 1, "max_resources": 1, "deployment_limit": 1, "max_retries": 0,
                   "pause_seconds": 0, "timeout": None, "wait_timeout": None, "poll_interval": None}


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
    """strategy, max_workers, batch_size, pause_seconds, wait, wait_timeout, max_fail_percentage, max_resources."""
    return dict(
        strategy=dict(type="str", default="parallel", choices=["parallel", "sequential", "rolling"]),
        max_workers=dict(type="int", default=DEFAULT_MAX_WORKERS),
        batch_size=dict(type="int"),
        pause_seconds=dict(type="float", default=0.0),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="float", default=600.0),
        max_fail_percentage=dict(type="float"),
        max_resources=dict(type="int"),
    )


def merge_argument_specs(*specs):
    """Merge several spec dicts into a new one (later ones win)."""
    merged = {}
    for spec in specs:
        merged.update(spec)
    return merged


def _leaf_strings(data):
    """Every non-empty string (numbers as text) inside an option's value, as Ansible collects no_log values."""
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, (list, tuple, set)):
        return set(text for item in data for text in _leaf_strings(item))
    if data is None or isinstance(data, bool):
        return set()
    text = str(data)
    return set([text]) if text else set()


def check_numbers(params):
    """Raise ConfigurationError (one sentence) for a numeric option below its minimum (see NUMBER_MINIMUMS)."""
    problems = []
    for key, minimum in NUMBER_MINIMUMS.items():
        value = params.get(key)
        if value is None:
            continue
        if minimum is None and value <= 0:
            problems.append("%s must be greater than 0, not %s" % (key, value))
        elif minimum is not None and value < minimum:
            problems.append("%s must be at least %d, not %s" % (key, minimum, value))
    if problems:
        raise ConfigurationError("Invalid options: %s." % "; ".join(problems))


class _AnsibleModule(AnsibleModule):
    """AnsibleModule that keeps a copy of the arguments as given, before defaults are filled in (``raw_params``)."""

    def _load_params(self):
        super(_AnsibleModule, self)._load_params()
        self.raw_params = copy.deepcopy(dict(self.params))


def raw_arguments(raw_params, argument_spec):
    """The given arguments under their canonical names (an alias such as ``application_uuids`` becomes ``uuids``)."""
    names = {}
    for name, spec in argument_spec.items():
        for alias in [name] + list(spec.get("aliases") or []):
            names[alias] = name
    return dict((names[key], value) for key, value in raw_params.items() if key in names)


class CoolifyModule(object):
    """Builds the AnsibleModule (connection options merged in), creates the client, and reports errors.

    Modules do not build it themselves: their main() calls module_main().
    """

    def __init__(self, argument_spec=None, supports_check_mode=True, keys_only=(), **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec or {})
        self.module = _AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self.params = self.module.params
        # What the user gave, before defaults: only an absent option means "not given".
        self.raw_params = raw_arguments(getattr(self.module, "raw_params", {}), spec)
        self._client = None
        # on_progress(counts) for long tasks, when the collection's action plugin asked for progress; else None.
        self.progress = progress_writer()
        self._keys_only = tuple(keys_only)
        self._release_keys_only()
        try:
            given_but_empty(self.raw_params, [key for key in NARROWING_KEYS if key in spec])
            check_numbers(self.params)
        except CoolifyError as exc:
            self.fail_from_error(exc)

    def _release_keys_only(self):
        """Keep the values of the ``keys_only`` options (no_log dicts such as coolify_env's ``env``) out of Ansible's
        no_log_values.

        Ansible replaces every substring equal to any no_log value everywhere in a result, so a value such as "2" or
        "a" mangled counts, uuids, names and messages. The module guarantees instead that it never returns these values
        (results name keys only, error texts quoting a sent value are masked by the transport), and the invocation
        echo shows their keys only (``_invocation``). A value that another no_log option also holds (the token) stays.
        """
        if not self._keys_only:
            return
        kept = set()
        released = set()
        for name, options in self.module.argument_spec.items():
            if name in self._keys_only:
                released.update(_leaf_strings(self.params.get(name)))
            elif options.get("no_log"):
                kept.update(_leaf_strings(self.params.get(name)))
        self.module.no_log_values.difference_update(released - kept)

    def _invocation(self):
        """``{"invocation": ...}`` echoing every option, with no_log options masked and ``keys_only`` ones reduced to
        their keys; empty without ``keys_only`` (Ansible's own echo, which masks by no_log_values, is right then)."""
        if not self._keys_only:
            return {}
        echo = {}
        for name, value in self.params.items():
            canonical = self.module.aliases.get(name, name)
            if canonical in self._keys_only:
                echo[name] = dict((key, NO_LOG_MARK) for key in value) if isinstance(value, dict) else NO_LOG_MARK
            elif self.module.argument_spec.get(canonical, {}).get("no_log"):
                echo[name] = NO_LOG_MARK
            else:
                echo[name] = value
        return {"invocation": {"module_args": echo}}

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
        """The one place that turns a CoolifyError into fail_json (its token-free to_dict())."""
        details = exc.to_dict()
        msg = details.pop("msg")
        result.update(details)
        result.setdefault("changed", False)
        result.update(self._invocation())
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
            self.fail_from_error(exc)  # fail_json exits
        self.close()
        result = dict(result or {})
        result.setdefault("changed", False)
        result.update(self._invocation())
        for warning in result.pop("warnings", None) or []:
            self.module.warn(warning)  # exit_json(warnings=...) is deprecated (ansible-core 2.23 drops it)
        if result.get("failed"):
            result.pop("failed")
            msg = result.pop("msg", "The task failed.")
            self.module.fail_json(msg=msg, **result)
        self.module.exit_json(**result)


def module_main(argument_spec, run, require_selection=True, keys_only=()):
    """The body of every module's main(): build the CoolifyModule, call ``run(cm)`` and exit with the dict it returns.

    ``run`` lives in the module_utils file of the module's concern (``_lifecycle.run_app_batch``, ``_env.run_env``,
    ``_info.run_info``, ...), never in the module file. ``keys_only`` names no_log dict options whose values the
    module never returns (see CoolifyModule._release_keys_only).
    """
    kwargs = selector_module_kwargs(require_selection=require_selection) if "environment" in argument_spec else {}
    cm = CoolifyModule(argument_spec=argument_spec, supports_check_mode=True, keys_only=keys_only, **kwargs)
    cm.run(run)
