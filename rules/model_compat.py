"""MDL007: old models in new packs: library versions and pickled classes the target environment cannot have.

The target is the declared Python (what releases exist for it, from PyPI), the known service
pack's library versions, and the versions the config pins (or `--pack DIR` reads). Nothing is
loaded: the facts are the versions a model records and the globals its pickles name.
"""

from __future__ import annotations

from artifact_lint.diagnostics import Severity
from artifact_lint.library_support import (
    NOT_PORTABLE,
    library_of_module,
    oldest_supporting,
    release_supports,
    removed_global,
    version_key,
)
from artifact_lint.registry import Case, Rule
from artifact_lint.rules._models import model_files, recorded_versions
from artifact_lint.rules._runtime import declared_python_minor
from artifact_lint.rules._samples import artifact
from artifact_lint.rules.model_files import _declaring
from artifact_lint.rules.service_packs import BASE, known_pack


def _sklearn_pickle(module: str, name: str, version: str) -> bytes:
    """A protocol-4 pickle of `module.name` whose state records `_sklearn_version` (built by hand)."""
    def text(value: str) -> bytes:
        return b"\x8c" + bytes([len(value)]) + value.encode() + b"\x94"

    return (b"\x80\x04" + text(module) + text(name) + b"\x93\x94)\x81\x94}\x94(" + text("_sklearn_version")
            + text(version) + b"u" + b"b.")


def _on_python(minor: int, model: bytes) -> dict:
    return artifact({"model.joblib": model, **_declaring(minor)})


def _minor_release(version: str) -> tuple[int, ...] | None:
    key = version_key(version)
    return key[:2] if key else None


class ModelVersionIncompatible(Rule):
    """A model was written by a library version the target environment cannot have.

    ## What it does
    For each version a model records (scikit-learn's `_sklearn_version`, XGBoost's JSON
    version) and each class its pickle names, compares with the target: the declared Python
    (the oldest release of the library with a wheel for it, from PyPI), the known service
    pack's versions, and `library-versions` from the config or `--pack DIR`'s conda-meta.
    A version no release for that Python can have, or a scikit-learn major.minor other than
    the pack's, is a warning; a pickled class the target version no longer has (tables read
    from the libraries' own releases) is an error.

    ## Why it matters
    The most common failure of real artifacts: a model pickled years ago no longer loads, or
    loads and fails in predict, in a current pack. scikit-learn documents that pickles are only
    supported by the version that wrote them.

    ## Example
    A RandomForestClassifier pickled with scikit-learn 0.21 (`sklearn.ensemble.forest`) in a
    Python 3.12 pack, whose scikit-learn is at least 1.3.

    ## Fix
    Re-train or re-save the model with the pack's versions (load it in the old environment and
    export it to a portable format such as ONNX or the library's own JSON), or publish a conda
    pack with the versions that wrote it. `artifact-lint verify --env auto` shows the failure.
    """

    code, name, severity = "MDL007", "model-version-incompatible", Severity.WARNING
    default_path = "model.joblib"
    valid = [Case(artifact()),
             Case(_on_python(11, _sklearn_pickle("sklearn.ensemble._forest", "RandomForestClassifier", "1.3.2")))]
    invalid = [
        Case(_on_python(12, _sklearn_pickle("sklearn.ensemble._forest", "RandomForestClassifier", "0.23.2")),
             expect=[("model.joblib", None)]),
        Case(_on_python(12, _sklearn_pickle("sklearn.ensemble.forest", "RandomForestClassifier", "0.21.3")),
             expect=[("model.joblib", None)]),
        Case({**BASE, "model.joblib": _sklearn_pickle("sklearn.ensemble._forest", "RandomForestClassifier", "1.3.2")},
             expect=[("model.joblib", None)], note="the Base pack has scikit-learn 1.5.1"),
    ]

    def check(self, ctx):
        minor = declared_python_minor(ctx)
        pack = known_pack(ctx)
        pins = {name.lower(): version for name, version in ctx.config.library_versions.items()}
        for model in model_files(ctx):
            gone_for = set()
            for _, scan in model.scans:
                for module, name in scan.globals:
                    library = library_of_module(module)
                    if library is None or library in gone_for:
                        continue
                    target, why = self._target(library, minor, pack, pins)
                    gone = removed_global(module, name, target) if target else None
                    if gone is not None:
                        gone_for.add(library)
                        yield self.diagnostic(model.path, None,
                                              f"{model.path} pickles {module}.{name}, which {library} no longer has "
                                              f"(last in {gone['last_with']}, gone in {gone['first_without']}); {why}: "
                                              f"load_model() will fail", severity=Severity.ERROR)
            for library, recorded in sorted(recorded_versions(model).items()):
                if library in gone_for or version_key(recorded) is None:
                    continue
                message = self._version_problem(library, recorded, minor, pack, pins)
                if message:
                    yield self.diagnostic(model.path, None, f"{model.path} was written with {library} {recorded}; "
                                                            f"{message}")

    @staticmethod
    def _target(library: str, minor: int | None, pack, pins: dict) -> tuple[str | None, str]:
        """The lowest version of `library` the target can have, and why."""
        if library in pins:
            return pins[library], f"the configured {library} is {pins[library]}"
        if pack is not None and library in pack.libraries:
            return pack.libraries[library], f"{pack.slug} has {library} {pack.libraries[library]}"
        oldest = oldest_supporting(library, minor) if minor is not None else None
        if oldest:
            return oldest, f"every {library} for Python 3.{minor} is {oldest} or newer"
        return None, ""

    @staticmethod
    def _version_problem(library: str, recorded: str, minor: int | None, pack, pins: dict) -> str | None:
        portable = f" ({NOT_PORTABLE[library]})" if library in NOT_PORTABLE else ""
        if minor is not None and release_supports(library, recorded, minor) is False:
            return (f"no release that old runs on Python 3.{minor} (the oldest is "
                    f"{oldest_supporting(library, minor)}), so the pack's {library} differs{portable}")
        if library in pins:
            return None  # MDL006 compares with the configured versions
        known = pack.libraries.get(library) if pack is not None else None
        if known and library in NOT_PORTABLE and _minor_release(known) != _minor_release(recorded):
            return f"{pack.slug} has {library} {known} ({pack.source('libraries')}){portable}"
        return None
