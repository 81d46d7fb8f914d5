"""DVC's experiment queue on the real pipeline: `dvc exp run --queue -S ...` for several
parameter sets, `dvc queue start -j 2`, every experiment finished and listed by
`dvc exp show`, in a temporary git clone of this repository at the smoke budget."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.cli import ROOT

MODELS = ("rnn", "gru", "lstm")


def dvc(clone: Path, *args: str, timeout: float = 120) -> str:
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "WANDB_MODE": "offline",
        "OMP_NUM_THREADS": "1",  # two workers on two cores
        "DVC_NO_ANALYTICS": "1",
    }
    result = subprocess.run(
        ["dvc", *args], cwd=clone, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"dvc {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def clone(tmp_path, raw_dir) -> Path:
    """This repository's committed state, cloned, with data/raw restored into DVC's cache."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    for key, value in (("user.email", "ci@example.invalid"), ("user.name", "ci")):
        subprocess.run(["git", "config", key, value], cwd=clone, check=True)
    shutil.copytree(raw_dir, clone / "data" / "raw")
    dvc(clone, "commit", "-f", "-q", "data.dvc")  # the same bytes as data.dvc pins
    dvc(clone, "status", "data.dvc")
    return clone


@pytest.mark.slow
def test_queued_experiments_all_finish_with_two_workers(clone):
    for model in MODELS:
        dvc(clone, "exp", "run", "--queue", "--name", f"smoke-{model}", "train",
            "-S", f"compare.models=[{model}]", "-S", "compare.datasets=[adding]",
            "-S", "compare.budget=smoke")  # fmt: skip
    dvc(clone, "queue", "start", "-j", "2")
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        status = dvc(clone, "queue", "status")
        if not any(state in status for state in ("Queued", "Running")):
            break
        time.sleep(3)
    assert status.count("Success") == len(MODELS), status
    shown = json.loads(dvc(clone, "exp", "show", "--json"))
    experiments = {
        exp["name"]: exp
        for commit in shown
        for group in commit.get("experiments") or []
        for exp in group["revs"]
    }
    assert set(experiments) == {f"smoke-{model}" for model in MODELS}
    for model in MODELS:
        data = experiments[f"smoke-{model}"]["data"]
        files = data["metrics"][f"runs/adding/{model}/0/metrics.json"]["data"]
        assert files["status"] == "finished" and files["steps"] == 20
        assert data["params"]["params.yaml"]["data"]["compare"]["models"] == [model]
    dvc(clone, "queue", "stop")
