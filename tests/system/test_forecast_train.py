"""Every backbone trains on the forecasting task (airline, sktime's bundled CSV), and its
metrics.json carries the per-horizon MSE and the baselines on the same test windows."""

import json
from pathlib import Path

import pytest
import torch

from seqbench import config
from seqbench.data import fetch
from seqbench.lessons.forecast.section import forecast_section
from seqbench.models import BACKBONES
from seqbench.rundir.run import Run
from seqbench.tasks.checkpoint import load_task
from seqbench.train import train

SMALL = {"mamba": ["model.d_state=4"]}


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("forecast") / "data" / "forecast"
    fetch.fetch(["airline"], raw)
    return raw


def run(root: Path, raw_dir: Path, model: str, *more: str) -> dict:
    cfg = config.compose([
        f"paths.root_dir={root}", f"paths.raw_dir={raw_dir}", "logger=csv", "print_config=false",
        "callbacks.progress_bar=null", "budget=smoke", "budget.max_steps=4", "budget.val_every=2",
        "budget.test_batches=1.0", "experiment=forecast", "data=airline", f"model={model}",
        "model.hidden_size=16", *SMALL.get(model, []), *more,
    ])  # fmt: skip
    train(cfg)
    return json.loads((Path(cfg.paths.run_dir) / "metrics.json").read_text())


@pytest.mark.parametrize("model", list(BACKBONES))
def test_every_backbone_forecasts(tmp_path, series_dir, model):
    metrics = run(tmp_path, series_dir, model)
    assert metrics["status"] == "finished", metrics.get("reason")
    assert metrics["monitor"] == "val/mse" and metrics["study"] == "forecast"
    extra = metrics["test_extra"]
    per_step = extra["mse_by_horizon"]
    assert len(per_step) == 6 == extra["horizon"]
    # one channel, every window scored at every step: the overall MSE is the steps' mean
    assert sum(per_step) / 6 == pytest.approx(metrics["test"]["test/mse"], rel=1e-5)
    assert set(extra["baselines"]) == {"last_value", "seasonal_naive", "linear"}
    assert extra["test_windows"] == extra["baseline_windows"] == 24 - 18 + 1


def test_the_lesson_reads_the_runs_and_names_no_winner_from_one_seed(tmp_path, series_dir):
    runs = []
    for model in ("gru", "lru"):
        metrics = run(tmp_path / model, series_dir, model)
        runs.append(Run(tmp_path / model, metrics))
    section = forecast_section(runs)
    assert section is not None and section.key == "forecast"
    rows = [row[0] for row in section.tables[0].rows]
    assert rows[:2] == ["gru", "lru"] and "baseline: seasonal naive" in rows
    reading = " ".join(section.reading)
    assert "gru and lru finished fewer than 3 seeds" in reading
    assert "lowest test MSE" not in reading and "beats" not in reading
    assert section.figures[0].svg.startswith("<svg")


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru", "transformer", "mingru", "lru"])
def test_the_autoregressive_task_trains_and_rolls_out_through_step(tmp_path, series_dir, model):
    metrics = run(tmp_path, series_dir, model, "task=forecast_autoregressive")
    assert metrics["status"] == "finished", metrics.get("reason")
    assert len(metrics["test_extra"]["mse_by_horizon"]) == 6
    task = load_task(Path(tmp_path) / "outputs" / "forecast" / "airline" / model / "0"
                     / "checkpoints" / "best.ckpt")  # fmt: skip
    torch.manual_seed(0)
    x = torch.randn(3, 12, 1)
    with torch.no_grad():
        rolled = task.rollout(x)
        # independently: the whole model re-run on the growing sequence, one value at a time
        sequence = x
        for _ in range(6):
            outputs, _ = task(sequence)
            sequence = torch.cat([sequence, outputs[:, -1:]], dim=1)
    torch.testing.assert_close(rolled, sequence[:, 12:], atol=1e-4, rtol=1e-4)
