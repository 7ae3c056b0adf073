"""Run score.py the way the model deployment service does, inside the target interpreter.

Started by artifact-lint's verifier as `python -I -B child.py ARTIFACT_DIR RESULT_FD` with the
configuration as JSON on stdin. Standard library only, and Python 3.8 syntax, because it runs in
whatever interpreter the deployment will use; it never imports artifact_lint. It reports through
the pipe RESULT_FD, one JSON object per line, never through stdout, which score.py prints to.
Every message carries the run's token and a sequence number, and the result echoes a hash of
the payload predict received: the parent believes a "passed" only when the whole sequence
arrived in order and the process then exited cleanly. Isolation is the sandbox's job, not this
script's; the audit hook here only records what score.py tried, for the report.
"""

import hashlib
import importlib.util
import json
import math
import os
import sys
import threading
import time
import traceback

RESULT_FD = int(sys.argv[2]) if len(sys.argv) > 2 else None
ARTIFACT = os.path.realpath(sys.argv[1]) if len(sys.argv) > 1 else ""
SCORE = os.path.join(ARTIFACT, "score.py")
NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

state = {"writes": [], "network": [], "guard_network": True, "writable": [], "token": "", "sequence": 0,
         "sandboxed": False}


def emit(message):
    """One JSON line to the parent (the pipe survives whatever score.py does to stdout)."""
    state["sequence"] += 1
    message = dict(message, token=state["token"], sequence=state["sequence"])
    data = (json.dumps(message, default=repr) + "\n").encode("utf-8")
    while data:
        data = data[os.write(RESULT_FD, data):]


def _is_write(mode, flags):
    if isinstance(mode, str) and any(letter in mode for letter in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & WRITE_FLAGS)


def _inside(path, roots):
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def audit(event, args):
    """Record (and for the network, refuse) what the service would not allow."""
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        path = args[0].decode("utf-8", "replace") if isinstance(args[0], bytes) else args[0]
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else None
        if _is_write(mode, flags):
            full = os.path.realpath(path)
            if not _inside(full, state["writable"]) and len(state["writes"]) < 20:
                state["writes"].append(full)
    elif event in NETWORK_EVENTS:
        target = repr(args[1]) if len(args) > 1 else ""
        if len(state["network"]) < 20:
            state["network"].append(event + " " + target[:200])
        if state["guard_network"]:
            raise PermissionError("network access is disabled while artifact-lint verifies the artifact")


def _score_line(tb):
    """The last line of score.py in a traceback (where the user's code raised)."""
    line = None
    for frame in traceback.extract_tb(tb):
        if os.path.realpath(frame.filename) == SCORE:
            line = frame.lineno
    return line


def _raised_in(tb, function):
    """Whether a score.py frame of `function` is in the traceback (load_model() run by a default argument)."""
    return any(os.path.realpath(frame.filename) == SCORE and frame.name == function
               for frame in traceback.extract_tb(tb))


def _text(value, limit):
    """str() of something score.py made, which may itself raise."""
    try:
        return str(value)[:limit]
    except BaseException:
        return "<%s whose str() raised>" % type(value).__name__


def failure(stage, error, started):
    if stage == "import" and _raised_in(error.__traceback__, "load_model"):
        stage = "load"  # predict(data, model=load_model()) runs load_model while score.py is imported
    emit({
        "event": "result", "ok": False, "stage": stage, "seconds": time.perf_counter() - started,
        "error_type": type(error).__name__, "error": _text(error, 2000), "missing_module": getattr(error, "name", None)
        if isinstance(error, ImportError) else None,
        "line": _score_line(error.__traceback__), "memory": isinstance(error, MemoryError),
        "traceback": _traceback(error),
        "writes": state["writes"], "network": state["network"],
    })


def _traceback(error):
    try:
        return "".join(traceback.format_exception(type(error), error, error.__traceback__))[-4000:]
    except BaseException:
        return ""


def json_problem(value):
    """Why `value` is not strict JSON (no NaN, no non-string keys), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            bad = [key for key in item if not isinstance(key, str)]
            if bad:
                return "a dict key is " + type(bad[0]).__name__ + ", not a string: " + repr(bad[0])[:80]
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, float) and (math.isnan(item) or math.isinf(item)):
            return "the prediction holds " + repr(item) + ", which is not JSON"
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        return str(error)
    return None


def lingering():
    """Threads and processes of score.py still running now that predict has returned."""
    threads = [thread.name for thread in threading.enumerate() if thread is not threading.main_thread()]
    processes = []
    me = os.getpid()
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        pids = []
    for pid in pids:
        if pid in (me, 1):
            continue  # in the sandbox's PID namespace 1 is its init; every other process is score.py's
        try:
            with open("/proc/%d/stat" % pid, "rb") as handle:
                parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (OSError, ValueError, IndexError):
            continue
        if state["sandboxed"] or parent == me:
            processes.append(command[:200] or "pid %d" % pid)
    return {"threads": threads[:20], "processes": processes[:20]}


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(math.ceil(fraction * len(ordered))) - 1))
    return ordered[index]


def main():
    config = json.loads(sys.stdin.read() or "{}")
    state["token"] = config.get("token", "")
    state["sandboxed"] = bool(config.get("sandboxed"))
    state["guard_network"] = config.get("guard_network", True)
    state["writable"] = [os.path.realpath(path) for path in config.get("writable", [])]
    sys.dont_write_bytecode = True
    sys.addaudithook(audit)
    sys.path.insert(0, ARTIFACT)
    timings = {}

    emit({"event": "stage", "stage": "import"})
    started = time.perf_counter()
    try:
        spec = importlib.util.spec_from_file_location("score", SCORE)
        score = importlib.util.module_from_spec(spec)
        sys.modules["score"] = score
        spec.loader.exec_module(score)
    except BaseException as error:  # everything, SystemExit included, is a failed import for the service
        return failure("import", error, started)
    timings["import"] = time.perf_counter() - started

    emit({"event": "stage", "stage": "load"})
    started = time.perf_counter()
    folder = config.get("model_folder")  # a model group's shared artifact gets a member model's folder
    try:
        model = score.load_model(folder) if folder else score.load_model()
    except BaseException as error:
        return failure("load", error, started)
    timings["load"] = time.perf_counter() - started
    if model is None:
        return failure("load", ValueError("load_model() returned None"), started)

    kind = config.get("payload_kind", "none")
    result = {"event": "result", "ok": True, "stage": "done", "timings": timings, "writes": state["writes"],
              "network": state["network"], "predicted": kind != "none", "payload_sha256": None}
    if kind == "none":
        result["lingering"] = lingering()
        return emit(result)
    raw = bytes.fromhex(config["payload_hex"]) if kind == "bytes" else config["payload_json"].encode("utf-8")
    result["payload_sha256"] = hashlib.sha256(raw).hexdigest()
    data = raw if kind == "bytes" else json.loads(raw.decode("utf-8"))
    durations = []
    prediction = None
    for _ in range(max(1, int(config.get("repeat", 1)))):
        emit({"event": "stage", "stage": "predict"})
        started = time.perf_counter()
        try:
            prediction = score.predict(data, model) if folder else score.predict(data)
        except BaseException as error:
            return failure("predict", error, started)
        durations.append(time.perf_counter() - started)
    timings["predict_p50"] = percentile(durations, 0.5)
    timings["predict_p95"] = percentile(durations, 0.95)
    timings["predict_runs"] = len(durations)
    problem = json_problem(prediction)
    result["json_problem"] = problem
    result["prediction_type"] = type(prediction).__module__ + "." + type(prediction).__name__
    if problem is None:
        result["prediction"] = prediction if len(json.dumps(prediction)) < 1000000 else None
    else:
        result["prediction_preview"] = repr(prediction)[:300]
    result["writes"] = state["writes"]
    result["network"] = state["network"]
    result["lingering"] = lingering()
    emit(result)


if __name__ == "__main__":
    try:
        main()
    except MemoryError as error:
        failure("unknown", error, time.perf_counter())
    except BaseException as error:  # a result that cannot be encoded (a __repr__ that raises) is a failure too
        failure("result", error, time.perf_counter())
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(0)  # threads score.py left behind were reported; they must not hold the process
