"""The supervisor and the run's cgroup, each on its own: the limits hold whichever enforces them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from artifact_lint.verifier.cgroups import TreeCgroup
from artifact_lint.verifier.supervisor import TAIL_BYTES, Limits, Supervisor

HOG = "import time\nx = b'x' * (300 << 20)\ntime.sleep(30)\n"


def supervise(code: str, limits: Limits, preexec_fn=None):
    read_end, write_end = os.pipe()
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, pass_fds=(write_end,), start_new_session=True,
                               preexec_fn=preexec_fn)
    os.close(write_end)
    return Supervisor(process, read_end, limits, lambda line: None).run(b"{}")


def limits(memory_mb: int = 200, processes: int = 16, cgroup=None) -> Limits:
    return Limits(memory_mb << 20, processes, load_seconds=20, predict_seconds=20, predict_calls=1, cgroup=cgroup)


def test_sampling_kills_a_tree_over_the_memory_limit():
    observation = supervise(HOG, limits(memory_mb=200))
    assert observation.killed_for == "memory" and observation.peak_memory > 200 << 20
    assert observation.returncode == -9


def test_sampling_kills_a_tree_with_too_many_processes():
    spawner = "import subprocess, time\nkids = [subprocess.Popen(['sleep', '30']) for _ in range(20)]\ntime.sleep(30)"
    observation = supervise(spawner, limits(processes=8))
    assert observation.killed_for == "processes" and observation.peak_processes > 8


def test_a_silent_spinning_child_is_stopped_at_the_deadline():
    observation = supervise("import os\nos.closerange(0, 4096)\nwhile True:\n    pass\n",
                            Limits(1 << 30, 16, load_seconds=1.5, predict_seconds=1, predict_calls=1))
    assert observation.killed_for == "timeout" and observation.returncode == -9


def test_output_is_a_bounded_tail_with_a_count():
    observation = supervise("import sys\nsys.stdout.write('z' * (20 << 20))\nprint('END')", limits(memory_mb=2048))
    assert observation.stdout.total == (20 << 20) + 4 and len(observation.stdout.data) <= 2 * TAIL_BYTES
    assert observation.stdout.lines()[-1].endswith("END")


@pytest.fixture
def cgroup():
    group = TreeCgroup(f"artifact-lint-test-{os.getpid()}", 200 << 20, 8)
    if not group.create():
        pytest.skip("no cgroup can be created here: the supervisor's sampling is the limit")
    yield group
    group.remove()
    assert all(not folder.exists() for folder in group.folders.values())


def test_the_kernel_enforces_the_cgroup_memory_limit(cgroup):
    observation = supervise(HOG, limits(memory_mb=8192, cgroup=cgroup), preexec_fn=cgroup.join)
    assert "memory" in cgroup.enforced and cgroup.out_of_memory()
    assert observation.killed_for == "memory"


def test_the_kernel_refuses_forks_past_the_cgroup_process_limit(cgroup):
    if "pids" not in cgroup.enforced:
        pytest.skip("the pids controller is not writable here")
    spawner = ("import subprocess, sys\ntry:\n    kids = [subprocess.Popen(['sleep', '5']) for _ in range(20)]\n"
               "except OSError as error:\n    sys.exit(3)\n")
    observation = supervise(spawner, limits(processes=10_000, cgroup=cgroup), preexec_fn=cgroup.join)
    assert cgroup.fork_refused() and observation.killed_for == "processes"
