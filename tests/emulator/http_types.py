# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Request and Response as the controllers see them, with Laravel's input conventions applied."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

DOCS_URL = "https://coolify.io/docs"
AUTH_DOCS_URL = "https://coolify.io/docs/api-reference/authorization"


def clean_input(value):
    """TrimStrings + ConvertEmptyStringsToNull, applied recursively like Laravel's global middleware."""
    if isinstance(value, str):
        value = value.strip()
        return value if value else None
    if isinstance(value, dict):
        return {key: clean_input(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_input(item) for item in value]
    return value


def php_truthy(value):
    """PHP's loose truthiness of a request value."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value not in ("", "0")
    if isinstance(value, (list, dict)):
        return bool(value)
    return bool(value)


def request_boolean(value):
    """$request->boolean(): 1, true, on, yes (case-insensitive) are true; anything else is false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    if isinstance(value, str):
        return value.lower() in ("1", "true", "on", "yes")
    return False


class Request:
    """One HTTP request; `data` is Laravel's $request->all() (JSON body over query string)."""

    def __init__(self, method, path, query_string, headers, body, ip):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body or b""
        self.ip = ip
        self.processed = False  # set once the request reaches its controller (see /_emulator/requests)
        raw_query = parse_qs(query_string or "", keep_blank_values=True)
        self.query = clean_input({key: values[-1] for key, values in raw_query.items()})
        content_type = (headers.get("Content-Type") or "").lower()
        self.is_json = "/json" in content_type or "+json" in content_type
        self.json = None
        self.json_valid = False
        form = {}
        if self.is_json and self.body:
            try:
                self.json = json.loads(self.body.decode("utf-8"))
                self.json_valid = True
            except (ValueError, UnicodeDecodeError):
                self.json = None
        elif "application/x-www-form-urlencoded" in content_type and self.body:
            parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            form = {key: values[-1] for key, values in parsed.items()}
        body_data = self.json if isinstance(self.json, dict) else form
        merged = dict(self.query)
        merged.update(clean_input(body_data))
        self.data = merged

    def input(self, name, default=None):
        value = self.data.get(name)
        return default if value is None else value

    @property
    def wants_json(self):
        """Laravel's expectsJson(): the first Accept entry is JSON, or an XHR that accepts anything."""
        accept = (self.headers.get("Accept") or "").split(",")[0].strip().lower()
        if "/json" in accept or "+json" in accept:
            return True
        ajax = (self.headers.get("X-Requested-With") or "") == "XMLHttpRequest"
        return ajax and accept in ("", "*/*")

    def logged_body(self):
        if self.json is not None:
            return self.json
        if not self.body:
            return None
        return self.body.decode("utf-8", "replace")


class Response:
    __slots__ = ("status", "body", "headers", "content_type", "cut")

    def __init__(self, status, body=None, headers=None, content_type="application/json"):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        self.content_type = content_type
        self.cut = False


def json_response(status, body=None, headers=None):
    return Response(status, body, headers)


def message(http_status, text, headers=None, **extra):
    body = {"message": text}
    body.update(extra)
    return Response(http_status, body, headers)


def text_response(status, text):
    return Response(status, text, content_type="text/html; charset=UTF-8")


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%(title)s</title>
</head>
<body>
<div class="flex-center position-ref full-height"><div class="code">%(status)d</div><div class="message">%(title)s</div></div>
</body>
</html>
"""


def html_error(status, title, headers=None):
    return Response(status, HTML_PAGE % {"status": status, "title": title}, headers, "text/html; charset=UTF-8")


def framework_error(request, status, title, json_message, headers=None):
    """Errors rendered by Laravel itself (throttle, 500): JSON only when the client asked for JSON."""
    if request.wants_json:
        return message(status, json_message, headers)
    return html_error(status, title, headers)
