# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""What may leave the collection: one rule for every result, hostvar, message and cache entry (stdlib only).

* Deny: a field that can hold a secret (env values, passwords, tokens, keys, compose files, logs, ...) is dropped
  wherever it appears, and credentials embedded in URLs (``https://user:token@host``) are masked.
* Allow: where output is stored or exposed as host variables (the inventory plugin and its cache), only the fields
  listed in ``PUBLIC_FIELDS`` are copied in the first place, and the deny rule still applies to them.
* Mask: texts that could quote a value the collection sent (an error answer) have every known value replaced, or are
  withheld when a value is too short to replace safely (mask_quoted). Only the quoted text is masked, never the
  message around it, so uuids, names and counts are never altered.
"""

from __future__ import annotations

import re

MASK = "********"
# PHP's trim() characters: Coolify trims env values, so an answer may quote (and Coolify stores) the trimmed form.
TRIM_CHARS = " \t\n\r\0\x0b"

# The allow-list: the only fields the inventory plugin copies from Coolify, per kind of object.
PUBLIC_FIELDS = {
    "server": ("uuid", "name", "description", "ip", "user", "port", "is_reachable", "is_usable", "is_coolify_host"),
    "application": ("fqdn", "build_pack", "git_repository", "git_branch"),
    "service": ("service_type",),
}

# The deny-list: keys Coolify hides from tokens without read:sensitive (API notes 3.3), plus anything that can hold a secret.
SENSITIVE_KEYS = frozenset((
    "value", "real_value",  # env var values
    "environment_variables", "environment_variables_preview", "runtime_environment_variables",
    "http_basic_auth_password", "dockerfile", "docker_compose", "docker_compose_raw", "docker_compose_pr",
    "docker_compose_pr_raw", "custom_labels", "custom_nginx_configuration", "private_key_id", "private_key",
    "domain_dns_statuses", "sentinel_custom_url", "logs", "configuration_snapshot", "configuration_diff",
    "init_scripts",
))
_SENSITIVE_PATTERN = re.compile(r"(password|passwd|secret|token|api_key|apikey|license_key|private_key|_db_url$|^logdrain_)",
                                re.IGNORECASE)


def is_sensitive_key(key, value=None):
    """True for a field that may hold a secret and must never be returned (a boolean flag such as
    ``use_build_secrets`` cannot hold one and is kept)."""
    key = str(key)
    if key in SENSITIVE_KEYS:
        return True
    return bool(_SENSITIVE_PATTERN.search(key)) and not isinstance(value, bool)


# userinfo in a URL ("https://user:token@host/..."): git_repository and fqdn may carry a deploy token there.
_URL_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]+@")


def strip_sensitive(data):
    """A deep copy of API data without secret fields (env values, passwords, tokens, compose files, logs, ...).

    Credentials embedded in URLs are masked too, whatever the field.
    """
    if isinstance(data, dict):
        return dict((key, strip_sensitive(value)) for key, value in data.items() if not is_sensitive_key(key, value))
    if isinstance(data, list):
        return [strip_sensitive(item) for item in data]
    if isinstance(data, str) and "@" in data:
        return _URL_USERINFO_RE.sub(r"\1" + MASK + "@", data)
    return data


def public_fields(data, kind):
    """The allow-listed fields of one API object (absent ones as None), with the deny rule applied on top."""
    return strip_sensitive(dict((field, data.get(field)) for field in PUBLIC_FIELDS[kind]))


def mask(text, secrets):
    """``text`` with every secret replaced by MASK, longest first so no fragment of a longer one survives."""
    text = str(text)
    for secret in sorted(set(secret for secret in secrets if secret), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


# Values shorter than this are not replaced inside a text (a "2" or an "a" occurs everywhere, uuids included); a text
# that quotes one is withheld as a whole instead.
MIN_MASKED_LENGTH = 8
WITHHELD = "(withheld, because it may quote a value that was sent)"


def mask_quoted(text, secrets):
    """Text that someone else wrote and that may quote a value (an API answer), safe to return.

    Values of at least MIN_MASKED_LENGTH characters are replaced by MASK. If a shorter value still occurs anywhere in
    the text, the whole text is replaced by WITHHELD: replacing it would mangle unrelated words and uuids, and leaving
    it could leak it. Apply this to the quoted part only, never to a message the collection built around it.
    """
    text = str(text)
    secrets = set(secret for secret in secrets if secret)
    text = mask(text, [secret for secret in secrets if len(secret) >= MIN_MASKED_LENGTH])
    if any(secret in text for secret in secrets if len(secret) < MIN_MASKED_LENGTH):
        return WITHHELD
    return text


def sent_secrets(body):
    """The strings a JSON request body carries under secret keys (env values), as sent and trimmed, longest first.

    An error answer may quote them (a validation message with Laravel's ``:input``, a firewall page); they are masked
    in the raw answer, before messages fold whitespace or cut excerpts, which would hide them from a plain replace
    and from Ansible's no_log.
    """
    found = set()
    stack = [(body, False)]
    while stack:
        data, secret = stack.pop()
        if isinstance(data, dict):
            stack.extend((value, secret or is_sensitive_key(key, value)) for key, value in data.items())
        elif isinstance(data, (list, tuple)):
            stack.extend((item, secret) for item in data)
        elif secret and isinstance(data, str):
            found.update(text for text in (data, data.strip(TRIM_CHARS)) if text)
    return tuple(sorted(found, key=len, reverse=True))


def scrub_data(data, scrub):
    """``data`` (decoded JSON) with ``scrub`` applied to every string, keys included."""
    if isinstance(data, dict):
        return dict((scrub(key) if isinstance(key, str) else key, scrub_data(value, scrub)) for key, value in data.items())
    if isinstance(data, list):
        return [scrub_data(item, scrub) for item in data]
    if isinstance(data, str):
        return scrub(data)
    return data
