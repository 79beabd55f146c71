# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Module glue: shared argument specs, CoolifyModule (client from params, CoolifyError -> fail_json in one place),
and result/summary helpers. This is the only module_utils file that calls ``module.*``."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.coolops.coolify.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    CoolifyClient,
    CoolifyError,
)

API_URL_ENV = ("COOLIFY_API_URL", "COOLIFY_URL", "COOLIFY_BASE_URL")
API_TOKEN_ENV = ("COOLIFY_API_TOKEN", "COOLIFY_TOKEN", "COOLIFY_ACCESS_TOKEN")
DEFAULT_MAX_WORKERS = 10
SELECTING_KEYS = ("uuids", "names", "tags", "project", "server")


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

    Typical module::

        def main():
            cm = CoolifyModule(argument_spec=..., supports_check_mode=True)
            cm.run(run_something)          # run_something(cm) -> result dict; exits the process
    """

    def __init__(self, argument_spec=None, supports_check_mode=True, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self.params = self.module.params
        self._client = None

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


# ---------------------------------------------------------------------------------------------------------------------
# Summary helpers
# ---------------------------------------------------------------------------------------------------------------------


def summarize(items):
    """``{total, changed, ok, failed, skipped}`` for per-item result dicts.

    ``failed`` counts items with a true ``failed``; ``skipped`` items with a true ``skipped`` (not attempted) that
    did not fail; ``ok`` every other item (changed ones included, as in Ansible's recap); ``changed`` the ok items
    with a true ``changed``.
    """
    total = failed = skipped = changed = 0
    for item in items:
        total += 1
        if item.get("failed"):
            failed += 1
        elif item.get("skipped"):
            skipped += 1
        elif item.get("changed"):
            changed += 1
    return dict(total=total, changed=changed, ok=total - failed - skipped, failed=failed, skipped=skipped)


def short_reason(item, limit=60):
    """A few words on why an item failed: ``HTTP 500 Server Error``, ``connection refused``, ..."""
    error = item.get("error")
    text = None
    if isinstance(error, dict):
        status = error.get("status_code")
        api_error = error.get("api_error")
        if status is not None:
            text = "HTTP %s %s" % (status, api_error) if api_error else "HTTP %s" % status
        else:
            text = error.get("msg")
    elif error:
        text = str(error)
    if not text:
        text = item.get("msg") or "failed"
    text = " ".join(str(text).split()).rstrip(".")
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def item_label(item):
    return str(item.get("name") or item.get("uuid") or "?")


def summary_message(verb, items, noun="applications", unchanged_note=None, max_listed=5):
    """One line such as ``restarted 48 of 50 applications; 2 failed: api (HTTP 500 Server Error), worker (...)``.

    ``unchanged_note`` (for example ``already running``) adds ``(47 already running)`` for ok items not changed.
    """
    counts = summarize(items)
    text = "%s %d of %d %s" % (verb, counts["ok"], counts["total"], noun)
    unchanged = counts["ok"] - counts["changed"]
    if unchanged_note and unchanged:
        text += " (%d %s)" % (unchanged, unchanged_note)
    failed = [item for item in items if item.get("failed")]
    if failed:
        listed = ", ".join("%s (%s)" % (item_label(item), short_reason(item)) for item in failed[:max_listed])
        if len(failed) > max_listed:
            listed += " and %d more" % (len(failed) - max_listed)
        text += "; %d failed: %s" % (len(failed), listed)
    if counts["skipped"]:
        text += "; %d not attempted" % counts["skipped"]
    return text
