# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Environment variables (coolify_env): the input, validated before any API call (pure).

Values never leave the env files: plans, results, diffs, warnings and error texts carry keys and flags only, so the
errors raised here name keys and types, never values.
"""

from __future__ import annotations

import re

from ansible_collections.coolops.coolify.plugins.module_utils._redact import TRIM_CHARS

KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
MAX_KEY_LENGTH = 255
MAX_COMMENT_LENGTH = 256
SERVICE_KEY_PREFIX = "SERVICE_"
PREVIEW_SUFFIX = "@preview"
# The variables that hold a standalone database's own credentials (Coolify creates REDIS_PASSWORD and REDIS_USERNAME
# and reads the password back from them, API-NOTES 14.2; the other names are the images' credential variables). They
# are never managed through coolify_env: refused in env, never pruned.
DATABASE_CREDENTIAL_KEYS = frozenset((
    "POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB",
    "MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD", "MYSQL_USER", "MYSQL_DATABASE",
    "MARIADB_ROOT_PASSWORD", "MARIADB_PASSWORD", "MARIADB_USER", "MARIADB_DATABASE",
    "MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD", "MONGO_INITDB_DATABASE",
    "REDIS_PASSWORD", "REDIS_USERNAME", "KEYDB_PASSWORD", "DRAGONFLY_PASSWORD",
    "CLICKHOUSE_ADMIN_USER", "CLICKHOUSE_ADMIN_PASSWORD", "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD", "CLICKHOUSE_DB",
))

FLAGS = ("is_literal", "is_multiline", "is_shown_once", "is_runtime", "is_buildtime")
# Coolify's defaults for a new row (API-NOTES 6.4).
DEFAULT_FLAGS = {"is_literal": False, "is_multiline": False, "is_shown_once": False, "is_runtime": True, "is_buildtime": True}
SPEC_FIELDS = ("value",) + FLAGS + ("comment",)

SCOPES = ("production", "preview", "both")

_TRUE_STRINGS = ("1", "true", "yes", "on", "y")
_FALSE_STRINGS = ("0", "false", "no", "off", "n")


class EnvInputError(ValueError):
    """Invalid module input, found before any write. The message is one sentence and never contains a value."""


class DesiredVar(object):
    """One entry of the ``env`` option: the value plus only the flags the user gave (the others are preserved)."""

    __slots__ = ("key", "value", "flags", "comment", "has_comment")

    def __init__(self, key, value=None, flags=None, comment=None, has_comment=False):
        self.key = key
        self.value = value
        self.flags = dict(flags or {})
        self.comment = comment
        self.has_comment = has_comment


def row_label(key, is_preview):
    """How a row is named in results, diffs and messages: ``KEY`` or ``KEY@preview`` (``@`` cannot occur in keys)."""
    return key + PREVIEW_SUFFIX if is_preview else key


def normalize_value(value):
    """The value as Coolify will store it: trimmed, with the empty string as null."""
    if value is None:
        return None
    value = value.strip(TRIM_CHARS)
    return value or None


def is_service_key(key):
    return key.startswith(SERVICE_KEY_PREFIX)


def is_protected_key(kind, key, manage_service_keys=False):
    """True for a key coolify_env never touches: a database's credentials always, SERVICE_* unless opted in."""
    if kind == "database" and key in DATABASE_CREDENTIAL_KEYS:
        return True
    return is_service_key(key) and not manage_service_keys


def _type_name(value):
    return type(value).__name__


def _to_bool(key, field, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE_STRINGS:
        return False
    raise EnvInputError("The %s flag of env key %s must be a boolean, not %s." % (field, key, _type_name(value)))


def validate_key(key):
    """Coolify's key rule (since 4.2.0), checked here for every version because a bulk write commits earlier items."""
    if not isinstance(key, str):
        raise EnvInputError("Env keys must be strings; got a %s key." % _type_name(key))
    if len(key) > MAX_KEY_LENGTH:
        raise EnvInputError("The env key %s... is longer than %d characters." % (key[:40], MAX_KEY_LENGTH))
    if not KEY_PATTERN.match(key):
        raise EnvInputError("The env key %r is invalid: it must start with a letter or underscore and contain only letters, "
                            "digits, underscores and dots." % key)


def _check_value(key, value, where="value"):
    if value is None or isinstance(value, str):
        return value
    # bool is refused like numbers: YAML turns yes/no/on/off into booleans, and a silent "True" would surprise.
    raise EnvInputError("The %s of env key %s is of type %s, but Coolify stores strings only; quote it in YAML "
                        "(write %s: \"...\" with the value in quotes)." % (where, key, _type_name(value), key))


def parse_env(env, state="present"):
    """Validate the ``env`` option and return (list of DesiredVar in key order, warnings).

    Values must be strings (or null): numbers and booleans are refused, never converted. For ``state=absent`` the
    values are ignored and only the keys are validated.
    """
    if env is None:
        env = {}
    if not isinstance(env, dict):
        raise EnvInputError("The env option must be a dictionary of KEY: value.")
    desired = []
    whitespace = []
    for key in sorted(env, key=str):
        validate_key(key)
        spec = env[key]
        if state == "absent":
            desired.append(DesiredVar(key))
            continue
        if isinstance(spec, dict):
            unknown = sorted(str(name) for name in spec if name not in SPEC_FIELDS)
            if unknown:
                raise EnvInputError("The env key %s has unknown field(s) %s; allowed are %s." % (
                    key, ", ".join(unknown), ", ".join(SPEC_FIELDS)))
            if "value" not in spec:
                raise EnvInputError("The env key %s is given as a dictionary without a value field." % key)
            value = _check_value(key, spec["value"])
            flags = {}
            for flag in FLAGS:
                if spec.get(flag) is not None:
                    flags[flag] = _to_bool(key, flag, spec[flag])
            has_comment = "comment" in spec
            comment = spec.get("comment")
            if comment is not None:
                comment = _check_value(key, comment, where="comment")
                if len(comment) > MAX_COMMENT_LENGTH:
                    raise EnvInputError("The comment of env key %s is longer than %d characters." % (key, MAX_COMMENT_LENGTH))
            item = DesiredVar(key, value, flags, comment, has_comment)
        else:
            item = DesiredVar(key, _check_value(key, spec))
        if item.value is not None and item.value != item.value.strip(TRIM_CHARS):
            whitespace.append(key)
        desired.append(item)
    warnings = []
    if whitespace:
        warnings.append("Coolify strips leading and trailing whitespace from env values; the values of %s will be stored "
                        "without it." % ", ".join(whitespace))
    return desired, warnings


def validate_input(kind, params):
    """Every check that needs no API call, so bad input fails before the first request; returns parse_env's result."""
    state = params.get("state") or "present"
    desired, warnings = parse_env(params.get("env"), state)
    managed_previews(kind, params.get("scope") or "production")
    if params.get("prune") and state != "present":
        raise EnvInputError("prune only applies to state=present.")
    if params.get("prune") and not desired:
        # An env that rendered empty would otherwise delete every variable in scope.
        raise EnvInputError("prune=true needs at least one key in env; an empty env would delete every variable in scope.")
    check_protected_keys(kind, [item.key for item in desired], params.get("manage_service_keys"))
    return desired, warnings


def check_protected_keys(kind, keys, manage_service_keys=False):
    """Refuse the keys coolify_env must not manage (see is_protected_key), before any write."""
    credentials = sorted(key for key in keys if kind == "database" and key in DATABASE_CREDENTIAL_KEYS)
    if credentials:
        raise EnvInputError("The env keys %s hold the database's own credentials, which Coolify keeps in step with the "
                            "database settings; change them in the database settings instead." % ", ".join(credentials))
    if not manage_service_keys:
        check_service_keys(keys)


def check_service_keys(keys):
    listed = sorted(key for key in keys if is_service_key(key))
    if listed:
        raise EnvInputError("The env keys %s start with SERVICE_ and are generated by Coolify; set "
                            "manage_service_keys=true to manage them." % ", ".join(listed))


def managed_previews(kind, scope):
    """The is_preview values a run manages, preview first so a production create finds its preview row already there.

    Services and databases have no preview rows, so any scope other than production is refused instead of silently
    ignored.
    """
    if scope not in SCOPES:
        raise EnvInputError("Unknown scope %r; use one of %s." % (scope, ", ".join(SCOPES)))
    if kind != "application":
        if scope != "production":
            raise EnvInputError("Coolify %ss have no preview environment variables; use scope=production with "
                                "resource_type=%s." % (kind, kind))
        return (False,)
    return {"production": (False,), "preview": (True,), "both": (True, False)}[scope]
