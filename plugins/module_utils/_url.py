# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""The transport's URL handling: api_url checked and normalized, query parameters encoded (pure, stdlib only)."""

from __future__ import annotations

import re

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.coolops.coolify.plugins.module_utils._errors import ConfigurationError

API_PREFIX = "/api/v1"

# A user-info part (``user:password@``) before the host, with or without a scheme.
_USERINFO = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*@")


def normalize_api_url(url):
    """Return ``<scheme>://<host>[:port]/api/v1`` for any of ``https://h``, ``https://h/``, ``https://h/api/v1``.

    Raises ConfigurationError for a missing scheme, a scheme other than http/https, an empty host, or a path other
    than none or ``/api/v1`` (``/api/v2`` would otherwise be sent to ``/api/v2/api/v1/...``). Credentials embedded in
    the URL are rejected (they would end up in messages).
    """
    if url is None or not str(url).strip():
        raise ConfigurationError("The Coolify API URL is empty; set api_url or the COOLIFY_API_URL environment variable.")
    text = str(url).strip()
    if _USERINFO.match(text):
        # Checked first: the messages below quote the URL, and without a scheme urlsplit finds no credentials.
        raise ConfigurationError("The Coolify API URL must not contain credentials; pass the token as api_token instead.")
    parts = urlsplit(text)
    if not parts.scheme or "://" not in text:
        raise ConfigurationError("The Coolify API URL %r has no scheme; use a form such as https://coolify.example.com." % text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigurationError("The Coolify API URL uses the scheme %r; only http and https are supported." % scheme)
    if not parts.hostname:
        raise ConfigurationError("The Coolify API URL %r has no host name." % text)
    path = re.sub(r"/+", "/", parts.path or "").rstrip("/")
    if path not in ("", API_PREFIX):
        raise ConfigurationError(
            "The api_url %s has the path %s, but Coolify's API is only at %s; set api_url to the instance address "
            "alone (such as %s://%s) or to that address followed by %s."
            % (urlunsplit((scheme, parts.netloc.lower(), path, "", "")), path, API_PREFIX, scheme, parts.netloc.lower(),
               API_PREFIX))
    return urlunsplit((scheme, parts.netloc.lower(), API_PREFIX, "", ""))


def _query_value(value):
    """Booleans as 1/0: accepted by Laravel's boolean rule, ``$request->boolean`` and old raw-string checks alike."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def clean_params(params):
    """Query parameters without the None values, booleans as 1/0; None when nothing is left."""
    if not params:
        return None
    cleaned = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = _query_value(value)
    return cleaned or None
