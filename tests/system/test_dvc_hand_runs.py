"""Runs trained by hand and the DVC pipeline never share a folder (finding X02): a refused
`dvc exp run` in a clone holding hand-trained runs leaves every one of them byte for byte,
with real git and DVC. DVC itself leaves `-S` values in params.yaml when a stage fails
(docs/pipeline.md says so); `dvc exp run --temp` leaves the workspace as it was."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.refusals import FINISHED, digest
from test_dvc_queue import clone  # noqa: F401 (the fixture: a clone with data/raw cached)

from seqbench import config

CELLS = (("adding", "lstm"), ("shakespeare", "rnn"), ("watch", "gru"))  # cells DVC trains


def hand_run_dir(data: str, model: str) -> str:
    """Where `seqbench-train data=D model=M` puts its run when given no folder."""
    return config.compose([f"data={data}", f"model={model}"]).paths.run_dir


def refused_experiment(clone, *args: str) -> subprocess.CompletedProcess:
    """`dvc exp run ARGS -S compare.budget=bogus`, which the pipeline's check stage refuses."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["dvc", "exp", "run", *args, "-S", "compare.budget=bogus"],
        cwd=clone,
        env=os.environ | {"PATH": path, "DVC_NO_ANALYTICS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_refused_experiment_leaves_hand_trained_runs_as_they_were(clone, project):
    for data, model in CELLS:  # a finished run where seqbench-train puts it by default
        shutil.copytree(project / FINISHED, clone / hand_run_dir(data, model))
    before = digest(clone / "outputs")
    assert sum(name.endswith(".ckpt") for name in before) == 2 * len(CELLS)
    params = (clone / "params.yaml").read_text()

    refused = refused_experiment(clone)
    assert refused.returncode != 0 and "compare.budget: unknown 'bogus'" in refused.stderr
    assert digest(clone / "outputs") == before
    # DVC wrote -S into params.yaml before any stage ran and leaves it there (docs/pipeline.md
    # says so, with the command that restores it)
    assert "budget: bogus" in (clone / "params.yaml").read_text()
    subprocess.run(["git", "checkout", "params.yaml"], cwd=clone, check=True)

    in_a_copy = refused_experiment(clone, "--temp")
    assert in_a_copy.returncode != 0 and "compare.budget: unknown 'bogus'" in in_a_copy.stderr
    assert (clone / "params.yaml").read_text() == params
    assert digest(clone / "outputs") == before
