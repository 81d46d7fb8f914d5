"""`seqbench-together` stopped by a signal (a cancelled DVC stage, CI job or SLURM job): every
run stops at a step, records itself as interrupted and exits before the command does; each
resumes with ckpt_path=last. A run killed outright is reported at once, the others go on."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# long enough that a signal after the first checkpoints finds both runs training
RUN = (
    "data=adding",
    "model=gru",
    "budget=smoke",
    "budget.max_steps=40",
    "budget.val_every=5",
    "budget.val_batches=2",
    "budget.test_batches=2",
    "logger=csv",
    "print_config=false",
    "callbacks.progress_bar=null",
)
SEEDS = ("seed=0", "seed=1")
MAX_STEPS = 40


def together(root: Path, raw_dir: Path, *overrides: str) -> list[str]:
    common = (f"paths.root_dir={root}", f"paths.raw_dir={raw_dir}", *RUN, *overrides)
    return [sys.executable, "-m", "seqbench.launch.together", *SEEDS, "--", *common]


def run_dir(root: Path, seed: int) -> Path:
    return root / "outputs" / "adding" / "gru" / str(seed)


def results(root: Path, seed: int) -> dict:
    return json.loads((run_dir(root, seed) / "metrics.json").read_text())


def children(pid: int) -> list[int]:
    """The processes `pid` started (its runs), from /proc."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent has not reaped it yet


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.05)


def foreground() -> None:
    """SIGINT and SIGHUP at their defaults, as a terminal's foreground command has them,
    whatever this test runs under (a CI job's background shell ignores SIGINT, `nohup`
    SIGHUP)."""
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def start(cmd: list[str], log: Path) -> subprocess.Popen:
    """As a shell starts a foreground command: its signals at their defaults, its own process
    group (the terminal's group: a Ctrl-C reaches every process in it)."""
    return subprocess.Popen(
        cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, process_group=0, preexec_fn=foreground
    )


def checkpointed(root: Path) -> Callable[[], bool]:
    return lambda: all((run_dir(root, s) / "checkpoints" / "last.ckpt").exists() for s in (0, 1))


@pytest.mark.slow
def test_TG01_sigterm_stops_every_run_which_records_it_and_resumes(tmp_path, raw_dir):
    """Also a run killed outright (SIGKILL, as the OOM killer sends): reported at once while
    the other goes on, and resumable from its last checkpoint like the interrupted one."""
    log = tmp_path / "together.log"
    process = start(together(tmp_path, raw_dir), log)
    wait_for(checkpointed(tmp_path), 180, "checkpoint of both runs")
    first, second = runs = children(process.pid)
    os.kill(second, signal.SIGKILL)
    wait_for(lambda: "--- seed=1 (killed by SIGKILL)" in log.read_text(), 10, "report")
    assert process.poll() is None and alive(first)  # the other run goes on
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 143, log.read_text()[-3000:]
    assert not any(alive(pid) for pid in runs)  # none left behind to write on its own
    out = results(tmp_path, 0)
    assert out["status"] == "interrupted" and out["reason"] == "resume with ckpt_path=last"
    text = log.read_text()
    assert "error: interrupted by SIGTERM at step" in text  # the first run's own line
    assert "--- seed=1 (exit 137):" in text  # and how the other ended

    again = subprocess.run(
        together(tmp_path, raw_dir, "ckpt_path=last"), capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr[-3000:]
    for seed in (0, 1):
        out = results(tmp_path, seed)
        assert out["status"] == "finished" and out["steps"] == MAX_STEPS, out


@pytest.mark.slow
def test_TG01_ctrl_c_on_the_terminal_reaches_each_run_once(tmp_path, raw_dir):
    """The terminal sends SIGINT to its foreground group: seqbench-together alone (the runs
    have groups of their own), which forwards it once; each run records the interruption."""
    log = tmp_path / "together.log"
    process = start(together(tmp_path, raw_dir), log)
    wait_for(checkpointed(tmp_path), 180, "checkpoint of both runs")
    runs = children(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=120) == 130, log.read_text()[-3000:]
    assert not any(alive(pid) for pid in runs)
    assert [results(tmp_path, s)["status"] for s in (0, 1)] == ["interrupted"] * 2
    assert "--- seed=1 (exit 130): error: interrupted by SIGINT at step" in log.read_text()
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)]
)
def test_TG01_a_signal_as_the_runs_start_stops_them_and_leaves_each_folder_usable(
    tmp_path, raw_dir, signum, code
):
    """Stopped the moment both runs exist (Python, Hydra, Lightning still starting): nothing
    is left running, and no run goes on to finish. Each folder is left in one of the two
    states the same command handles: no checkpoint (a retry starts afresh) or, if the run
    had reached its first steps (a loaded machine delays the signal: CI once saw a run reach
    its first validation), an interrupted run whose last checkpoint resumes it."""
    log = tmp_path / "together.log"
    process = start(together(tmp_path, raw_dir), log)
    wait_for(lambda: len(children(process.pid)) == 2, 30, "both runs started")
    runs = children(process.pid)
    process.send_signal(signum)
    assert process.wait(timeout=60) == code, log.read_text()[-3000:]
    assert not any(alive(pid) for pid in runs)
    for seed in (0, 1):
        folder = run_dir(tmp_path, seed)
        recorded = results(tmp_path, seed) if (folder / "metrics.json").exists() else None
        if list(folder.glob("checkpoints/*.ckpt")):
            assert recorded is not None and recorded["status"] == "interrupted", recorded
            assert (folder / "checkpoints" / "last.ckpt").is_file()
        elif recorded is not None:
            assert recorded["status"] in ("interrupted", "failed"), recorded


def test_seqbench_together_is_seqbench_together(tmp_path, raw_dir):
    """`seqbench together` (the command table's entry) runs the same runs as the console
    script: both seeds trained side by side, each finished in its own folder."""
    common = (f"paths.root_dir={tmp_path}", f"paths.raw_dir={raw_dir}", *RUN[:3])
    common += ("budget.max_steps=4", "budget.val_every=2", *RUN[5:])
    cmd = [sys.executable, "-m", "seqbench.cli", "together", *SEEDS, "--", *common]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    for seed in (0, 1):
        out = results(tmp_path, seed)
        assert out["status"] == "finished" and out["steps"] == 4 and out["seed"] == seed, out
