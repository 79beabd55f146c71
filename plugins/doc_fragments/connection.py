# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This doc fragment is PRIVATE to the collection: it may change without notice; do not use it from elsewhere.

from __future__ import annotations


class ModuleDocFragment(object):

    # Connection options of every module.
    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - URL of the Coolify instance, for example V(https://coolify.example.com).
      - The forms V(https://host), V(https://host/) and V(https://host/api/v1) are all accepted. Any other path (such
        as V(/api) or V(/api/v2)) is refused before any request, because Coolify's API is only at C(/api/v1).
      - If not set, the value of the E(COOLIFY_API_URL), E(COOLIFY_URL) or E(COOLIFY_BASE_URL) environment variable
        is used (the first one that is set).
    type: str
    required: true
  api_token:
    description:
      - Coolify API token, created under C(Keys & Tokens) in the Coolify UI.
      - The token needs the C(read) ability for reads, plus C(write) and C(deploy) for changes (or C(root)).
      - If not set, the value of the E(COOLIFY_API_TOKEN), E(COOLIFY_TOKEN) or E(COOLIFY_ACCESS_TOKEN) environment
        variable is used (the first one that is set).
      - The token never appears in results, messages or logs.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
      - Set to V(false) only for a test instance with a self-signed certificate.
      - If not set, the value of the environment variable E(COOLIFY_VALIDATE_CERTS) is used.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for an answer to one API request (the read timeout). Connecting has its own 10 second limit.
      - An action (start, stop, restart, deploy, cancel) whose answer does not arrive in time is reported as having an
        unknown outcome and is never sent again blindly.
    type: float
    default: 30
  max_retries:
    description:
      - How many times one request is retried after HTTP 429 (honouring C(Retry-After)), 502, 503, 504, or a connection
        failure that happened before the request was sent. Reads and idempotent writes are also retried after a 500,
        another proxy's give-up (408, 499, 520-524) or a lost answer; an action (start, stop, restart, deploy) is then
        never sent again, its outcome is unknown.
      - Retries of one request also stop after 120 seconds in total. V(0) disables retries.
    type: int
    default: 5
requirements:
  - requests
notes:
  - All requests go through one connection pool and a shared rate-limit pacer, which reads Coolify's
    C(X-RateLimit-Remaining) and C(Retry-After) headers and spreads requests so a batch larger than the rate limit
    finishes without failed items.
'''

    # The same options for the inventory plugin: env vars declared with env:, and a templated token allowed.
    PLUGINS = r'''
options:
  api_url:
    description:
      - URL of the Coolify instance, for example V(https://coolify.example.com).
      - The forms V(https://host), V(https://host/) and V(https://host/api/v1) are all accepted. Any other path (such
        as V(/api) or V(/api/v2)) is refused before any request, because Coolify's API is only at C(/api/v1).
    type: str
    required: true
    env:
      - name: COOLIFY_API_URL
      - name: COOLIFY_URL
      - name: COOLIFY_BASE_URL
  api_token:
    description:
      - Coolify API token with the C(read) ability.
      - May be a template, for example a C(lookup) of an environment variable, or a vaulted variable passed with
        C(-e @vault.yml) (see the examples).
      - The token never appears in host variables, messages or logs.
    type: str
    required: true
    env:
      - name: COOLIFY_API_TOKEN
      - name: COOLIFY_TOKEN
      - name: COOLIFY_ACCESS_TOKEN
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
    type: bool
    default: true
    env:
      - name: COOLIFY_VALIDATE_CERTS
  timeout:
    description:
      - Seconds to wait for an answer to one API request (the read timeout).
    type: float
    default: 30
  max_retries:
    description:
      - How many times one request is retried after HTTP 429 (honouring C(Retry-After)), 502, 503, 504, or a connection
        failure that happened before the request was sent. Reads and idempotent writes are also retried after a 500,
        another proxy's give-up (408, 499, 520-524) or a lost answer; an action (start, stop, restart, deploy) is then
        never sent again, its outcome is unknown.
    type: int
    default: 5
requirements:
  - requests
'''
