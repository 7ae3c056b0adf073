"""PKG00x: what .model-ignore really drops when ADS zips the artifact (simulated exactly)."""

from __future__ import annotations

from artifact_lint.artifact import RUNTIME_YAML, SCORE_PY
from artifact_lint.diagnostics import Applicability, Edit, Fix, Severity, Span
from artifact_lint.documents import TextDocument
from artifact_lint.parsers.model_formats import model_candidates
from artifact_lint.model_ignore import IgnorePattern, matches_ancestor
from artifact_lint.registry import Case, Rule
from artifact_lint.rules._samples import SCORE_PY as GOOD_SCORE
from artifact_lint.rules._samples import artifact
from artifact_lint.rules._upload import Upload, upload_of
from artifact_lint.rules.score_imports import local_module_files

# Our own stand-in for the .model-ignore ADS writes: the same kinds of patterns.
TYPICAL_IGNORE = (
    "# build leftovers\n__pycache__/\n*.py[cod]\nbuild/\ndist/\n.eggs/\nlib/\nvar/\n*.egg-info/\n.env\nvenv/\nlogs/\n"
    "*.log\n.DS_Store\n"
)
HELPER_SCORE = GOOD_SCORE.replace("import joblib\n", "import joblib\nimport library\n")


def _pattern_span(pattern: IgnorePattern) -> Span:
    return Span.of(pattern.line, 1, pattern.line, len(pattern.written) + 1)


def _delete_pattern(upload: Upload, pattern: IgnorePattern) -> Fix:
    """Unsafe: whatever else the pattern dropped will be uploaded too."""
    span = TextDocument(upload.ignore_path, upload.ignore_text).line_span(pattern.line)
    return Fix(f"Remove the pattern {pattern.text!r}", Applicability.UNSAFE, (Edit(upload.ignore_path, span, ""),))


def _required_files(ctx) -> dict[str, str]:
    """Container path -> why the deployment needs it."""
    artifact = ctx.artifact
    needed = {}
    for name in (SCORE_PY, RUNTIME_YAML):
        located = ctx.documents.locate(name)
        if located:
            needed[located] = "the service needs it"
    for relative, kind in model_candidates(artifact).items():
        container = artifact.member(relative) if relative != "." else artifact.root
        members = [p for p, e in artifact.entries.items() if e.kind != "dir"
                   and (p == container or p.startswith(container + "/" if container else ""))]
        for member in members[:1] if kind.kind in ("spark", "huggingface") else members:
            needed.setdefault(member, f"it is {kind.label}")
    for module in local_module_files(ctx):
        needed.setdefault(module, "score.py imports it")
    return needed


class IgnoreDropsRequiredFile(Rule):
    """.model-ignore drops score.py, runtime.yaml, the model or a helper score.py imports.

    ## What it does
    Applies .model-ignore exactly as ADS does when it zips a folder (absolute paths, `*` across
    folders, a trailing `/` turned into `*`) and reports required files it leaves out: score.py,
    runtime.yaml, model files and folders, and local modules score.py imports.

    ## Why it matters
    The folder looks complete, yet the uploaded zip is not: `lib/` drops `library.py`, `var/`
    drops a TensorFlow `variables/` folder, and an artifact under `/var/folders/...` (macOS
    temp) loses every file to the pattern `var/`.

    ## Example
    `lib/` in .model-ignore and `import library` in score.py.

    ## Fix
    Make the pattern precise (`/lib/` is not possible in ADS's syntax: name the files instead,
    e.g. `lib/*.so`), or rename the file or folder.
    """

    code, name, severity = "PKG001", "ignore-drops-required-file", Severity.ERROR
    fix_kind, default_path = "U", ".model-ignore"
    valid = [Case(artifact({".model-ignore": TYPICAL_IGNORE})),
             Case(artifact({".model-ignore": TYPICAL_IGNORE, "score.py": HELPER_SCORE, "library.py": "X = 1\n"}),
                  container="zip")]
    invalid = [
        Case(artifact({".model-ignore": TYPICAL_IGNORE, "score.py": HELPER_SCORE, "library.py": "X = 1\n"}),
             expect=[(7, 1)], fixed={".model-ignore": TYPICAL_IGNORE.replace("lib/\n", "")}),
        Case(artifact({".model-ignore": "*.joblib\n"}), expect=[(1, 1)]),
    ]

    def check(self, ctx):
        upload = upload_of(ctx)
        if not upload.dropped:
            return
        for pattern in upload.patterns:
            ancestor = matches_ancestor(pattern, str(ctx.artifact.path))
            if ancestor is not None:
                yield self.diagnostic(upload.ignore_path, _pattern_span(pattern),
                                      f"pattern {pattern.text!r} matches the artifact folder's own path ({ancestor}), "
                                      f"so ADS would upload none of its files", fix=_delete_pattern(upload, pattern))
                return
        for path, reason in sorted(_required_files(ctx).items()):
            pattern = upload.dropped.get(path) or _dropped_parent(upload, path)
            if pattern is not None:
                yield self.diagnostic(upload.ignore_path, _pattern_span(pattern),
                                      f"pattern {pattern.text!r} drops {path}, but {reason}; ADS would zip the artifact "
                                      f"without it", fix=_delete_pattern(upload, pattern))


def _dropped_parent(upload: Upload, path: str) -> IgnorePattern | None:
    parts = path.split("/")
    for index in range(len(parts) - 1, 0, -1):
        pattern = upload.dropped.get("/".join(parts[:index]))
        if pattern is not None and pattern.folder_pattern:
            return pattern
    return None


class SurprisingIgnorePattern(Rule):
    """A .model-ignore pattern does something it likely should not, or uses syntax ADS takes literally.

    ## What it does
    Reports patterns that drop files whose names only start like the pattern (`var/` dropping
    `variables/`, `lib/` dropping `libsvm.txt`), patterns that match a folder above the
    artifact, a folder pattern without a slash (`.venv` drops the folder entry but uploads its
    files), and syntax ADS does not understand: `!negation`, `**`, a leading `/`, and indented
    comments. ADS's own default file, in an ordinary artifact, is quiet. (Windows line endings
    are fine: ADS reads the file in text mode, which turns them into plain newlines.)

    ## Why it matters
    .model-ignore looks like .gitignore but is matched with fnmatch against absolute paths; the
    difference silently changes what is uploaded.

    ## Example
    `var/` in an artifact holding a TensorFlow SavedModel (`variables/variables.index`).

    ## Fix
    Name exactly what to drop. Safe fix for an indented comment: start it at the line's beginning.
    """

    code, name, severity = "PKG002", "surprising-ignore-pattern", Severity.WARNING
    fix_kind, default_path = "S", ".model-ignore"
    valid = [Case(artifact({".model-ignore": TYPICAL_IGNORE})),
             Case(artifact({".model-ignore": TYPICAL_IGNORE.replace("\n", "\r\n")}))]
    invalid = [
        Case(artifact({".model-ignore": TYPICAL_IGNORE, "variables/variables.index": b"\0"}), expect=[(8, 1)]),
        Case(artifact({".model-ignore": "!keep.txt\n/build\n**/tmp\n  # note\n"}), expect=[(1, 1), (2, 1), (3, 1), (4, 1)],
             fixed={".model-ignore": "!keep.txt\n/build\n**/tmp\n# note\n"}),
        Case(artifact({".model-ignore": ".venv\n", ".venv/lib/site.py": "x = 1\n"}), expect=[(1, 1)]),
    ]

    def check(self, ctx):
        upload = upload_of(ctx)
        if upload.ignore_path is None:
            return
        for pattern in upload.patterns:
            message = self._syntax(pattern) or self._surprise(ctx, upload, pattern)
            if message:
                yield self.diagnostic(upload.ignore_path, _pattern_span(pattern), message, fix=self._fix(upload, pattern))

    @staticmethod
    def _fix(upload: Upload, pattern: IgnorePattern) -> Fix | None:
        """An indented comment becomes a comment; nothing else here is mechanical."""
        if not pattern.written.lstrip().startswith("#"):
            return None
        indent = len(pattern.written) - len(pattern.written.lstrip())
        edit = Edit(upload.ignore_path, Span.of(pattern.line, 1, pattern.line, indent + 1), "")
        return Fix("Start the comment at the beginning of the line", Applicability.SAFE, (edit,))

    @staticmethod
    def _syntax(pattern: IgnorePattern) -> str | None:
        text = pattern.text
        if pattern.written.lstrip().startswith("#"):
            return f"{text!r} is not a comment to ADS (only lines starting with # are); it is matched as a pattern"
        if text.startswith("!"):
            return f"{text!r}: ADS has no negation; the ! is matched literally"
        if text.startswith("/"):
            return f"{text!r}: a leading / makes the pattern match nothing (ADS prefixes every pattern with /)"
        if "**" in text:
            return f"{text!r}: ** has no special meaning to ADS (a single * already crosses folders)"
        return None

    @staticmethod
    def _surprise(ctx, upload: Upload, pattern: IgnorePattern) -> str | None:
        ancestor = matches_ancestor(pattern, str(ctx.artifact.path))
        if ancestor is not None:
            return f"{pattern.text!r} matches the artifact folder's own path ({ancestor}): every file is dropped"
        dropped = sorted(p for p, used in upload.dropped.items() if used is pattern)
        stem = pattern.text.rstrip("/*")
        if pattern.folder_pattern and stem and "/" not in stem and "*" not in stem:
            wider = [p for p in dropped if stem not in p.split("/")]
            if wider:
                return (f"{pattern.text!r} also drops {wider[0]}" + (f" and {len(wider) - 1} more" if len(wider) > 1 else "")
                        + f": ADS turns the trailing / into *, so it drops every path containing '/{stem}'")
        if not pattern.folder_pattern:
            folders = [p for p in dropped if ctx.artifact.entries[p].kind == "dir"]
            kept_inside = [p for f in folders for p in ctx.artifact.entries if p.startswith(f + "/") and upload.kept(p)]
            if kept_inside:
                return (f"{pattern.text!r} drops the folder entry {folders[0]} but not its files ({kept_inside[0]} is "
                        f"uploaded); write {pattern.text}/ to drop the folder")
        return None
