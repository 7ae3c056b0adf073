"""--online and catalog OCIDs with the real OCI SDK, against a local server that plays Object Storage
and Data Science for the calls used (HEAD object, GET model artifact)."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

from rules._samples import artifact, runtime_yaml
from tests.helpers import make_artifact, run_cli

oci = pytest.importorskip("oci", reason="the OCI SDK (artifact-lint[oci]) is not installed")
MODEL = "ocid1.datasciencemodel.oc1.iad.amaaaaaafakefakefake"
EXISTING = "oci://packs@testns/conda/cpu/churn/1.0/churn_v1"


def _artifact_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in artifact({"runtime.yaml": runtime_yaml(python="3.10", path=EXISTING, slug="''",
                                                                     env_type="published")}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


class FakeOci(BaseHTTPRequestHandler):
    seen: list[str] = []

    def _reply(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("opc-request-id", "test")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):  # noqa: N802 - http.server's naming
        self.seen.append(f"HEAD {self.path}")
        if unquote(self.path) == "/n/testns/b/packs/o/conda/cpu/churn/1.0/churn_v1":
            return self._reply(200)
        return self._reply(404, json.dumps({"code": "ObjectNotFound", "message": "no such object"}).encode())

    def do_GET(self):  # noqa: N802
        self.seen.append(f"GET {self.path}")
        if self.path.endswith(f"/models/{MODEL}/artifact/content"):
            return self._reply(200, _artifact_zip(), "application/octet-stream")
        return self._reply(404, json.dumps({"code": "NotAuthorizedOrNotFound", "message": "no"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_oci(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.TraditionalOpenSSL,
                                                         serialization.NoEncryption()))
    (tmp_path / "config").write_text(
        "[DEFAULT]\nuser=ocid1.user.oc1..aaaatest\nfingerprint=11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff\n"
        f"tenancy=ocid1.tenancy.oc1..aaaatest\nregion=us-ashburn-1\nkey_file={tmp_path / 'key.pem'}\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOci)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeOci.seen = []
    yield {"OCI_CONFIG_FILE": str(tmp_path / "config"),
           "ARTIFACT_LINT_OCI_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}"}
    server.shutdown()


def _lint(path, env, *extra) -> dict:
    result = run_cli("lint", "--online", "--format", "json", "--select", "RTY115", *extra, str(path), env=env)
    return json.loads(result.stdout)


def test_existing_and_missing_packs(tmp_path, fake_oci):
    (tmp_path / "a").mkdir()
    good = make_artifact(tmp_path / "a", artifact(
        {"runtime.yaml": runtime_yaml(path=EXISTING, slug="''", env_type="published", python="'3.10'")}))
    assert _lint(good, fake_oci)["diagnostics"] == []
    (tmp_path / "b").mkdir()
    bad = make_artifact(tmp_path / "b", artifact({"runtime.yaml": runtime_yaml(
        path="oci://packs@testns/conda/cpu/gone/1.0/gone_v1", slug="''", env_type="published", python="'3.10'")}))
    [finding] = _lint(bad, fake_oci)["diagnostics"]
    assert finding["code"] == "RTY115" and finding["severity"] == "error"
    assert finding["ads_test"] == "runtime_path_exist" and "does not exist" in finding["message"]
    assert any(line.startswith("HEAD /n/testns/b/packs/o/") for line in FakeOci.seen)


def test_no_credentials_or_no_network_answer_fast(tmp_path, fake_oci):
    path = make_artifact(tmp_path, artifact())
    started = time.perf_counter()
    [no_config] = _lint(path, {"OCI_CONFIG_FILE": str(tmp_path / "missing")})["diagnostics"]
    [no_network] = _lint(path, {**fake_oci, "ARTIFACT_LINT_OCI_ENDPOINT": "http://127.0.0.1:9"})["diagnostics"]
    assert time.perf_counter() - started < 30
    assert no_config["severity"] == "info" and "no usable OCI config" in no_config["message"]
    assert no_network["severity"] == "info" and "could not be reached" in no_network["message"]


def test_a_catalog_model_is_downloaded_and_linted(fake_oci):
    result = run_cli("lint", "--format", "json", "--select", "RTY", MODEL, env=fake_oci)
    report = json.loads(result.stdout)
    assert report["artifacts"][0]["path"] == MODEL and report["artifacts"][0]["kind"] == "zip"
    assert [d["code"] for d in report["diagnostics"]] == ["RTY107"]
    assert any(line.startswith("GET ") and line.endswith("/artifact/content") for line in FakeOci.seen)


def test_an_unknown_model_is_a_clear_error(fake_oci):
    result = run_cli("lint", "ocid1.datasciencemodel.oc1.iad.amaaaaaanothere", env=fake_oci)
    assert result.returncode == 2 and b"the model catalog answered 404" in result.stdout
