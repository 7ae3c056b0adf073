"""Rules: the base class, registration, and selection by code, prefix or name.

A rule is one class in one of the `artifact_lint.rules` modules. It carries its
code, name, severity, documentation (the docstring) and its own valid/invalid
example artifacts, which the test suite runs; see tests/test_rule_cases.py.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar, NamedTuple

from artifact_lint.diagnostics import Diagnostic, Fix, Severity, Span

CODE_PATTERN = re.compile(r"^[A-Z]{3}\d{3}$")
FIX_KINDS = {"S": "safe fix", "U": "unsafe fix", "G": "generator", "-": "no fix"}

# Expected finding in an invalid case: (line, column) in the rule's usual file,
# (path, line, column) in another one, or (path, None) for a whole-file finding.
Expectation = tuple


class SparseFile(NamedTuple):
    """A large file of zeros in a rule case, written sparse by the tests (and never built in memory)."""

    size: int


class SymlinkTo(NamedTuple):
    """A symbolic link in a rule case (folders only), pointing at `target` as written."""

    target: str


class Case(NamedTuple):
    """A whole artifact (file name -> text or bytes) and, for invalid cases, the spans expected.

    The {} defaults are shared: the tests only read a case's config and fixed files.
    """

    files: dict
    expect: tuple = ()
    runtime: str = "conda"
    config: dict = {}
    container: str = "directory"  # or "zip": the test packs `files` into a zip
    # Files as `artifact-lint fix --unsafe-fixes --select <this rule>` must leave them.
    fixed: dict = {}
    note: str = ""


class lazy_cases:  # noqa: N801 (reads as a declaration: `valid = lazy_cases(lambda: [...])`)
    """A rule's `valid` or `invalid` list, built the first time it is read and then kept on the class.

    For cases whose files cost something to make (hashes, rendered manifests): tests read them,
    a lint never does, so they are not built on every start.
    """

    def __init__(self, build: Callable[[], list[Case]]):
        self._build = build

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance, owner: type) -> list[Case]:
        cases = self._build()
        setattr(owner, self._name, cases)
        return cases


class Rule:
    """Base class; subclasses set the class attributes and implement `check`."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR
    fix_kind: ClassVar[str] = "-"
    ads_test: ClassVar[str | None] = None
    # The file most findings are about; cases' (line, column) expectations refer to it.
    default_path: ClassVar[str] = ""
    # Rules that only make sense for conda deployments (skipped with --runtime container).
    conda_only: ClassVar[bool] = False
    # "main" rules see the artifact; "post" rules see the outcome of suppressions too.
    phase: ClassVar[str] = "main"
    # One cause, one finding: codes whose findings make this rule's redundant, anywhere in the
    # artifact ("artifact") or on the same line of the same file ("line"); see engine.drop_superseded.
    yields_to: ClassVar[tuple[str, ...]] = ()
    yields_on: ClassVar[str] = "artifact"
    valid: ClassVar[list[Case]] = []
    invalid: ClassVar[list[Case]] = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.code:
            register(cls)

    def check(self, ctx) -> Iterable[Diagnostic]:
        """Findings for one artifact; `ctx` is the engine's LintContext (not imported here: the engine imports us)."""
        raise NotImplementedError

    def diagnostic(
        self,
        path: str,
        span: Span | None,
        message: str,
        *,
        severity: Severity | None = None,
        fix: Fix | None = None,
        ads_test: str | None = None,
        excerpt: bool = True,
    ) -> Diagnostic:
        return Diagnostic(
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            path=path,
            span=span,
            ads_test=ads_test or self.ads_test,
            fix=fix,
            excerpt=excerpt,
        )

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """First line of the docstring: what the rule checks, in one sentence."""
        return cls.documentation().split("\n", 1)[0].strip()


_REGISTRY: dict[str, type[Rule]] = {}
_LOADED = False


class RegistryError(Exception):
    pass


def register(rule: type[Rule]) -> None:
    if not CODE_PATTERN.match(rule.code):
        raise RegistryError(f"{rule.__name__}: code {rule.code!r} is not three capitals and three digits")
    existing = _REGISTRY.get(rule.code)
    if existing is not None and existing.__qualname__ != rule.__qualname__:
        raise RegistryError(f"code {rule.code} is used by both {existing.__name__} and {rule.__name__}")
    _REGISTRY[rule.code] = rule
    _PHASES.clear()
    if _SORTED:  # re-sort in place: callers keep the dict all_rules() returned, and it must stay whole
        ordered = sorted(_REGISTRY.items())
        _SORTED.clear()
        _SORTED.update(ordered)


_SORTED: dict[str, type[Rule]] = {}


def all_rules() -> dict[str, type[Rule]]:
    """Every registered rule by code (sorted, built once), importing the rule modules on first use."""
    global _LOADED
    if not _LOADED:
        from artifact_lint.rules import RULE_MODULES

        for module in RULE_MODULES:
            importlib.import_module(f"artifact_lint.rules.{module}")
        _LOADED = True
    if not _SORTED:
        _SORTED.update(sorted(_REGISTRY.items()))
    return _SORTED


def rule_by_name_or_code(text: str) -> type[Rule] | None:
    rules = all_rules()
    wanted = text.strip()
    if wanted.upper() in rules:
        return rules[wanted.upper()]
    return next((rule for rule in rules.values() if rule.name == wanted.lower()), None)


class SelectorError(ValueError):
    pass


def expand_selector(token: str) -> set[str]:
    """Codes matched by one selector: ALL, a code, a code prefix (RTY, RTY1) or a rule name."""
    rules = all_rules()
    text = token.strip()
    if not text:
        return set()
    if text.upper() == "ALL":
        return set(rules)
    upper = text.upper()
    if re.fullmatch(r"[A-Z]{3}\d{0,3}", upper):
        matched = {code for code in rules if code.startswith(upper)}
        if matched:
            return matched
    named = {code for code, rule in rules.items() if rule.name == text.lower()}
    if named:
        return named
    raise SelectorError(f"unknown rule selector {token!r}: use a code (RTY107), a prefix (RTY) or a name")


def split_selectors(values: Iterable[str]) -> list[str]:
    """Accept both repeated options and comma-separated lists."""
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def resolve_selection(select: list[str] | None, ignore: list[str], extend_select: list[str]) -> set[str]:
    """ruff's semantics: `select` replaces the default (ALL), `extend-select` adds, `ignore` removes."""
    codes = set(all_rules()) if select is None else _union(select)
    codes |= _union(extend_select)
    codes -= _union(ignore)
    return codes


def _union(tokens: Iterable[str]) -> set[str]:
    codes: set[str] = set()
    for token in tokens:
        codes |= expand_selector(token)
    return codes


# (selected codes, phase) -> that phase's rule classes in code order; every artifact of a run shares
# one selection, so it is sorted and filtered once instead of once per artifact and phase.
_PHASES: dict[tuple[frozenset, str], tuple[type[Rule], ...]] = {}


def iter_rules(codes: Iterable[str], phase: str) -> Iterator[Rule]:
    key = (frozenset(codes), phase)
    classes = _PHASES.get(key)
    if classes is None:
        rules = all_rules()
        classes = _PHASES[key] = tuple(rules[code] for code in sorted(key[0]) if code in rules
                                       and rules[code].phase == phase)
    for rule in classes:
        yield rule()
