"""ADS introspection's test_json_output.json shape, so results can go where ADS's went.

One object per artifact with the 11 keys in ADS's order, each with category, description,
error_msg and success (true, false, or null when not checked: the conda pack's existence needs
`--online`). A check fails when an error finding maps to its key. Several artifacts give an
object keyed by artifact path.
"""

from __future__ import annotations

import json
from typing import TextIO

from artifact_lint.diagnostics import Severity
from artifact_lint.engine import ArtifactResult, LintRun

# key -> (category as ADS names it, what the check means)
CHECKS = {
    "score_py": ("Mandatory Files Check", "score.py is at the top of the artifact"),
    "runtime_yaml": ("Mandatory Files Check", "runtime.yaml is at the top of the artifact"),
    "score_syntax": ("score.py", "score.py compiles"),
    "score_load_model": ("score.py", "score.py defines load_model()"),
    "score_predict": ("score.py", "score.py defines predict()"),
    "score_predict_data": ("score.py", "predict()'s first parameter is data"),
    "score_predict_arg": ("score.py", "predict()'s other parameters have defaults"),
    "runtime_version": ("runtime.yaml", "MODEL_ARTIFACT_VERSION is '3.0'"),
    "runtime_env_python": ("conda_env", "INFERENCE_PYTHON_VERSION is a supported Python (3.6 to 3.14)"),
    "runtime_env_path": ("conda_env", "INFERENCE_ENV_PATH is set"),
    "runtime_path_exist": ("conda_env", "the conda pack at INFERENCE_ENV_PATH exists"),
}


def introspection(result: ArtifactResult) -> dict:
    failures: dict[str, list[str]] = {}
    for diagnostic in result.diagnostics:
        if diagnostic.ads_test and diagnostic.severity == Severity.ERROR:
            failures.setdefault(diagnostic.ads_test, []).append(f"{diagnostic.code}: {diagnostic.message}")
    output = {}
    for key, (category, description) in CHECKS.items():
        entry = {"category": category, "description": description}
        if key == "runtime_path_exist" and key not in failures:
            entry.update(error_msg="WARNING: not checked offline; artifact-lint lint --online checks it", success=None)
        else:
            entry.update(error_msg="; ".join(failures.get(key, [])), success=key not in failures)
        output[key] = {"key": key, **entry} if key == "score_py" else entry
    return output


def write_ads(run: LintRun, stream: TextIO) -> None:
    reports = {result.artifact: introspection(result) for result in run.results}
    document = next(iter(reports.values())) if len(reports) == 1 else reports
    json.dump(document, stream, indent=4)
    stream.write("\n")
