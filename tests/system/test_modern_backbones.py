"""The second-generation backbones in real training runs: truncated BPTT carries each one's
state (a matrix memory, a conv window, a complex vector, a position) between chunks, and a
run stopped and resumed from its last checkpoint ends exactly as one that was not."""

import json
from pathlib import Path

import pytest

from seqbench import config
from seqbench.models import BACKBONES, MODELS
from seqbench.train import train

MODERN = [name for name in BACKBONES if name not in MODELS]
SMALL = {"mamba": ["model.d_state=4"]}  # the scan's (B, T, 2H, d_state) tensors: keep it quick


def run(root: Path, raw_dir: Path, *overrides: str) -> dict:
    """One seqbench-train run in this process; its metrics.json."""
    cfg = config.compose([
        f"paths.root_dir={root}", f"paths.raw_dir={raw_dir}", "logger=csv", "print_config=false",
        "callbacks.progress_bar=null", "budget=smoke", *overrides,
    ])  # fmt: skip
    train(cfg)
    return json.loads((Path(cfg.paths.run_dir) / "metrics.json").read_text())


@pytest.mark.parametrize("model", MODERN)
def test_truncated_bptt_then_resume_matches_a_straight_run(tmp_path, raw_dir, model):
    common = [
        "data=shakespeare",
        "data.seq_len=64",
        "task.tbptt_steps=16",
        f"model={model}",
        "model.hidden_size=16",
        "scheduler=none",
        "budget.val_every=1",
        "budget.val_batches=2",
        "budget.test_batches=2",
        *SMALL.get(model, []),
    ]  # fmt: skip  (val_every counts batches, here 4 chunks of 16 = 4 optimiser steps each)
    straight = run(tmp_path / "straight", raw_dir, *common, "budget.max_steps=8")
    run(tmp_path / "resumed", raw_dir, *common, "budget.max_steps=4")
    resumed = run(tmp_path / "resumed", raw_dir, *common, "budget.max_steps=8", "ckpt_path=last")
    assert straight["status"] == resumed["status"] == "finished"
    assert straight["steps"] == resumed["steps"] == 8  # optimiser steps, four chunks a batch
    assert resumed["val"] and resumed["test"] == straight["test"]
    assert resumed["val"] == straight["val"] and resumed["best_val"] == straight["best_val"]
