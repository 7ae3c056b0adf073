"""`artifact-lint server` end to end: a real client (pytest-lsp) talks to the real server process over stdio."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pygls.uris import from_fs_path

from rules._samples import RUNTIME_YAML, SCORE_PY, artifact
from tests.helpers import write_files

pytestmark = pytest.mark.asyncio


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "artifact_lint", "server"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


async def diagnostics_for(client: LanguageClient, uri: str, until=lambda found: True, timeout: float = 20):
    """The diagnostics the server published for `uri`, waiting until `until(diagnostics)` holds."""
    async def wait():
        while True:
            found = client.diagnostics.get(uri)
            if found is not None and until(found):
                return found
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return await asyncio.wait_for(wait(), timeout)


def open_document(client: LanguageClient, path: Path, text: str, language: str = "python") -> str:
    uri = from_fs_path(str(path))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
    return uri


def change_document(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))


def codes(diagnostics) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


async def runtime_yaml_finding(client: LanguageClient, tmp_path, old: str, new: str, code: str):
    """Open an artifact's runtime.yaml with `old` replaced by `new` (unsaved); its `code` finding and code actions."""
    write_files(tmp_path / "model", artifact())
    uri = open_document(client, tmp_path / "model" / "runtime.yaml", RUNTIME_YAML.replace(old, new), "yaml")
    found = await diagnostics_for(client, uri, lambda found: code in codes(found))
    finding = next(d for d in found if d.code == code)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), finding.range, types.CodeActionContext(diagnostics=[finding])))
    return uri, finding, [a for a in actions if a.title.startswith(code)]


async def test_findings_follow_the_unsaved_buffer_not_the_disk(client: LanguageClient, tmp_path):
    write_files(tmp_path / "model", artifact())
    broken = SCORE_PY.replace("def predict(data, model=load_model()):", "def predict(payload, model=load_model()):")
    uri = open_document(client, tmp_path / "model" / "score.py", broken)
    found = await diagnostics_for(client, uri, lambda found: "SCR103" in codes(found))
    finding = next(d for d in found if d.code == "SCR103")
    line = broken.splitlines().index("def predict(payload, model=load_model()):")
    assert finding.range == types.Range(types.Position(line, 12), types.Position(line, 19))
    assert finding.source == "artifact-lint" and finding.severity == types.DiagnosticSeverity.Error
    change_document(client, uri, 2, SCORE_PY)  # the fix, typed but not saved
    await diagnostics_for(client, uri, lambda found: "SCR103" not in codes(found))
    assert (tmp_path / "model" / "score.py").read_text() == SCORE_PY  # nothing was written


async def test_runtime_yaml_code_action_and_hover(client: LanguageClient, tmp_path):
    uri, finding, (action,) = await runtime_yaml_finding(client, tmp_path, "INFERENCE_PYTHON_VERSION: '3.11'",
                                                        "INFERENCE_PYTHON_VERSION: 3.10", "RTY107")
    assert finding.range == types.Range(types.Position(6, 30), types.Position(6, 34))
    assert "(safe fix)" in action.title and action.kind == types.CodeActionKind.QuickFix and action.is_preferred
    (change,) = action.edit.document_changes
    assert change.text_document.uri == uri
    (edit,) = change.edits
    assert edit.range == finding.range and edit.new_text == "'3.10'"
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                       types.Position(6, 31)))
    assert hover.contents.value.startswith("**RTY107**") and "## Why it matters" in hover.contents.value
    nothing = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                         types.Position(0, 0)))
    assert nothing is None


async def test_unsafe_fixes_are_labelled(client: LanguageClient, tmp_path):
    _, finding, (action,) = await runtime_yaml_finding(client, tmp_path, "INFERENCE_ENV_TYPE: data_science",
                                                       "INFERENCE_ENV_TYPE: datascience", "RTY109")
    assert finding.message.endswith("[unsafe fix]")
    assert "unsafe fix" in action.title and not action.is_preferred
    assert action.edit.document_changes[0].edits[0].new_text == "data_science"


async def test_schema_helper_and_positions_in_utf16(client: LanguageClient, tmp_path):
    write_files(tmp_path / "model", artifact({"score.py": "import helpers2\n" + SCORE_PY}))
    score = (tmp_path / "model" / "score.py").read_text()
    score_uri = open_document(client, tmp_path / "model" / "score.py", score)
    await diagnostics_for(client, score_uri, lambda found: "SCR203" in codes(found))
    # an unsaved new helper module counts: score.py's import is now of a file in the artifact
    open_document(client, tmp_path / "model" / "helpers2.py", "def f():\n    return 1\n")
    await diagnostics_for(client, score_uri, lambda found: "SCR203" not in codes(found))
    # a JSON error after a character outside the BMP: LSP columns count UTF-16 units
    schema_uri = open_document(client, tmp_path / "model" / "input_schema.json",
                               '{"schema": [], "😀": 1,,}\n', "json")
    found = await diagnostics_for(client, schema_uri, lambda found: bool(found))
    assert codes(found) == ["SCH001"]
    assert found[0].range.start == types.Position(0, 23)  # the 23rd code point, after a surrogate pair


async def test_files_outside_any_artifact_get_nothing(client: LanguageClient, tmp_path):
    (tmp_path / "notes").mkdir()
    uri = open_document(client, tmp_path / "notes" / "script.py", "def predict(payload):\n    pass\n")
    write_files(tmp_path / "model", artifact())
    probe = open_document(client, tmp_path / "model" / "score.py", SCORE_PY)
    await diagnostics_for(client, probe)  # the server answered for a later file, so it had its chance
    assert uri not in client.diagnostics


async def test_save_and_close_lint_what_is_on_disk(client: LanguageClient, tmp_path):
    write_files(tmp_path / "model", artifact())
    uri = open_document(client, tmp_path / "model" / "score.py", SCORE_PY)
    assert codes(await diagnostics_for(client, uri)) == []
    (tmp_path / "model" / "model.joblib").unlink()  # changed outside the editor, then score.py saved
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert "SCR301" in codes(await diagnostics_for(client, uri, lambda found: bool(found)))  # model file missing
    change_document(client, uri, 2, "def predict(payload):\n    return payload\n")
    await diagnostics_for(client, uri, lambda found: "SCR103" in codes(found))
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await diagnostics_for(client, uri, lambda found: "SCR103" not in codes(found))  # the disk's text again
