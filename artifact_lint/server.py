"""`artifact-lint server`: a Language Server on stdio (pygls) for score.py, runtime.yaml, schemas and helpers.

Each open file is mapped to its artifact; the artifact is linted with every open buffer of it laid
over the disk (artifact_lint.buffers, the path `lint --stdin-filename` takes), and the findings are
published for every file of the artifact they name. Changes are debounced per artifact; a lint
runs in a worker thread and its result is dropped if a newer edit arrived meanwhile. Code actions
apply the findings' fix edits (labelled safe or unsafe); hover shows the rule's documentation.
Only this module imports pygls, and only `artifact-lint server` imports this module.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from artifact_lint import __version__
from artifact_lint.buffers import buffer_artifact, lint_buffers
from artifact_lint.config import ConfigLoader
from artifact_lint.diagnostics import Applicability, Diagnostic, Edit, Severity, Span
from artifact_lint.parsers.positions import LINE_BREAK
from artifact_lint.registry import FIX_KINDS, all_rules

DEFAULT_DEBOUNCE = 0.05  # seconds of quiet typing before a lint
SEVERITIES = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
              Severity.INFO: types.DiagnosticSeverity.Information}
SOURCE = "artifact-lint"
MAX_UNOPENED_READ = 16 * 1024 * 1024

log = logging.getLogger(__name__)


@dataclass
class Published:
    """One finding as the editor got it: our diagnostic and its range in the client's position units."""

    diagnostic: Diagnostic
    lsp: types.Diagnostic


@dataclass
class ArtifactState:
    """What the server knows of one artifact: the edit generation and the findings per file URI."""

    generation: int = 0
    pending: asyncio.TimerHandle | None = None
    findings: dict[str, list[Published]] = field(default_factory=dict)


class ArtifactLanguageServer(LanguageServer):
    def __init__(self, debounce: float = DEFAULT_DEBOUNCE):
        super().__init__("artifact-lint", __version__)
        self.debounce = debounce
        self.artifacts: dict[Path, ArtifactState] = {}

    # -- scheduling -------------------------------------------------------------------------
    def schedule(self, uri: str, delay: float) -> None:
        """Lint the artifact `uri` belongs to after `delay` seconds, replacing a lint already waiting."""
        path = _path_of(uri)
        root = buffer_artifact(path) if path is not None else None
        if root is None:
            return  # a file outside any artifact: nothing to say about it
        state = self.artifacts.setdefault(root, ArtifactState())
        state.generation += 1
        if state.pending is not None:
            state.pending.cancel()
        loop = asyncio.get_running_loop()
        generation = state.generation
        state.pending = loop.call_later(delay, lambda: asyncio.ensure_future(self.lint(root, generation)))

    async def lint(self, root: Path, generation: int) -> None:
        state = self.artifacts[root]
        state.pending = None
        buffers = self._buffers(root)
        loop = asyncio.get_running_loop()
        try:
            run = await loop.run_in_executor(None, lint_buffers, root, buffers, ConfigLoader())
        except Exception as error:  # a crash must not take the server down; say it in the log
            log.exception("lint failed")
            self.window_log_message(types.LogMessageParams(types.MessageType.Error,
                                                           f"artifact-lint: {root}: {type(error).__name__}: {error}"))
            return
        if generation != state.generation:
            return  # an edit came in while linting; its own lint publishes
        for _artifact, message in run.all_tool_errors():
            self.window_log_message(types.LogMessageParams(types.MessageType.Warning, f"artifact-lint: {message}"))
        self.publish(root, state, run.diagnostics)

    def _buffers(self, root: Path) -> dict[str, bytes]:
        """Every open document inside the artifact, as the editor holds it."""
        buffers = {}
        for uri, document in list(self.workspace.text_documents.items()):
            path = _path_of(uri)
            if path is None:
                continue
            try:
                relative = path.absolute().relative_to(root)
            except ValueError:
                continue
            buffers[relative.as_posix()] = document.source.encode("utf-8")
        return buffers

    # -- publishing -------------------------------------------------------------------------
    def publish(self, root: Path, state: ArtifactState, diagnostics: list[Diagnostic]) -> None:
        by_uri: dict[str, list[Published]] = {}
        lines: dict[str, list[str]] = {}
        for diagnostic in diagnostics:
            uri = from_fs_path(str(root.joinpath(*diagnostic.path.split("/"))))
            if uri not in lines:
                lines[uri] = self.lines(uri)
            by_uri.setdefault(uri, []).append(Published(diagnostic, self._lsp_diagnostic(diagnostic, lines[uri])))
        for uri in self._open_uris(root):
            by_uri.setdefault(uri, [])
        for uri in state.findings:
            by_uri.setdefault(uri, [])  # clears what was published before and is now gone
        state.findings = {uri: found for uri, found in by_uri.items() if found}
        for uri, found in by_uri.items():
            document = self.workspace.text_documents.get(uri)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, diagnostics=[item.lsp for item in found], version=document.version if document else None))

    def _open_uris(self, root: Path) -> list[str]:
        return [uri for uri in self.workspace.text_documents if buffer_artifact(_path_of(uri) or Path("/")) == root]

    def lines(self, uri: str) -> list[str]:
        """The file's lines as the linter counts them: the open buffer, else the file on disk."""
        document = self.workspace.text_documents.get(uri)
        if document is not None:
            text = document.source
        else:
            path = _path_of(uri)
            try:
                with open(path, "rb") as handle:
                    text = handle.read(MAX_UNOPENED_READ).decode("utf-8", "replace")
            except (OSError, TypeError):
                text = ""
        return LINE_BREAK.split(text)

    def to_range(self, span: Span | None, lines: list[str]) -> types.Range:
        """A 1-based, code-point span as an LSP range in the negotiated encoding; a whole-file finding is 0:0."""
        if span is None:
            return types.Range(types.Position(0, 0), types.Position(0, 0))
        codec = self.workspace.position_codec
        start = codec.position_to_client_units(lines, types.Position(span.start.line - 1, span.start.column - 1))
        end = codec.position_to_client_units(lines, types.Position(span.end.line - 1, span.end.column - 1))
        return types.Range(start, end)

    def _lsp_diagnostic(self, diagnostic: Diagnostic, lines: list[str]) -> types.Diagnostic:
        message = diagnostic.message
        if diagnostic.fix is not None:
            message += f" [{diagnostic.fix.applicability.value} fix]"
        return types.Diagnostic(range=self.to_range(diagnostic.span, lines), message=message,
                                severity=SEVERITIES[diagnostic.severity], code=diagnostic.code, source=SOURCE,
                                data={"name": diagnostic.name})

    def findings_at(self, uri: str, selection: types.Range) -> list[Published]:
        """The findings of `uri` whose range touches `selection`."""
        path = _path_of(uri)
        root = buffer_artifact(path) if path is not None else None
        state = self.artifacts.get(root) if root is not None else None
        if state is None:
            return []
        start, end = _key(selection.start), _key(selection.end)
        return [item for item in state.findings.get(uri, [])
                if _key(item.lsp.range.start) <= end and start <= _key(item.lsp.range.end)]

    # -- code actions -----------------------------------------------------------------------
    def code_action(self, root: Path, published: Published) -> types.CodeAction:
        fix = published.diagnostic.fix
        changes: list = []
        for edit in fix.edits:
            changes.extend(self._document_changes(root, edit))
        label = "safe fix" if fix.applicability is Applicability.SAFE else "unsafe fix: review the change"
        return types.CodeAction(
            title=f"{published.diagnostic.code}: {fix.title} ({label})", kind=types.CodeActionKind.QuickFix,
            diagnostics=[published.lsp], is_preferred=fix.applicability is Applicability.SAFE,
            edit=types.WorkspaceEdit(document_changes=changes))

    def _document_changes(self, root: Path, edit: Edit) -> list:
        uri = from_fs_path(str(root.joinpath(*edit.path.split("/"))))
        document = self.workspace.text_documents.get(uri)
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=document.version if document
                                                                  else None)
        if edit.span is None:  # a generated file
            origin = types.Range(types.Position(0, 0), types.Position(0, 0))
            return [types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=True)),
                    types.TextDocumentEdit(identifier, [types.TextEdit(origin, edit.content)])]
        return [types.TextDocumentEdit(identifier, [types.TextEdit(self.to_range(edit.span, self.lines(uri)),
                                                                   edit.content)])]


def _key(position: types.Position) -> tuple[int, int]:
    return position.line, position.character


def _path_of(uri: str) -> Path | None:
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None


def rule_hover(code: str) -> str | None:
    """The rule's documentation as Markdown, headed by its code, name, severity and fix."""
    rule = all_rules().get(code)
    if rule is None:
        return None
    return f"**{rule.code}** `{rule.name}` ({rule.severity.label}; {FIX_KINDS[rule.fix_kind]})\n\n{rule.documentation()}"


def build_server(debounce: float = DEFAULT_DEBOUNCE) -> ArtifactLanguageServer:
    server = ArtifactLanguageServer(debounce)

    @server.feature(types.INITIALIZED)
    def initialized(ls: ArtifactLanguageServer, params: types.InitializedParams) -> None:
        all_rules()  # load the rule modules once, before worker threads lint

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ArtifactLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ArtifactLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ArtifactLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ArtifactLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)  # the file on disk counts again

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_actions(ls: ArtifactLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        path = _path_of(params.text_document.uri)
        root = buffer_artifact(path) if path is not None else None
        if root is None:
            return []
        return [ls.code_action(root, item) for item in ls.findings_at(params.text_document.uri, params.range)
                if item.diagnostic.fix is not None]

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ArtifactLanguageServer, params: types.HoverParams) -> types.Hover | None:
        point = types.Range(params.position, params.position)
        codes = dict.fromkeys(item.diagnostic.code for item in ls.findings_at(params.text_document.uri, point)
                              if item.diagnostic.span is not None)
        sections = [text for text in map(rule_hover, codes) if text]
        if not sections:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value="\n\n---\n\n".join(sections)))

    return server


def serve(debounce: float = DEFAULT_DEBOUNCE) -> None:
    """Run the server on stdin/stdout until the client says exit."""
    build_server(debounce).start_io()
