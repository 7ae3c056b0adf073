"""Every test runs without the developer's OCI credentials (online checks must not reach real services)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_oci_credentials(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("OCI_CONFIG_FILE", str(tmp_path_factory.getbasetemp() / "no-oci-config"))
    for name in ("OCI_RESOURCE_PRINCIPAL_VERSION", "ARTIFACT_LINT_OCI_ENDPOINT", "OCI_CONFIG_PROFILE"):
        monkeypatch.delenv(name, raising=False)
