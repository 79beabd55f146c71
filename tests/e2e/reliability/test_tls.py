# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator behind TLS with a self-signed certificate made in the test: validate_certs=true refuses it clearly
(one sentence, nothing sent past the handshake), validate_certs=false works."""

from __future__ import annotations

import os

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch, coolify_env, coolify_service_batch

# pylint: disable=import-error
from _proxy import FaultProxy
from _support import NEW_SECRET, api_log, assert_no_secret, assert_one_sentence, connection, writes
from _tls import make_self_signed


@pytest.fixture
def tls_proxy(emu, tmp_path):
    cert, key, _how = make_self_signed(tmp_path)
    with FaultProxy(emu.base_url, certfile=cert, keyfile=key) as proxy:
        assert proxy.api_url.startswith("https://")
        yield proxy


def certifi_or_system_bundle():
    """Any real CA bundle file (it must exist, or requests refuses it before connecting)."""
    for path in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"):
        if os.path.exists(path):
            return path
    import certifi  # pylint: disable=import-outside-toplevel
    return certifi.where()


CASES = {
    "app": (coolify_app_batch, {"names": ["app-1"], "state": "restarted"}),
    "service": (coolify_service_batch, {"names": ["svc-1"], "state": "restarted"}),
    "env": (coolify_env, {"names": ["app-1"], "env": {"API_KEY": NEW_SECRET}}),
}


@pytest.mark.parametrize("which", sorted(CASES))
def test_self_signed_certificate_is_refused_by_default(emu, tls_proxy, run_module, which):
    module, extra = CASES[which]
    result = run_module(module, connection(tls_proxy.api_url, **extra))
    assert result["failed"] and not result.get("changed")
    assert_one_sentence(result["msg"])
    assert "TLS" in result["msg"] and "certificate" in result["msg"].lower(), result["msg"]
    host = tls_proxy.api_url.split("://", 1)[1].split("/", 1)[0]
    assert "at %s" % host in result["msg"], "the error must name the host it talked to: %s" % result["msg"]
    assert "validate_certs" in result["msg"] and "COOLIFY_VALIDATE_CERTS" in result["msg"], result["msg"]
    assert not tls_proxy.log, "no request may pass the failed handshake"
    assert not api_log(emu)
    assert_no_secret(result)


CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.mark.parametrize("ca_bundle_env", ["REQUESTS_CA_BUNDLE-set", "no-CA-bundle-variables"])
@pytest.mark.parametrize("which", sorted(CASES))
def test_self_signed_certificate_works_with_validate_certs_false(emu, tls_proxy, run_module, monkeypatch, which, ca_bundle_env):
    """validate_certs=false must hold even when the environment names a CA bundle (common on CI runners and in
    corporate setups): requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a session-level verify=False."""
    for name in CA_BUNDLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if ca_bundle_env == "REQUESTS_CA_BUNDLE-set":
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi_or_system_bundle())
    module, extra = CASES[which]
    result = run_module(module, connection(tls_proxy.api_url, validate_certs=False, **extra))
    assert not result["failed"], result["msg"]
    assert result["changed"]
    assert len(writes(api_log(emu))) == 1
    assert tls_proxy.log
    assert_no_secret(result)
