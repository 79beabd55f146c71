# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""Coolify REST API client: one pooled requests.Session, typed errors, bounded retries and a shared rate-limit pacer.

Nothing here imports AnsibleModule or calls ``module.*``, so the inventory plugin and worker threads can use it.
The API token is kept in a private auth object and never appears in a message, an exception, a repr or a log.
"""

from __future__ import annotations

import email.utils
import json as _json
import math
import random
import re
import threading
import time
import traceback

from urllib.parse import quote, urlsplit, urlunsplit

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    import requests.adapters
    import requests.auth
    import requests.exceptions
    import urllib3.exceptions

    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - exercised by the sanity import test only
    requests = None
    urllib3 = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()


COLLECTION_VERSION = "1.0.0"
USER_AGENT = "coolops.coolify/%s" % COLLECTION_VERSION
API_PREFIX = "/api/v1"

ACTIONS = ("start", "stop", "restart")
ENV_KINDS = ("application", "service")

# Retry-After values above this are capped (Coolify's window is 60 s; a larger value is a misconfigured proxy).
RETRY_AFTER_CAP = 60.0
# Back-off for 502/503/504 and transport errors without a Retry-After: base * 2**attempt, capped.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
RETRYABLE_STATUSES = (429, 502, 503, 504)
# Query strings longer than this go into a JSON body instead (POST /deploy with hundreds of uuids).
MAX_QUERY_LENGTH = 1500
EXCERPT_LENGTH = 80


def requests_missing_message():
    """The text a caller shows when requests is missing (the module layer wraps it in missing_required_lib)."""
    return "the Python library 'requests' is required to talk to the Coolify API"


# ---------------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------------


class CoolifyError(Exception):
    """Base error. ``str(e)`` is one sentence naming method, path, status and Coolify's message; never the token."""

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
    """A write (action or other non-GET) was sent but no answer came back: it may or may not have been applied."""


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
    """HTTP 429 after retries were exhausted (or a deployment queue that is full); ``retry_after`` in seconds."""


class ServerError(CoolifyError):
    """HTTP 5xx after retries were exhausted."""


API_DISABLED_MESSAGES = ("API is disabled.", "You are not allowed to access the API.")


def _error_class(status, api_message):
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


def _sentence(text):
    """Collapse whitespace, join inner sentences with semicolons and drop the final period (the caller ends it)."""
    text = re.sub(r"\s+", " ", str(text or "")).strip().rstrip(". ")
    return re.sub(r"\.\s+(?=\S)", "; ", text)


def _excerpt(text, limit=EXCERPT_LENGTH):
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def _format_field_errors(errors, limit=3):
    parts = []
    for field in sorted(errors)[:limit]:
        messages = errors[field]
        if isinstance(messages, (list, tuple)):
            messages = "; ".join(_sentence(m) for m in messages)
        parts.append("%s: %s" % (field, _sentence(messages)))
    if len(errors) > limit:
        parts.append("and %d more" % (len(errors) - limit))
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------------------------------
# URL handling
# ---------------------------------------------------------------------------------------------------------------------


# A user-info part (``user:password@``) before the host, with or without a scheme.
_USERINFO = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*@")


def normalize_api_url(url):
    """Return ``<scheme>://<host>[:port][/prefix]/api/v1`` for any of ``https://h``, ``https://h/``, ``https://h/api/v1``.

    Raises ConfigurationError for a missing scheme, a scheme other than http/https, or an empty host.
    Credentials embedded in the URL are rejected (they would end up in messages).
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
    if path.endswith(API_PREFIX):
        pass
    elif path.endswith("/api"):
        path += "/v1"
    else:
        path += API_PREFIX
    return urlunsplit((scheme, parts.netloc.lower(), path, "", ""))


def _quote(value):
    """Quote one path segment (a uuid or a name)."""
    return quote(str(value), safe="")


def _query_value(value):
    """Booleans as 1/0: accepted by Laravel's boolean rule, ``$request->boolean`` and old raw-string checks alike."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def _clean_params(params):
    if not params:
        return None
    cleaned = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = _query_value(value)
    return cleaned or None


def _parse_retry_after(value, now_wall=None):
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unparsable."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now_wall is None else now_wall)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def _header_int(headers, name):
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------------------
# Secret fields
# ---------------------------------------------------------------------------------------------------------------------

# Keys Coolify hides from tokens without read:sensitive (API notes 3.3), plus anything that can hold a secret.
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
        return _URL_USERINFO_RE.sub(r"\1********@", data)
    return data


# PHP's trim() characters: Coolify trims env values, so an answer may quote the trimmed form.
_PHP_TRIM = " \t\n\r\0\x0b"


def _sent_secrets(body):
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
            found.update(text for text in (data, data.strip(_PHP_TRIM)) if text)
    return tuple(sorted(found, key=len, reverse=True))


def _scrub_data(data, scrub):
    """``data`` (decoded JSON) with ``scrub`` applied to every string, keys included."""
    if isinstance(data, dict):
        return dict((scrub(key) if isinstance(key, str) else key, _scrub_data(value, scrub)) for key, value in data.items())
    if isinstance(data, list):
        return [_scrub_data(item, scrub) for item in data]
    if isinstance(data, str):
        return scrub(data)
    return data


# ---------------------------------------------------------------------------------------------------------------------
# Pacer
# ---------------------------------------------------------------------------------------------------------------------


class RateLimitPacer(object):
    """Spreads the requests of all worker threads over Coolify's fixed-window rate limit.

    Coolify (Laravel ``throttle:api``) counts requests per user in a fixed window (60 s by default) that starts with
    the first request after the previous window expired. Successful answers carry ``X-RateLimit-Limit`` and
    ``X-RateLimit-Remaining``; a 429 carries ``Retry-After`` (seconds until the window resets).

    * Budget: the lowest Remaining seen in the current window, minus the requests in flight. The server counts
      requests in its own order, so the lowest Remaining is the latest state known, and every request it has not
      counted yet is in flight: the budget never exceeds what is really left, and it recovers as answers arrive.
      Requests go out while it is positive, so a window is used fully without a 429.
    * New window: an answer to a request sent after the lowest Remaining was seen, reporting a Remaining that is not
      lower (within one window a later request is counted later, so Remaining only falls).
    * Window end: the window length is never sent, so it is learnt. When the budget is spent and the end is unknown,
      one probe goes out alone; its 429 announces the reset, blocks every thread until then and gives the window
      length (reset minus the window's first request). From then on the pacer waits for each predicted reset
      instead of probing, so a long batch sees a 429 only while learning (one or two) and none afterwards; a wrong
      prediction costs one 429, which corrects it.
    * Any throttling 429 blocks every thread until Retry-After has passed.

    ``before_request``/``after_response`` are called by the client around every attempt, from any thread.
    """

    def __init__(self, clock=time.monotonic, sleep=time.sleep, margin=0.25, max_wait=RETRY_AFTER_CAP, probe_poll=0.01):
        self._clock = clock
        self._sleep = sleep
        self._margin = margin
        self._max_wait = max_wait
        self._probe_poll = probe_poll
        self._lock = threading.Lock()
        self._local = threading.local()
        self._limit = None
        self._in_flight = 0
        self._sent = 0  # requests sent in the pacer's life
        self._first_sent = None
        self._window = None  # learnt window length (s)
        self._window_start = None  # send time of the first request seen in the current window
        self._reset_at = None  # predicted (or announced) end of the current window
        self._min_header = None  # lowest X-RateLimit-Remaining seen in the current window ...
        self._min_seen_at = None  # ... and when it was seen
        self._blocked_until = 0.0
        self._probing = False
        self.waits = 0
        self.waited_seconds = 0.0

    def _budget(self):
        if self._min_header is None:
            return None
        return self._min_header - self._in_flight

    def snapshot(self):
        """A copy of the pacer state, for tests and debugging."""
        with self._lock:
            return {
                "limit": self._limit,
                "budget": self._budget(),
                "in_flight": self._in_flight,
                "sent": self._sent,
                "window": self._window,
                "window_start": self._window_start,
                "reset_at": self._reset_at,
                "blocked_until": self._blocked_until,
                "waits": self.waits,
                "waited_seconds": round(self.waited_seconds, 3),
            }

    def before_request(self):
        """Block while a Retry-After is pending or the window's budget is spent; then count the request in flight."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._decide(now)
                if wait is None:
                    self._in_flight += 1
                    self._sent += 1
                    if self._first_sent is None:
                        self._first_sent = now
                    self._local.sent_at = now
                    return
                wait = min(wait, self._max_wait)
                self.waits += 1
                self.waited_seconds += wait
            self._sleep(wait)

    def _decide(self, now):
        """Seconds to wait before sending, or None to send now; called with the lock held."""
        if now < self._blocked_until:
            return self._blocked_until - now
        if self._probing:
            return self._probe_poll
        budget = self._budget()
        if budget is None or budget > 0:
            return None
        if self._in_flight > 0:
            return self._probe_poll  # the answers in flight will tell whether budget is left
        # The window is spent.
        if self._reset_at is not None and now < self._reset_at:
            return self._reset_at - now
        # It should have reset by now, or its end is unknown: send one probe alone.
        self._probing = True
        return None

    def after_response(self, status, headers):
        """Record an answer (status None: the attempt failed without one); learn the limit, budget and reset."""
        with self._lock:
            now = self._clock()
            sent_at = getattr(self._local, "sent_at", None)
            self._local.sent_at = None
            if sent_at is None:
                sent_at = now
            if self._in_flight > 0:
                self._in_flight -= 1
            self._probing = False
            if status is None:
                return
            limit = _header_int(headers, "X-RateLimit-Limit")
            remaining = _header_int(headers, "X-RateLimit-Remaining")
            if status == 429:
                self._after_429(now, headers, remaining, limit)
                return
            if remaining is None:
                return
            if limit is not None:
                self._limit = limit
            self._observe(now, sent_at, remaining)

    def _observe(self, now, sent_at, header):
        if self._window_start is not None and sent_at < self._window_start:
            return  # a late answer from the previous window
        if self._min_header is None:
            # First answer of the pacer's life: if every request counted so far may be ours, the window began with
            # our first request; otherwise its start is unknown.
            if self._limit is not None and header >= self._limit - self._sent:
                self._start_window(self._first_sent)
            self._min_header, self._min_seen_at = header, now
        elif sent_at > self._min_seen_at and header >= self._min_header:
            self._start_window(sent_at)
            self._min_header, self._min_seen_at = header, now
        elif header < self._min_header:
            self._min_header, self._min_seen_at = header, now

    def _start_window(self, start):
        self._window_start = start
        self._reset_at = start + self._window + self._margin if self._window is not None else None

    def _after_429(self, now, headers, remaining, limit):
        if remaining is not None and remaining > 0:
            return  # not the throttle (a full deployment queue): do not stop every thread
        retry_after = _parse_retry_after(headers.get("Retry-After") if headers else None)
        if retry_after is None:
            reset = _header_int(headers, "X-RateLimit-Reset")
            retry_after = max(0.0, reset - time.time()) if reset is not None else 1.0
        retry_after = min(retry_after, self._max_wait)
        if limit is not None:
            self._limit = limit
        reset_at = now + retry_after
        if self._window_start is not None:
            learnt = reset_at - self._window_start
            if learnt > 0 and (self._window is None or learnt > self._window):
                self._window = learnt
        self._reset_at = reset_at + self._margin
        self._blocked_until = max(self._blocked_until, reset_at)
        self._min_header, self._min_seen_at = 0, now


# ---------------------------------------------------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------------------------------------------------


if HAS_REQUESTS:

    class _BearerAuth(requests.auth.AuthBase):
        """Sets the Authorization header; session-level auth also stops requests from applying ~/.netrc."""

        __slots__ = ("_token",)

        def __init__(self, token):
            self._token = token

        def __call__(self, request):
            request.headers["Authorization"] = "Bearer %s" % self._token
            return request

        def __repr__(self):
            return "<BearerAuth ********>"

        def __eq__(self, other):
            return isinstance(other, _BearerAuth) and other._token == self._token

        def __ne__(self, other):
            return not self == other

        def __hash__(self):
            return hash(_BearerAuth)

else:  # pragma: no cover

    _BearerAuth = None


def _not_sent(exc):
    """True when a requests ConnectionError happened before the request reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


_ERRNO_RE = re.compile(r"\[Errno -?\d+\] ([^'\"\)\]]+)")


def _root_cause(exc):
    """The innermost exception of a requests/urllib3 chain: it names the real reason (e.g. the certificate check)."""
    for _dummy in range(8):
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException) and exc.args and isinstance(exc.args[0], BaseException):
            inner = exc.args[0]
        if not isinstance(inner, BaseException) or inner is exc:
            break
        exc = inner
    return exc


def _transport_reason(exc):
    """A short, token-free reason for a transport failure."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "read timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (%s)" % _excerpt(str(_root_cause(exc)), 160)
    text = str(exc)
    match = _ERRNO_RE.search(text)
    if match:
        return match.group(1).strip().lower()
    for needle, reason in (("Name or service not known", "name resolution failed"),
                           ("NameResolutionError", "name resolution failed"),
                           ("Connection refused", "connection refused"),
                           ("RemoteDisconnected", "the server closed the connection without an answer"),
                           ("Connection reset", "connection reset by peer"),
                           ("Connection aborted", "connection aborted")):
        if needle in text:
            return reason
    return type(exc).__name__


class CoolifyClient(object):
    """A pooled, thread-safe client for Coolify's REST API v1.

    Paths passed to ``request`` are relative to ``/api/v1`` and start with ``/``. Reads may be retried after a read
    timeout; writes (every non-GET, and ``action=True`` in particular) never are once they may have been sent.
    """

    def __init__(self, api_url, api_token, validate_certs=True, timeout=30, connect_timeout=10, max_retries=5,
                 max_retry_seconds=120, pool_size=10, clock=None, sleep=None):
        if not HAS_REQUESTS:
            raise ConfigurationError("The Python library 'requests' is required to talk to the Coolify API.")
        self.api_url = normalize_api_url(api_url)
        if api_token is None or not str(api_token).strip():
            raise ConfigurationError("No Coolify API token was given; set api_token or the COOLIFY_API_TOKEN environment variable.")
        self._token = str(api_token).strip()
        self.validate_certs = bool(validate_certs)
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.max_retries = max(0, int(max_retries))
        self.max_retry_seconds = float(max_retry_seconds)
        self.pool_size = max(1, int(pool_size))
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._random = random.Random()
        self.pacer = RateLimitPacer(clock=self._clock, sleep=self._sleep)
        self._stats_lock = threading.Lock()
        self._stats = {"requests": 0, "retries": 0, "rate_limited": 0}
        self._version = None
        self._version_lock = threading.Lock()

        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=2, pool_maxsize=self.pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update({
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        })
        session.auth = _BearerAuth(self._token)
        session.verify = self.validate_certs
        if not self.validate_certs:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._session = session

    def __repr__(self):
        return "CoolifyClient(api_url=%r)" % self.api_url

    __str__ = __repr__

    @property
    def stats(self):
        """``{"requests": n, "retries": n, "rate_limited": n}``: attempts sent, retries made, 429 answers seen."""
        with self._stats_lock:
            return dict(self._stats)

    def _count(self, key, amount=1):
        with self._stats_lock:
            self._stats[key] += amount

    def close(self):
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- the request loop ------------------------------------------------------------------------------------------

    def _scrub(self, text, secrets=()):
        """Belt and braces: messages are built without the token, but an answer could echo it back, or the
        ``secrets`` (the values the request sent, see _sent_secrets)."""
        text = str(text)
        for secret in (self._token, self._token.split("|", 1)[-1]):
            if len(secret) >= 8 and secret in text:
                text = text.replace(secret, "********")
        for secret in secrets:
            text = text.replace(secret, "********")
        return text

    def _error(self, cls, method, path, status=None, api_message=None, errors=None, retry_after=None, content_type=None,
               reason=None, secrets=()):
        """Build one typed error whose message is a single sentence."""
        if status is not None:
            detail = _sentence(api_message) if api_message else "no message"
            if errors:
                detail = "%s (%s)" % (detail, _format_field_errors(errors))
            message = "Coolify API %s %s returned HTTP %s: %s." % (method, path, status, detail)
        else:
            message = "Coolify API %s %s got no HTTP answer: %s." % (method, path, _sentence(reason))
        return cls(self._scrub(message, secrets), method=method, path=path, status=status,
                   api_message=self._scrub(api_message, secrets) if api_message is not None else None,
                   errors=_scrub_data(errors, lambda text: self._scrub(text, secrets)) if errors else errors,
                   retry_after=retry_after, content_type=content_type)

    def _backoff(self, attempt):
        delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))
        return delay / 2.0 + self._random.uniform(0, delay / 2.0)

    def _jitter(self, seconds):
        return self._random.uniform(0, min(1.0, 0.1 * seconds + 0.05))

    def request(self, method, path, params=None, json=None, action=False, expect="json"):
        """Send one API call with retries; return decoded JSON (expect="json"), text (expect="text") or None ("none").

        Retried: 429 (honouring Retry-After, capped, jittered), 502/503/504, and connection failures that happened
        before the request was sent; reads (GET) also after a read timeout. Bounded by ``max_retries`` and
        ``max_retry_seconds``. A write whose answer was lost raises OutcomeUnknownError.
        """
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        url = self.api_url + path
        params = _clean_params(params)
        secrets = _sent_secrets(json) if json is not None else ()
        started = self._clock()
        attempt = 0
        read_only = method in ("GET", "HEAD") and not action
        while True:
            self.pacer.before_request()
            self._count("requests")
            try:
                # verify per request: a session-level verify=False loses to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.
                response = self._session.request(method, url, params=params, json=json, allow_redirects=False,
                                                 timeout=(self.connect_timeout, self.timeout), verify=self.validate_certs)
            except requests.exceptions.RequestException as exc:
                self.pacer.after_response(None, None)
                error, retryable = self._transport_error(exc, method, path, read_only, action)
                delay = self._backoff(attempt)
                if not retryable or not self._may_retry(attempt, started, delay):
                    raise error
                self._count("retries")
                self._sleep(delay)
                attempt += 1
                continue
            except BaseException:
                self.pacer.after_response(None, None)  # keep the pacer's in-flight count right on Ctrl-C
                raise

            status = response.status_code
            self.pacer.after_response(status, response.headers)
            if status in RETRYABLE_STATUSES:
                retry_after = _parse_retry_after(response.headers.get("Retry-After"))
                if status == 429:
                    self._count("rate_limited")
                error = self._http_error(response, method, path, retry_after, secrets)
                if status == 429 and action and _header_int(response.headers, "X-RateLimit-Remaining"):
                    raise error  # an application-level 429 (full deployment queue) on a write: the caller decides
                if retry_after is not None:
                    delay = min(retry_after, RETRY_AFTER_CAP) + self._jitter(retry_after)
                else:
                    delay = self._backoff(attempt)
                if not self._may_retry(attempt, started, delay):
                    raise error
                self._count("retries")
                response.close()
                self._sleep(delay)
                attempt += 1
                continue
            return self._decode(response, method, path, expect, secrets)

    def _may_retry(self, attempt, started, delay):
        if attempt >= self.max_retries:
            return False
        return (self._clock() - started) + delay <= self.max_retry_seconds

    def _transport_error(self, exc, method, path, read_only, action):
        """Return (error, retryable) for a requests exception."""
        reason = _transport_reason(exc)
        if isinstance(exc, requests.exceptions.ConnectionError) and _not_sent(exc):
            return self._error(TransportError, method, path, reason=reason), True
        if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader,
                            requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)):
            return self._error(TransportError, method, path, reason=reason), False
        if isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ConnectionError,
                            requests.exceptions.ChunkedEncodingError)):
            if read_only:
                return self._error(TransportError, method, path, reason=reason), True
            what = "an action" if action else "a write"
            if isinstance(exc, requests.exceptions.Timeout):
                reason = "no answer within %gs to %s, so its outcome is unknown (it may or may not have been applied)" % (
                    self.timeout, what)
            else:
                reason = "%s after %s was sent, so its outcome is unknown (it may or may not have been applied)" % (reason, what)
            return self._error(OutcomeUnknownError, method, path, reason=reason), False
        return self._error(TransportError, method, path, reason=reason), False

    def _http_error(self, response, method, path, retry_after=None, secrets=()):
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        body = None
        if "json" in content_type.lower():
            try:
                body = _scrub_data(response.json(), lambda text: self._scrub(text, secrets))
            except ValueError:
                body = None
        if body is None and status < 500:
            if 300 <= status < 400:
                location = response.headers.get("Location", "")
                return self._error(InvalidResponseError, method, path, status=status,
                                   api_message="redirected to %s; point api_url at the final address" % _excerpt(
                                       self._scrub(location.split("?", 1)[0], secrets), 120),
                                   content_type=content_type)
            if status != 429:
                # A non-JSON 4xx comes from something in front of Coolify (or from a wrong api_url), not from the API.
                return self._invalid(response, method, path, content_type, secrets)
        api_message = None
        errors = None
        if isinstance(body, dict):
            api_message = body.get("message")
            if isinstance(api_message, list):
                api_message = "; ".join(str(m) for m in api_message)
            extra = body.get("error")
            if isinstance(extra, str) and extra and extra != "Unauthorized":
                api_message = "%s (%s)" % (_sentence(api_message), _sentence(extra)) if api_message else extra
            errors = body.get("errors") if isinstance(body.get("errors"), dict) else None
        if api_message is None:
            reason = response.reason or "error"
            if body is None and content_type:
                api_message = "%s (non-JSON %s answer)" % (reason, content_type.split(";")[0].strip())
            else:
                api_message = reason
        cls = _error_class(status, api_message)
        return self._error(cls, method, path, status=status, api_message=api_message, errors=errors,
                           retry_after=retry_after, content_type=content_type, secrets=secrets)

    def _invalid(self, response, method, path, content_type, secrets=()):
        kind = content_type.split(";")[0].strip() or "untyped"
        excerpt = _excerpt(self._scrub(response.text or "", secrets))
        api_message = "a non-JSON %s answer%s, so api_url may point at a proxy or the wrong host" % (
            kind, (" starting %r" % excerpt) if excerpt else "")
        return self._error(InvalidResponseError, method, path, status=response.status_code, api_message=api_message,
                           content_type=content_type, secrets=secrets)

    def _decode(self, response, method, path, expect, secrets=()):
        status = response.status_code
        if status >= 300:
            raise self._http_error(response, method, path, secrets=secrets)
        if expect == "none":
            return None
        if expect == "text":
            return response.text
        content_type = response.headers.get("Content-Type", "")
        text = response.text
        if not text.strip():
            return None
        if "json" not in content_type.lower():
            raise self._invalid(response, method, path, content_type, secrets)
        try:
            return _json.loads(text)
        except ValueError:
            kind = content_type.split(";")[0].strip()
            raise self._error(InvalidResponseError, method, path, status=status, content_type=content_type, secrets=secrets,
                              api_message="an answer of type %s that is not valid JSON (starting %r)" % (
                                  kind, _excerpt(self._scrub(text, secrets))))

    # -- verbs -----------------------------------------------------------------------------------------------------

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def post(self, path, params=None, json=None, action=False):
        return self.request("POST", path, params=params, json=json, action=action)

    def patch(self, path, params=None, json=None):
        return self.request("PATCH", path, params=params, json=json)

    def delete(self, path, params=None):
        return self.request("DELETE", path, params=params)

    def _get_list(self, path, params=None):
        data = self.get(path, params=params)
        if data is None:
            return []
        if isinstance(data, dict) and all(str(k).isdigit() for k in data):
            # Laravel's "sorted but keys kept" quirk: {"0": {...}, "1": {...}}
            return [data[k] for k in sorted(data, key=int)]
        if not isinstance(data, list):
            raise self._error(InvalidResponseError, "GET", path, status=200,
                              api_message="a JSON %s where a list was expected" % type(data).__name__)
        return data

    def _get_dict(self, path, params=None):
        data = self.get(path, params=params)
        if not isinstance(data, dict):
            raise self._error(InvalidResponseError, "GET", path, status=200,
                              api_message="a JSON %s where an object was expected" % type(data).__name__)
        return data

    # -- resource helpers ------------------------------------------------------------------------------------------

    def version(self):
        """The Coolify version (``GET /version``, a text body such as ``4.3.11``), read once and cached."""
        with self._version_lock:
            if self._version is None:
                text = self.request("GET", "/version", expect="text")
                self._version = (text or "").strip().strip('"')
            return self._version

    def list_applications(self, tag=None):
        return self._get_list("/applications", params={"tag": tag} if tag else None)

    def get_application(self, uuid):
        return self._get_dict("/applications/%s" % _quote(uuid))

    def application_action(self, uuid, action, params=None):
        """POST /applications/{uuid}/{start|stop|restart}; params e.g. force, instant_deploy, docker_cleanup."""
        if action not in ACTIONS:
            raise ConfigurationError("Unknown application action %r; use one of %s." % (action, ", ".join(ACTIONS)))
        return self.request("POST", "/applications/%s/%s" % (_quote(uuid), action), params=params, action=True)

    def list_services(self):
        return self._get_list("/services")

    def get_service(self, uuid):
        return self._get_dict("/services/%s" % _quote(uuid))

    def service_action(self, uuid, action, params=None):
        """POST /services/{uuid}/{start|stop|restart}; params e.g. docker_cleanup, latest."""
        if action not in ACTIONS:
            raise ConfigurationError("Unknown service action %r; use one of %s." % (action, ", ".join(ACTIONS)))
        return self.request("POST", "/services/%s/%s" % (_quote(uuid), action), params=params, action=True)

    def _env_base(self, kind, uuid):
        if kind not in ENV_KINDS:
            raise ConfigurationError("Unknown resource kind %r; use application or service." % (kind,))
        return "/%ss/%s/envs" % (kind, _quote(uuid))

    def list_envs(self, kind, uuid):
        return self._get_list(self._env_base(kind, uuid))

    def create_env(self, kind, uuid, body):
        return self.request("POST", self._env_base(kind, uuid), json=body)

    def update_env(self, kind, uuid, body):
        """PATCH one row, found by key (and is_preview); send the full flag set, Coolify resets omitted flags."""
        return self.request("PATCH", self._env_base(kind, uuid), json=body)

    def bulk_update_envs(self, kind, uuid, items):
        data = self.request("PATCH", self._env_base(kind, uuid) + "/bulk", json={"data": list(items)})
        return data if isinstance(data, list) else ([] if data is None else [data])

    def delete_env(self, kind, uuid, env_uuid):
        return self.request("DELETE", "%s/%s" % (self._env_base(kind, uuid), _quote(env_uuid)))

    def get_deployment(self, deployment_uuid):
        return self._get_dict("/deployments/%s" % _quote(deployment_uuid))

    def list_deployments(self):
        """Queued and in-progress deployments; accepts the object-keyed quirk and always returns a list."""
        data = self.get("/deployments")
        if data is None:
            return []
        if isinstance(data, dict):
            return [data[k] for k in sorted(data, key=lambda k: (0, int(k)) if str(k).isdigit() else (1, str(k)))]
        if not isinstance(data, list):
            raise self._error(InvalidResponseError, "GET", "/deployments", status=200,
                              api_message="a JSON %s where a list was expected" % type(data).__name__)
        return data

    def application_deployments(self, uuid, skip=0, take=10):
        """``{"count": n, "deployments": [...]}``, newest first."""
        data = self.get("/deployments/applications/%s" % _quote(uuid), params={"skip": int(skip), "take": int(take)})
        if isinstance(data, list):
            return {"count": len(data), "deployments": data}
        if not isinstance(data, dict):
            return {"count": 0, "deployments": []}
        deployments = data.get("deployments") or []
        if isinstance(deployments, dict):
            deployments = list(deployments.values())
        return {"count": data.get("count", len(deployments)), "deployments": deployments}

    def cancel_deployment(self, deployment_uuid):
        return self.request("POST", "/deployments/%s/cancel" % _quote(deployment_uuid), action=True)

    def deploy(self, uuids=None, tags=None, force=False):
        """POST /deploy for a list of uuids or tags (not both); long lists travel in a JSON body."""
        if bool(uuids) == bool(tags):
            raise ConfigurationError("Deploy needs either uuids or tags, and not both.")
        params = {"uuid": ",".join(uuids)} if uuids else {"tag": ",".join(tags)}
        if force:
            params["force"] = True
        if sum(len(str(v)) for v in params.values()) <= MAX_QUERY_LENGTH:
            return self.request("POST", "/deploy", params=params, action=True)
        return self.request("POST", "/deploy", json=params, action=True)

    def list_servers(self):
        return self._get_list("/servers")

    def get_server(self, uuid, resources=False):
        return self._get_dict("/servers/%s" % _quote(uuid), params={"resources": True} if resources else None)

    def server_resources(self, uuid):
        return self._get_list("/servers/%s/resources" % _quote(uuid))

    def server_domains(self, uuid):
        return self._get_list("/servers/%s/domains" % _quote(uuid))

    def list_projects(self):
        return self._get_list("/projects")

    def get_project(self, uuid):
        return self._get_dict("/projects/%s" % _quote(uuid))

    def project_environments(self, uuid):
        return self._get_list("/projects/%s/environments" % _quote(uuid))

    def get_environment(self, project_uuid, env):
        """The environment (by name or uuid) with its resources (``applications``, ``services``, databases)."""
        return self._get_dict("/projects/%s/%s" % (_quote(project_uuid), _quote(env)))

    def list_resources(self):
        return self._get_list("/resources")
