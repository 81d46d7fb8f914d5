"""Running seqbench as a user does, and reading its one-line errors."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMOKE = (  # a training run of seconds: 4 steps, 2 batches to validate and test, CSV logs
    "budget=smoke",
    "budget.max_steps=4",
    "budget.val_every=2",
    "budget.val_batches=2",
    "budget.test_batches=2",
    "logger=csv",
    "print_config=false",
    "callbacks.progress_bar=null",
)


def run_cli(*args: str, env: dict | None = None, timeout: float = 120, cwd: Path = ROOT):
    """Run a console command as a user would; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=cwd,
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The single `error:` line a user sees; fails if there is a traceback or several lines."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]
