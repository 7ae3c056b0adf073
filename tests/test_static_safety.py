"""Static mode never imports, executes or unpickles anything from an artifact."""

from __future__ import annotations

import pickle

from tests.helpers import make_artifact, run_cli


class WritesSentinel:
    """Unpickling this runs open(path, 'w') through __reduce__."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_nothing_from_the_artifact_runs(tmp_path):
    sentinel = tmp_path / "sentinel"
    score = (
        "import pathlib\n"
        f"pathlib.Path({str(sentinel)!r}).write_text('score.py was imported')\n"
        "def load_model():\n"
        f"    pathlib.Path({str(sentinel)!r}).write_text('load_model ran')\n"
        "    return 1\n"
        "def predict(data, model=load_model()):\n"
        "    return data\n"
    )
    runtime = (
        "MODEL_ARTIFACT_VERSION: !!python/object/apply:os.system ['touch " + str(sentinel) + "']\n"
        "MODEL_DEPLOYMENT: !!python/object/apply:builtins.open ['" + str(sentinel) + "', 'w']\n"
    )
    files = {
        "score.py": score,
        "runtime.yaml": runtime,
        "model.pkl": pickle.dumps(WritesSentinel(str(sentinel))),
        "helpers.py": f"open({str(sentinel)!r}, 'w')\n",
        "sitecustomize.py": f"open({str(sentinel)!r}, 'w')\n",
        "evil.pth": f"import os; open({str(sentinel)!r}, 'w')\n",
    }
    path = make_artifact(tmp_path, files)
    for fmt in ("text", "json"):
        result = run_cli("lint", "--format", fmt, str(path), cwd=path)
        assert result.returncode == 1, result.stderr
    zipped = make_artifact(tmp_path, files, container="zip")
    assert run_cli("lint", str(zipped)).returncode == 1
    assert not sentinel.exists()
    # The unpickling really would have written it: the test can fail.
    pickle.loads(files["model.pkl"]).close()
    assert sentinel.exists()


def test_secrets_are_reported_but_never_printed(tmp_path):
    from rules._samples import SCORE_PY, artifact

    key = "AKIA" + "7QZ2XK4M9TB3HW6N"  # random-looking: placeholders (AKIAxxxx, hf_xxxx) are not secrets
    token = "hf_" + "kQzTbWmXvNcRyLpJdHsGfAeUoIiPlKjHgF"
    files = artifact({"score.py": SCORE_PY + f"\nAWS_KEY = '{key}'\n", ".env": f"HF_TOKEN={token}\n"})
    path = make_artifact(tmp_path, files)
    for fmt in ("text", "json"):
        result = run_cli("lint", "--format", fmt, "--select", "SEC001", str(path))
        assert result.returncode == 1
        assert result.stdout.count(b"SEC001") >= 2
        assert key.encode() not in result.stdout and token.encode() not in result.stdout


AUDIT_PROBE = """
import sys
events = []
watched = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "pickle.find_class")
artifact = sys.argv[1]

def hook(event, args):
    if event.startswith(watched):
        events.append(event)
    elif event == "import" and len(args) > 1 and args[1] and str(args[1]).startswith(artifact):
        events.append("import " + str(args[1]))
    elif event == "exec" and args and getattr(args[0], "co_filename", "").startswith(artifact):
        events.append("exec " + args[0].co_filename)

sys.addaudithook(hook)
from artifact_lint.cli import cli
try:
    cli.main(["lint", artifact, "--format", "json", "--jobs", "1"], standalone_mode=False)
except SystemExit:
    pass
print("EVENTS:" + repr(events), file=sys.stderr)
"""


def test_no_process_import_or_unpickling_happens(tmp_path):
    """Audit hooks prove it: no process started, nothing imported or run from the artifact, no pickle class looked up."""
    import subprocess
    import sys

    files = {
        "score.py": "import os\nos.system('touch /tmp/never')\n" + artifact_source(),
        "helpers.py": "import os\nos.system('touch /tmp/never')\n",
        "evil.pth": "import os; os.system('touch /tmp/never')\n",
        "model.pkl": pickle.dumps(WritesSentinel(str(tmp_path / "never"))),
        "runtime.yaml": "MODEL_ARTIFACT_VERSION: !!python/object/apply:os.system ['touch /tmp/never']\n",
    }
    path = make_artifact(tmp_path, files)
    result = subprocess.run([sys.executable, "-c", AUDIT_PROBE, str(path)], capture_output=True, text=True, timeout=120)
    assert "EVENTS:[]" in result.stderr, result.stderr[-2000:]


def artifact_source() -> str:
    from rules._samples import SCORE_PY

    return SCORE_PY
