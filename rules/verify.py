"""VRF: what running score.py showed (only with `verify` or `lint --verify`)."""

from __future__ import annotations

import json

from artifact_lint.diagnostics import Severity, Span
from artifact_lint.registry import Case, Rule, SparseFile, SymlinkTo
from artifact_lint.rules._python_facts import distribution_of
from artifact_lint.rules._samples import artifact

SERVICE_PREDICT_SECONDS = 60
PAYLOAD_LIMIT = 10 * 1024 * 1024
MAX_LISTED = 10
ENDINGS_WITH_THEIR_OWN_RULE = ("timeout", "memory", "incomplete", "tampered", "processes_exceeded", "copy_refused",
                               "sandbox_required")
VERIFY_FAST = {"verify": {"timeout": 20, "load-timeout": 60}}

PLAIN_SCORE = '''\
import os


def load_model():
    with open(os.path.join(os.path.dirname(os.path.realpath(__file__)), "model.txt")) as handle:
        return {"scale": float(handle.read())}


def predict(data, model=load_model()):
    return {"prediction": [value * model["scale"] for value in data["x"]]}
'''
SCHEMA = json.dumps({"schema": [{"dtype": "float64", "feature_type": "Continuous", "name": "x", "required": True,
                                 "description": "x", "order": 0,
                                 "domain": {"values": "Continuous", "stats": {"sample minimum": 1.0, "median": 2.0,
                                                                              "sample maximum": 3.0},
                                            "constraints": []}}], "version": "1.1"})


def case(score: str, **extra) -> Case:
    files = artifact({"score.py": score, "model.txt": "2.0", "input_schema.json": SCHEMA, "model.joblib": None})
    return Case(files, config={**VERIFY_FAST, **extra.pop("config", {})}, **extra)


class VerifyRule(Rule):
    """A rule about the outcome of running the artifact."""

    phase, default_path = "verify", "score.py"

    def check(self, ctx):
        outcome = ctx.verification
        if outcome is not None:
            yield from self.check_outcome(ctx, outcome.result, outcome)

    def check_outcome(self, ctx, result: dict, outcome):
        raise NotImplementedError

    def failed_here(self, result: dict, stages: tuple[str, ...]) -> bool:
        """score.py itself raised in one of `stages` (not a kill, a refusal or an incomplete run: their own rules)."""
        return not result.get("ok") and result.get("stage") in stages and not any(
            result.get(flag) for flag in ENDINGS_WITH_THEIR_OWN_RULE)

    def report(self, ctx, result: dict, outcome, message: str, **kwargs):
        line = result.get("line")
        span = Span.of(line, 1, line, len(ctx.documents.score.line(line)) + 1) \
            if line and ctx.documents.score is not None else None
        tail = [text for text in outcome.stderr_tail if text.strip()][-3:]
        if tail and not result.get("ok"):
            message += " | stderr: " + " / ".join(tail)
        return self.diagnostic(ctx.artifact.member("score.py"), span, message, **kwargs)


def _error(result: dict) -> str:
    return f"{result.get('error_type')}: {result.get('error')}"


class ImportFailed(VerifyRule):
    """Importing score.py failed in the target interpreter.

    ## What it does
    Imports score.py from a copy of the artifact, in the interpreter given with `--python`
    (the conda pack's), from an empty working directory, and reports the exception, the
    score.py line that raised, and for a missing module the package to install.

    ## Why it matters
    The service imports score.py first; any exception there, a missing package most often,
    fails the deployment. Static checks cannot see what the pack really holds.

    ## Example
    `ModuleNotFoundError: No module named 'lightgbm'` with a pack that lacks LightGBM.

    ## Fix
    Install the package in the conda pack (or choose a pack that has it), or fix the line.
    """

    code, name, severity = "VRF001", "import-failed", Severity.ERROR
    valid = [case(PLAIN_SCORE)]
    invalid = [case("import not_a_module_anyone_has\n" + PLAIN_SCORE, expect=[(1, 1)])]

    def check_outcome(self, ctx, result, outcome):
        if not self.failed_here(result, ("import", "start")):
            return
        module = result.get("missing_module")
        if module:
            package = distribution_of(module) or module.split(".")[0]
            message = f"importing score.py failed: no module named {module!r}; install {package} in the conda pack"
        else:
            message = f"importing score.py failed: {_error(result)}"
        yield self.report(ctx, result, outcome, message)


class LoadModelFailed(VerifyRule):
    """load_model() raised or returned None.

    ## What it does
    Calls `load_model()` with no arguments, as the server does, and reports the exception with
    the score.py line that raised, or a None result.

    ## Why it matters
    The deployment fails at start-up. A model read relative to the working directory, a file
    missing from the artifact, or an unpickling error all end here.

    ## Example
    `FileNotFoundError: model.joblib` because load_model opens it relative to the working directory.

    ## Fix
    Load the model relative to `__file__` and return it.
    """

    code, name, severity = "VRF002", "load-model-failed", Severity.ERROR
    valid = [case(PLAIN_SCORE)]
    invalid = [case(PLAIN_SCORE.replace('os.path.join(os.path.dirname(os.path.realpath(__file__)), "model.txt")',
                                        '"model.txt"'), expect=[(5, 1)])]

    def check_outcome(self, ctx, result, outcome):
        if self.failed_here(result, ("load",)):
            yield self.report(ctx, result, outcome, f"load_model() failed: {_error(result)}")


class PredictFailed(VerifyRule):
    """predict(data) raised.

    ## What it does
    Calls `predict(data)` with the payload (`--input`, `--input-bytes`, or rows synthesised from
    input_schema.json) and reports the exception with the score.py line that raised.

    ## Why it matters
    Every request with such a body fails with HTTP 500.

    ## Example
    `KeyError: 'x'` when score.py expects a column the clients do not send.

    ## Fix
    Accept the payload clients send (see the message), or fix the line.
    """

    code, name, severity = "VRF003", "predict-failed", Severity.ERROR
    valid = [case(PLAIN_SCORE)]
    invalid = [case(PLAIN_SCORE.replace('data["x"]', 'data["y"]'), expect=[(10, 1)])]

    def check_outcome(self, ctx, result, outcome):
        if self.failed_here(result, ("predict",)):
            yield self.report(ctx, result, outcome, f"predict(data) failed: {_error(result)}")


class PredictionNotJson(VerifyRule):
    """The prediction is not strict JSON.

    ## What it does
    Serialises predict's result with `json.dumps(..., allow_nan=False)` and rejects dict keys
    that are not strings.

    ## Why it matters
    The server's JSON response fails (numpy arrays, numpy scalars, sets, DataFrames), or
    produces JSON other clients reject (NaN), or turns keys into strings behind your back.

    ## Example
    `return {"prediction": model.predict(frame)}` returns an ndarray.

    ## Fix
    Convert with `.tolist()`, `.item()` or `.to_dict()`, and replace NaN with None.
    """

    code, name, severity = "VRF004", "prediction-not-json", Severity.ERROR
    valid = [case(PLAIN_SCORE)]
    invalid = [case(PLAIN_SCORE.replace('return {"prediction": [', 'return {"prediction": {').replace(
        'data["x"]]}', 'data["x"]}}'), expect=[("score.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        if result.get("ok") and result.get("json_problem"):
            yield self.report(ctx, result, outcome, f"predict returned {result.get('prediction_type')} that is not "
                                                    f"strict JSON: {result['json_problem']}")


def _expected_columns(ctx) -> list[dict] | None:
    path = ctx.artifact.member("output_schema.json")
    document = ctx.documents.json(path) if path in ctx.artifact.entries else None
    if document is None or document.root is None:
        return None
    try:
        return list(document.root.to_python()["schema"])
    except (KeyError, TypeError):
        return None


def _kind_matches(dtype: str, value) -> bool:
    lowered = dtype.lower()
    if lowered.startswith(("float", "int", "uint")):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if lowered.startswith("bool"):
        return isinstance(value, bool)
    return True


class PredictionSchemaMismatch(VerifyRule):
    """The prediction does not match output_schema.json.

    ## What it does
    Compares the values under `prediction` with output_schema.json: one column (or as many as
    the schema lists per row), with values of the schema's dtype kind (numbers, booleans).

    ## Why it matters
    Clients and monitoring built from the schema misread a prediction of another shape or type
    (class names where numbers were promised, probabilities where labels were).

    ## Example
    output_schema.json says `int64` and predict returns `["setosa", ...]`.

    ## Fix
    Return what the schema says, or regenerate the schema from real predictions.
    """

    code, name, severity = "VRF005", "prediction-schema-mismatch", Severity.WARNING
    valid = [case(PLAIN_SCORE)]
    invalid = [
        Case({**case(PLAIN_SCORE).files, "output_schema.json": json.dumps({"schema": [
            {"dtype": "bool", "feature_type": "Boolean", "name": "p", "required": True, "description": "p", "order": 0,
             "domain": {"values": "Boolean", "stats": {}, "constraints": []}}], "version": "1.1"})},
             config=VERIFY_FAST, expect=[("score.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        prediction = result.get("prediction")
        columns = _expected_columns(ctx)
        if not result.get("ok") or columns is None or not isinstance(prediction, dict) or "prediction" not in prediction:
            return
        values = prediction["prediction"]
        values = values if isinstance(values, list) else [values]
        rows = [row if isinstance(row, list) else [row] for row in values]
        widths = {len(row) for row in rows}
        if widths and widths != {len(columns)}:
            yield self.report(ctx, result, outcome, f"predictions have {sorted(widths)} value(s) per row; "
                                                    f"output_schema.json lists {len(columns)} column(s)")
            return
        for index, column in enumerate(columns):
            wrong = next((row[index] for row in rows if not _kind_matches(str(column.get("dtype", "")), row[index])),
                         None)
            if wrong is not None:
                yield self.report(ctx, result, outcome, f"prediction value {wrong!r} does not fit column "
                                                        f"{column.get('name')!r} of dtype {column.get('dtype')}")
                return


class TooSlow(VerifyRule):
    """Loading or predicting timed out, or predict is slower than the service's 60 s limit.

    ## What it does
    Times import + load_model (`--load-timeout`) and each predict call (`--timeout`, 60 s by
    default as on the service) and stops the run at the limit; a predict that finishes but
    takes over 60 s is reported too.

    ## Why it matters
    The service ends a predict call after 60 s with an error; an endless loop in load_model
    keeps the deployment from ever becoming active.

    ## Example
    A `while True:` waiting for a file that never appears.

    ## Fix
    Make predict faster (batch less, load once in load_model), or move the work offline.
    """

    code, name, severity = "VRF006", "too-slow", Severity.ERROR
    valid = [case(PLAIN_SCORE)]
    invalid = [case(PLAIN_SCORE.replace("def predict(data, model=load_model()):\n",
                                        "def predict(data, model=load_model()):\n    while True:\n        pass\n"),
                    config={"verify": {"timeout": 2, "load-timeout": 60}}, expect=[("score.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        if result.get("timeout"):
            yield self.report(ctx, result, outcome, f"{result.get('error')}; the run was stopped")
        elif result.get("ok") and (result.get("timings") or {}).get("predict_p95", 0) > SERVICE_PREDICT_SECONDS:
            yield self.report(ctx, result, outcome, f"predict takes {result['timings']['predict_p95']:.0f} s, over the "
                                                    f"service's {SERVICE_PREDICT_SECONDS} s limit per request")


class MemoryExceeded(VerifyRule):
    """The run exceeded the memory limit.

    ## What it does
    Runs under an address-space limit (`--memory`, in MB: set it to the deployment shape's
    memory) and reports a MemoryError or a kill.

    ## Why it matters
    A model that does not fit the shape's memory crashes the deployment, or every large request.

    ## Example
    A model that materialises a 10 GB array in load_model on a 8 GB shape.

    ## Fix
    Use a larger shape, or load less (memory-map arrays, smaller batches).
    """

    code, name, severity = "VRF007", "memory-exceeded", Severity.ERROR
    valid = [case(PLAIN_SCORE)]
    invalid = [case(PLAIN_SCORE.replace('return {"scale": float(handle.read())}',
                                        'return {"scale": float(handle.read()), "ballast": bytearray(600 * 2 ** 20)}'),
                    config={"verify": {"memory": 400, "timeout": 20}}, expect=[(6, 1)])]

    def check_outcome(self, ctx, result, outcome):
        if result.get("memory") and not result.get("ok"):
            limit = ctx.verify_options.memory_mb if ctx.verify_options else "the"
            yield self.report(ctx, result, outcome, f"the run exceeded the {limit} MB memory limit during "
                                                    f"{result.get('stage')}: {_error(result)}")


class SandboxEscape(VerifyRule):
    """score.py wrote outside its writable place, or tried to use the network.

    ## What it does
    Watches the run with Python's audit hooks: file writes outside the temporary HOME and
    TMPDIR (the deployment's writable place is /home/datascience), and socket connections and
    name lookups (refused during verification).

    ## Why it matters
    The deployment's file system is read-only outside /home/datascience, and deployments often
    have no internet egress: both work locally and fail in the service.

    ## Example
    `open("predictions.log", "a")` in predict, or a download in load_model.

    ## Fix
    Write under /home/datascience; ship what you download in the artifact.
    """

    code, name, severity = "VRF008", "sandbox-escape", Severity.WARNING
    valid = [case(PLAIN_SCORE)]
    invalid = [case("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
                    "except OSError:\n    pass\n" + PLAIN_SCORE, expect=[("score.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        for path in result.get("writes") or []:
            yield self.report(ctx, result, outcome, f"score.py wrote {path}, outside the writable place; in a "
                                                    f"deployment only /home/datascience is writable")
        attempts = result.get("network") or []
        if attempts:
            yield self.report(ctx, result, outcome, f"score.py used the network ({attempts[0]}"
                                                    f"{' and more' if len(attempts) > 1 else ''}); deployments often "
                                                    f"have no internet egress")


class PayloadTooLarge(VerifyRule):
    """The payload is larger than the service's 10 MB request limit.

    ## What it does
    Measures the request body sent to predict (`--input` / `--input-bytes`).

    ## Why it matters
    The service rejects bodies over 10 MB before score.py sees them: clients must batch smaller.

    ## Example
    A 50 MB CSV turned into one JSON request.

    ## Fix
    Split requests, or use batch jobs for large inputs.
    """

    code, name, severity = "VRF009", "payload-too-large", Severity.WARNING
    valid = [case(PLAIN_SCORE)]
    invalid = [Case({**case(PLAIN_SCORE).files, "request.bin": SparseFile(PAYLOAD_LIMIT + 1)},
                    config={"verify": {"timeout": 20, "input-bytes": "request.bin"}}, expect=[("score.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        options = ctx.verify_options
        if options is not None and len(options.payload) > PAYLOAD_LIMIT:
            yield self.diagnostic(ctx.artifact.member("score.py"), None,
                                  f"the request body is {len(options.payload) / 1e6:.1f} MB, over the service's 10 MB "
                                  f"limit: the service would refuse it")


class RunIncomplete(VerifyRule):
    """The run ended before every stage was reported complete, or its report cannot be believed.

    ## What it does
    A run passes only when the harness reported import, load_model() and every predict call in
    order, with the run's token, echoing the payload it was sent, and the interpreter then
    exited with status 0. An exit or a signal before that (`os._exit`, `sys.exit` in a thread,
    a segfault in a native library), a result that could not be encoded, or a message that did
    not come from the harness (score.py writing a forged "passed" to its channel) is reported
    with the stage reached and how the process ended.

    ## Why it matters
    The service's server process dies the same way, and a deployment that dies is not one that
    passed: a verifier that calls such a run "passed" is worse than none. (score.py shares its
    interpreter with the harness, so code built to impersonate the harness from inside can still
    forge a pass; the sandbox contains it regardless.)

    ## Example
    `os._exit(0)` at the end of load_model, or a C extension that segfaults in predict.

    ## Fix
    Remove the exit; for a crash in a native library, match its version to the one the model was
    built with.
    """

    code, name, severity = "VRF010", "run-incomplete", Severity.ERROR
    valid = [case(PLAIN_SCORE)]
    invalid = [case(PLAIN_SCORE.replace("def predict(data, model=load_model()):\n",
                                        "def predict(data, model=load_model()):\n    os._exit(0)\n"),
                    expect=[("score.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        if result.get("incomplete") or result.get("tampered"):
            yield self.report(ctx, result, outcome, f"the run did not complete: {result.get('error')} (stage "
                                                    f"reached: {result.get('stage')}; the interpreter "
                                                    f"{result.get('ended') or 'ended'})")


class WeakIsolation(VerifyRule):
    """score.py ran without a sandbox ("isolation: process only"), or was not run because one was required.

    ## What it does
    The verifier runs score.py inside bubblewrap (`bwrap`): new mount, PID, network, IPC and UTS
    namespaces, the host read-only, a private /home/datascience and /tmp, no network, nothing
    outliving the run. Where bwrap is missing or cannot create namespaces (macOS, locked-down
    containers), or `sandbox = "none"` is set, the run is only a separate process: this warning
    says so. With `--require-sandbox` (or `require-sandbox = true`) nothing runs without the
    sandbox and this is an error.

    ## Why it matters
    Verifying an artifact runs its code. Without the sandbox, a downloaded artifact's score.py
    can read your files (OCI keys in ~/.oci), write anywhere you can, and reach the network.

    ## Example
    `artifact-lint verify` on a Mac, or in a container without user namespaces.

    ## Fix
    Install bubblewrap (`apt install bubblewrap`, `dnf install bubblewrap`); in a container,
    allow user namespaces or run the verifier on a Linux host. Verify untrusted artifacts only
    with `--require-sandbox`.
    """

    code, name, severity = "VRF011", "weak-isolation", Severity.WARNING
    valid = [case(PLAIN_SCORE)]
    invalid = [case(PLAIN_SCORE, config={"verify": {"sandbox": "none", "timeout": 20}}, expect=[("score.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        if result.get("sandbox_required"):
            yield self.diagnostic(ctx.artifact.member("score.py"), None, result.get("error"), severity=Severity.ERROR)
        elif outcome.isolation.get("level") == "process only":
            why = "sandbox = \"none\" is set" if outcome.isolation.get("sandbox") == "none" else \
                "bubblewrap (bwrap) is not available or cannot create namespaces here"
            yield self.diagnostic(ctx.artifact.member("score.py"), None,
                                  f"isolation: process only ({why}); score.py could read and write your files and "
                                  f"use the network. Install bubblewrap, or pass --require-sandbox for untrusted "
                                  f"artifacts")


class CopyIncomplete(VerifyRule):
    """Part of the artifact was not copied into the sandbox, or the artifact could not be copied at all.

    ## What it does
    The sandbox runs a private copy made within the static checks' limits: links that leave the
    artifact (or loop, or dangle) are not followed, FIFOs and devices are not copied, zip members
    that escape, are symlinks or expand past their declared size are not extracted, and a copy
    that would pass the 400 GB catalog limit, the entry limit or the free disk space is refused
    (an error: nothing was run).

    ## Why it matters
    The service gets what the upload holds: a link to a file on your machine is not there, so a
    run that followed it would pass here and fail there.

    ## Example
    `model.joblib -> /home/me/models/model.joblib`.

    ## Fix
    Copy the file into the artifact instead of linking to it.
    """

    code, name, severity = "VRF012", "copy-incomplete", Severity.WARNING
    valid = [case(PLAIN_SCORE)]
    invalid = [Case({**case(PLAIN_SCORE).files, "helper.py": SymlinkTo("/etc/hostname")}, config=VERIFY_FAST,
                    expect=[("helper.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        if result.get("copy_refused"):
            yield self.diagnostic(ctx.artifact.member("score.py"), None, result.get("error"), severity=Severity.ERROR)
        for skipped in outcome.copy_skipped[:MAX_LISTED]:
            path, _, why = skipped.partition(": ")
            yield self.diagnostic(path, None, f"{path} was left out of the sandbox's copy: {why}")


class StillRunning(VerifyRule):
    """A thread or process of score.py was still running after predict returned.

    ## What it does
    After the last predict call the harness lists the threads and processes left running
    (a background thread started in load_model, a `subprocess.Popen` never waited for, a
    daemon that double-forked).

    ## Why it matters
    On the service they keep running between requests, holding memory and CPU the shape
    needs; work done in them after predict returns is work the client never sees.

    ## Example
    `threading.Thread(target=warm_up).start()` in load_model, where warm_up loops forever.

    ## Fix
    Join threads and wait for processes before returning, or do the work inside predict.
    """

    code, name, severity = "VRF013", "still-running", Severity.WARNING
    valid = [case(PLAIN_SCORE)]
    invalid = [case("import threading\nimport time\nthreading.Thread(target=time.sleep, args=(60,), name='warmer', "
                    "daemon=True).start()\n" + PLAIN_SCORE, expect=[("score.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        lingering = result.get("lingering") or {}
        threads, processes = lingering.get("threads") or [], lingering.get("processes") or []
        if result.get("ok") and (threads or processes):
            parts = ([f"{len(threads)} thread(s) ({', '.join(threads[:3])})"] if threads else []) + \
                    ([f"{len(processes)} process(es) ({'; '.join(processes[:3])})"] if processes else [])
            yield self.report(ctx, result, outcome, f"still running after predict returned: {' and '.join(parts)}")


class TooManyProcesses(VerifyRule):
    """score.py started more processes than the limit, and the run was stopped.

    ## What it does
    Counts every process of the run's tree (the sandbox's two included) while it runs and kills
    the tree past `processes` (64 by default, `[tool.artifact-lint.verify] processes`).

    ## Why it matters
    A process per request, or a pool started on every call, exhausts the deployment's process
    and memory limits under load; a fork bomb takes the instance down.

    ## Example
    `multiprocessing.Pool(200)` in load_model.

    ## Fix
    Use a small, fixed pool created once, or none.
    """

    code, name, severity = "VRF014", "too-many-processes", Severity.ERROR
    valid = [case(PLAIN_SCORE)]
    invalid = [case("import subprocess\nchildren = [subprocess.Popen(['sleep', '30']) for _ in range(12)]\n"
                    + PLAIN_SCORE, config={"verify": {"processes": 8, "timeout": 20, "load-timeout": 60}},
                    expect=[("score.py", None)])]

    def check_outcome(self, ctx, result, outcome):
        if result.get("processes_exceeded"):
            yield self.report(ctx, result, outcome, f"the run was stopped during {result.get('stage')}: "
                                                    f"{result.get('error')}")
