# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

# This module_utils file is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

"""HTTP transport for Coolify's REST API: one pooled requests.Session, URL handling, bounded retries, the shared
rate-limit pacer, and the mapping of answers to typed errors.

Nothing here imports AnsibleModule or calls ``module.*``, so the inventory plugin and worker threads can use it.
The API token is kept in a private auth object and never appears in a message, an exception, a repr or a log.
Resource helpers (which path means what) live in ``_client``, on top of this.
"""

from __future__ import annotations

import json as _json
import random
import re
import threading
import time
import traceback

from ansible_collections.coolops.coolify.plugins.module_utils._errors import (
    ApiDisabledError, AuthenticationError, ConfigurationError, CoolifyError, InvalidResponseError, OutcomeUnknownError,
    PermissionDeniedError, QueueFullError, ServerError, TransportError, error_class, excerpt, format_field_errors,
    sentence)
from ansible_collections.coolops.coolify.plugins.module_utils._pacer import (
    RETRY_AFTER_CAP,
    RateLimitPacer,
    header_int,
    is_throttled,
    parse_retry_after,
)
from ansible_collections.coolops.coolify.plugins.module_utils._redact import MASK, mask, mask_quoted, scrub_data, sent_secrets
from ansible_collections.coolops.coolify.plugins.module_utils._retry import (
    IN_FLIGHT,
    QUEUE_FULL,
    RATE_LIMITED,
    RETRY,
    UNKNOWN,
    is_action,
    status_case,
    transport_case,
)
from ansible_collections.coolops.coolify.plugins.module_utils._url import clean_params, normalize_api_url

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

# Back-off for 5xx and transport errors without a Retry-After: base * 2**attempt, capped. What is retried: _retry.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0


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
            return "<BearerAuth %s>" % MASK

else:  # pragma: no cover

    _BearerAuth = None


def _option_to_check(cls):
    """The option a user should check for an error of this class (None: the answer is about the request itself)."""
    if issubclass(cls, (AuthenticationError, PermissionDeniedError)) and not issubclass(cls, ApiDisabledError):
        return "api_token"
    if issubclass(cls, (TransportError, InvalidResponseError, ServerError, ApiDisabledError)):
        return "api_url"
    return None


def _transport_option(exc):
    if isinstance(exc, requests.exceptions.SSLError):
        return "validate_certs (or the COOLIFY_VALIDATE_CERTS environment variable)"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "api_url and timeout"
    return "api_url"


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


def _transport_reason(exc, timeout):
    """A short, token-free reason for a transport failure."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "read timeout (no answer within %gs)" % timeout
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (%s)" % excerpt(str(_root_cause(exc)), 160)
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


class ApiTransport(object):
    """A pooled, thread-safe transport for Coolify's REST API v1 (CoolifyClient adds the resource helpers).

    Paths passed to ``request`` are relative to ``/api/v1`` and start with ``/``. Reads may be retried after a read
    timeout; writes (every non-GET, and ``action=True`` in particular) never are once they may have been sent.
    """

    def __init__(self, api_url, api_token, validate_certs=True, timeout=30, connect_timeout=10, max_retries=5,
                 max_retry_seconds=120, pool_size=10, clock=None, sleep=None, wall=None):
        if not HAS_REQUESTS:
            raise ConfigurationError("The Python library 'requests' is required to talk to the Coolify API.")
        self.api_url = normalize_api_url(api_url)
        self._host = self.api_url.split("://", 1)[1].split("/", 1)[0]  # named in every error message
        if api_token is None or not str(api_token).strip():
            raise ConfigurationError("No Coolify API token was given; set api_token or the COOLIFY_API_TOKEN environment variable.")
        self._token = str(api_token).strip()
        if any(ord(char) < 32 or ord(char) == 127 for char in self._token):
            # http.client would refuse the header with a ValueError quoting it whole (escaped, so no mask matches it).
            raise ConfigurationError("The Coolify API token contains a control character such as a line break; "
                                     "check api_token.")
        self.validate_certs = bool(validate_certs)
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.max_retries = max(0, int(max_retries))
        self.max_retry_seconds = float(max_retry_seconds)
        self.pool_size = max(1, int(pool_size))
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._wall = wall or time.time  # epoch seconds, for OutcomeUnknownError.sent_at
        self._random = random.Random()
        self.pacer = RateLimitPacer(clock=self._clock, sleep=self._sleep)
        self._stats_lock = threading.Lock()
        self._thread_local = threading.local()
        self._stats = {"requests": 0, "retries": 0, "rate_limited": 0}

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
        return "%s(api_url=%r)" % (type(self).__name__, self.api_url)

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
        ``secrets`` (values the request sent, see sent_secrets; quoted text only: see mask_quoted)."""
        tokens = [token for token in (self._token, self._token.split("|", 1)[-1]) if len(token) >= 8]
        return mask_quoted(mask(text, tokens), secrets)

    def _error(self, cls, method, path, status=None, api_message=None, errors=None, retry_after=None, content_type=None,
               reason=None, secrets=(), option=None):
        """Build one typed error whose message is a single sentence naming the host and the option to check."""
        option = option or _option_to_check(cls)
        where = "at %s%s" % (self._host, "; check %s" % option if option else "")
        if status is not None:
            detail = sentence(api_message) if api_message else "no message"
            if errors:
                detail = "%s (%s)" % (detail, format_field_errors(errors))
            message = "Coolify API %s %s returned HTTP %s: %s (%s)." % (method, path, status, detail, where)
        else:
            message = "Coolify API %s %s got no HTTP answer: %s (%s)." % (method, path, sentence(reason), where)
        # Callers mask the quoted parts (answer texts) with ``secrets``; the message around them is never masked.
        return cls(self._scrub(message), method=method, path=path, status=status,
                   api_message=self._scrub(api_message, secrets) if api_message is not None else None,
                   errors=scrub_data(errors, lambda text: self._scrub(text, secrets)) if errors else errors,
                   retry_after=retry_after, content_type=content_type)

    def _backoff(self, attempt):
        delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))
        return delay / 2.0 + self._random.uniform(0, delay / 2.0)

    def _jitter(self, seconds):
        return self._random.uniform(0, min(1.0, 0.1 * seconds + 0.05))

    def request(self, method, path, params=None, json=None, action=False):
        """Send one API call with retries; return the decoded JSON answer (None for an empty body).

        What may be sent again is decided by the policy in ``_retry``: an action (any POST, any start, stop, restart
        or deploy route, or ``action=True``) only when the attempt provably did not reach Coolify; an idempotent
        request also after a 5xx or a lost answer. Bounded by ``max_retries`` and ``max_retry_seconds``. An action
        whose outcome is unknown raises OutcomeUnknownError with ``sent_at``, and is never sent again. Any error raised
        after an attempt that may still be processed (_retry.IN_FLIGHT) has ``in_flight`` set.
        """
        in_flight = []
        try:
            return self._request(method, path, params, json, action, in_flight)
        except CoolifyError as exc:
            exc.in_flight = exc.in_flight or bool(in_flight)
            raise

    def _request(self, method, path, params, json, action, in_flight):
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        url = self.api_url + path
        params = clean_params(params)
        secrets = sent_secrets(json) if json is not None else ()
        unsafe = is_action(method, path, action)
        started = self._clock()
        attempt = 0
        while True:
            self._count("requests")
            self.pacer.before_request()
            sent_at = self._wall()
            try:
                # verify per request: a session-level verify=False loses to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.
                response = self._session.request(method, url, params=params, json=json, allow_redirects=False,
                                                 timeout=(self.connect_timeout, self.timeout), verify=self.validate_certs)
            except requests.exceptions.RequestException as exc:
                self.pacer.after_response(None, None)
                case = transport_case(exc)
                if case in IN_FLIGHT:
                    in_flight.append(case)
                error = self._error(TransportError, method, path, reason=_transport_reason(exc, self.timeout),
                                    option=_transport_option(exc))
                delay = self._backoff(attempt)
            except BaseException:
                self.pacer.after_response(None, None)  # keep the pacer's in-flight count right on Ctrl-C
                raise
            else:
                case = None
                try:
                    case, error = self._answer_case(response, method, path, secrets)
                finally:  # whatever the answer does to the decoding, its place in the pacer is given back
                    self.pacer.after_response(response.status_code, response.headers, throttled=case is RATE_LIMITED)
                if case is None and method == "DELETE" and attempt and response.status_code == 404:
                    return None  # resent after an unknown outcome: the first attempt deleted it
                if case is None:
                    return self._decode(response, method, path, secrets)
                response.close()
                if case in IN_FLIGHT:
                    in_flight.append(case)
                if case is RATE_LIMITED:
                    self._count("rate_limited")
                if error.retry_after is not None:
                    delay = min(error.retry_after, RETRY_AFTER_CAP) + self._jitter(error.retry_after)
                else:
                    delay = self._backoff(attempt)
            decision = case.decide(unsafe)
            if decision == UNKNOWN:
                raise self._unknown(error, sent_at)
            if decision != RETRY or not self._may_retry(attempt, started, delay):
                if method not in ("GET", "HEAD") and case.action == UNKNOWN:
                    # a write whose last attempt may have been applied
                    raise self._unknown(error, sent_at, attempts=attempt + 1)
                raise error
            self._count("retries")
            self._sleep(delay)
            attempt += 1

    def send_once_on_this_thread(self):
        """The calling thread (the watcher's) sends each request once: it polls again after its own back-off, and a
        read retried here would run past the task's wait_timeout."""
        self._thread_local.once = True

    def _may_retry(self, attempt, started, delay):
        if attempt >= self.max_retries or getattr(self._thread_local, "once", False):
            return False
        return (self._clock() - started) + delay <= self.max_retry_seconds

    def _answer_case(self, response, method, path, secrets):
        """(Case, typed error) for an answer the policy has a case for; (None, None) for a final answer."""
        status = response.status_code
        if status < 400 or status_case(status) is None:
            return None, None
        body = None
        if "json" in response.headers.get("Content-Type", "").lower():
            try:
                body = response.json()
            except ValueError:
                body = None
        body = body if isinstance(body, dict) else None
        case = status_case(status, body, remaining=header_int(response.headers, "X-RateLimit-Remaining"),
                           throttled=is_throttled(response.headers) if status == 429 else None)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        error = self._http_error(response, method, path, retry_after, secrets,
                                 cls=QueueFullError if case is QUEUE_FULL else None)
        return case, error

    def _unknown(self, error, sent_at, attempts=None):
        """The OutcomeUnknownError for a request that may have been applied: an action (never resent; verify it), or
        an idempotent write whose ``attempts`` all ended so."""
        if attempts is None:
            tail = "it was not sent again"
        else:
            tail = "it was sent %d time%s" % (attempts, "" if attempts == 1 else "s")
        message = "%s, so its outcome is unknown (it may or may not have been applied); %s." % (
            error.message.rstrip("."), tail)
        return OutcomeUnknownError(message, sent_at=sent_at, method=error.method, path=error.path, status=error.status,
                                   api_message=error.api_message, errors=error.errors, retry_after=error.retry_after,
                                   content_type=error.content_type)

    def _http_error(self, response, method, path, retry_after=None, secrets=(), cls=None):
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        body = None
        if "json" in content_type.lower():
            try:
                body = scrub_data(response.json(), lambda text: self._scrub(text, secrets))
            except ValueError:
                body = None
        if body is None and status < 500:
            if 300 <= status < 400:
                location = response.headers.get("Location", "")
                return self._error(InvalidResponseError, method, path, status=status,
                                   api_message="redirected to %s; point api_url at the final address" % excerpt(
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
                api_message = "%s (%s)" % (sentence(api_message), sentence(extra)) if api_message else extra
            errors = body.get("errors") if isinstance(body.get("errors"), dict) else None
        if api_message is None:
            reason = response.reason or "error"
            if body is None and content_type:
                api_message = "%s (non-JSON %s answer)" % (reason, content_type.split(";")[0].strip())
            else:
                api_message = reason
        cls = cls or error_class(status, api_message)
        return self._error(cls, method, path, status=status, api_message=api_message, errors=errors,
                           retry_after=retry_after, content_type=content_type, secrets=secrets)

    def _invalid(self, response, method, path, content_type, secrets=()):
        kind = content_type.split(";")[0].strip() or "untyped"
        start = excerpt(self._scrub(response.text or "", secrets))
        api_message = "a non-JSON %s answer%s, so api_url may point at a proxy or the wrong host" % (
            kind, (" starting %r" % start) if start else "")
        return self._error(InvalidResponseError, method, path, status=response.status_code, api_message=api_message,
                           content_type=content_type, secrets=secrets)

    def _decode(self, response, method, path, secrets=()):
        status = response.status_code
        if status >= 300:
            raise self._http_error(response, method, path, secrets=secrets)
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
                                  kind, excerpt(self._scrub(text, secrets))))

    def get(self, path, params=None):
        return self.request("GET", path, params=params)
