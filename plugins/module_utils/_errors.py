# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Typed errors of the Coolify API client and the one-sentence texts they carry (stdlib only).

``str(e)`` is always one sentence naming method, path, status and Coolify's message; the transport (``_http``)
builds them without the token or any secret value the request sent.
"""

from __future__ import annotations

import re

EXCERPT_LENGTH = 80


class CoolifyError(Exception):
    """Base error. ``str(e)`` is one sentence naming method, path, status and Coolify's message; never the token.

    ``in_flight`` is True when an attempt of the request may still be processed by Coolify (a proxy gave up, the
    answer was lost), whatever the last attempt's answer: the transport sets it.
    """

    in_flight = False

    def __init__(self, message, method=None, path=None, status=None, api_message=None, errors=None, retry_after=None,
                 content_type=None):
        super(CoolifyError, self).__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.api_message = api_message
        self.errors = errors
        self.retry_after = retry_after
        self.content_type = content_type

    def __str__(self):
        return self.message

    def to_dict(self):
        """Structured, token-free details for results: msg, error_type, method, path, status_code, api_error, ..."""
        result = {
            "msg": self.message,
            "error_type": type(self).__name__,
            "method": self.method,
            "path": self.path,
            "status_code": self.status,
            "api_error": self.api_message,
        }
        if self.errors:
            result["errors"] = self.errors
        if self.retry_after is not None:
            result["retry_after"] = self.retry_after
        return result


class ConfigurationError(CoolifyError):
    """Bad api_url, missing token, or a bad argument to a client helper."""


class TransportError(CoolifyError):
    """No HTTP answer: connection refused or reset, DNS, TLS, connect timeout, read timeout on a read."""


class OutcomeUnknownError(TransportError):
    """A write was sent and may or may not have been applied (lost answer, 502, 504): verify it, never resend it.

    ``sent_at`` is the local epoch time just before the request went out, so a caller can look for what it caused.
    """

    def __init__(self, message, sent_at=None, **kwargs):
        super(OutcomeUnknownError, self).__init__(message, **kwargs)
        self.sent_at = sent_at


class InvalidResponseError(CoolifyError):
    """A non-JSON answer where JSON was expected (a proxy's HTML page, a broken body, a redirect)."""


class BadRequestError(CoolifyError):
    """HTTP 400 (for example ``Service is already running.``) and other 4xx without a more specific class."""


class AuthenticationError(CoolifyError):
    """HTTP 401: missing, wrong or expired token."""


class PermissionDeniedError(CoolifyError):
    """HTTP 403: missing ability, missing team role, or a policy refusal."""


class ApiDisabledError(PermissionDeniedError):
    """HTTP 403 ``API is disabled.`` or an IP outside the allow-list."""


class NotFoundError(CoolifyError):
    """HTTP 404 with a JSON body (an HTML 404 is an InvalidResponseError: the API itself is not there)."""


class ConflictError(CoolifyError):
    """HTTP 409."""


class ValidationError(CoolifyError):
    """HTTP 422; ``errors`` holds the field errors."""


class RateLimitedError(CoolifyError):
    """HTTP 429 from the rate limiter after retries were exhausted; ``retry_after`` in seconds."""


class QueueFullError(CoolifyError):
    """HTTP 429 ``Deployment queue is full.`` (Retry-After: 60): Coolify refused to queue; not the rate limiter.

    Never retried by the client, and it does not slow other requests; on ``/deploy`` the resources before the full one
    may already be queued.
    """


class NotQueuedError(CoolifyError):
    """Coolify accepted an action but queued nothing (a deployment uuid it never stored): nothing changed."""


class ServerError(CoolifyError):
    """HTTP 5xx after retries were exhausted."""


API_DISABLED_MESSAGES = ("API is disabled.", "You are not allowed to access the API.")


def error_class(status, api_message):
    if status == 400:
        return BadRequestError
    if status == 401:
        return AuthenticationError
    if status == 403:
        if api_message in API_DISABLED_MESSAGES:
            return ApiDisabledError
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 422:
        return ValidationError
    if status == 429:
        return RateLimitedError
    if status is not None and status >= 500:
        return ServerError
    return BadRequestError


def sentence(text):
    """Collapse whitespace, join inner sentences with semicolons and drop the final period (the caller ends it)."""
    text = re.sub(r"\s+", " ", str(text or "")).strip().rstrip(". ")
    return re.sub(r"\.\s+(?=\S)", "; ", text)


def excerpt(text, limit=EXCERPT_LENGTH):
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def format_field_errors(errors, limit=3):
    parts = []
    for field in sorted(errors)[:limit]:
        messages = errors[field]
        if isinstance(messages, (list, tuple)):
            messages = "; ".join(sentence(m) for m in messages)
        parts.append("%s: %s" % (field, sentence(messages)))
    if len(errors) > limit:
        parts.append("and %d more" % (len(errors) - limit))
    return ", ".join(parts)
