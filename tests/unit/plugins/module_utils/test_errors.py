# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which typed error an HTTP answer becomes, and how Laravel's field errors are quoted (pure)."""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.module_utils import _errors as e


@pytest.mark.parametrize("status, api_message, cls", [
    (400, "Invalid request.", e.BadRequestError),
    (418, None, e.BadRequestError),  # any other 4xx: the request itself was wrong
    (401, "Unauthenticated.", e.AuthenticationError),
    (404, "Not found.", e.NotFoundError),
    (422, "Validation failed.", e.ValidationError),
    (429, "Too Many Attempts.", e.RateLimitedError),
    (503, None, e.ServerError),
])
def test_error_class(status, api_message, cls):
    assert e.error_class(status, api_message) is cls


def test_field_errors_are_capped_and_counted():
    errors = {"value": ["The value field must be a string."], "key": ["The key field format is invalid.", "Too long."],
              "comment": "The comment field must not be greater than 256 characters.", "is_literal": ["Must be true or false."]}
    assert e.format_field_errors(errors) == (
        "comment: The comment field must not be greater than 256 characters, is_literal: Must be true or false, "
        "key: The key field format is invalid; Too long, and 1 more")
