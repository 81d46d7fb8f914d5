"""The tune stage and its lesson. Through the CLI with real tiny runs: the grid trains at the
tune seed, choice.json holds the setting with the best validation under the monitor's mode
(recomputed here from the grid runs' own metrics.json), the choice is retrained on every
seed with exactly that lr and weight decay, and the grid runs never count as seeds. With
made-up runs: the lesson's sentences follow the numbers (a changed winner, the same winner,
a changed order that no verdict backs). Bad arguments are one line."""

import json
import math
import os
from pathlib import Path

import pytest
import yaml
from helpers.cli import SMOKE, one_line_error, run_cli

from seqbench.lessons.tuning.measure import tuned
from seqbench.lessons.tuning.section import section
from seqbench.page.formats import number
from seqbench.rundir.run import Run

STEPS = (100, 200, 300, 400)


def _env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def watch_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from seqbench.data import fetch

    raw = tmp_path_factory.mktemp("tune") / "raw"
    fetch.fetch(["watch", "adding"], raw)
    return raw


@pytest.mark.slow
def test_tune_chooses_on_validation_and_retrains_the_choice_on_every_seed(tmp_path, watch_raw):
    runs = tmp_path / "runs" / "tune"
    result = run_cli(
        "seqbench.cli", "tune", str(runs), "--data", "watch", "--model", "gru",
        "--lr", "1e-3", "3e-2", "--weight-decay", "0", "--seeds", "0", "1", "--tune-seed", "0",
        "--",
        *SMOKE, f"paths.raw_dir={watch_raw}", f"paths.root_dir={tmp_path}",
        env=_env(), timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    cell = runs / "watch" / "gru"
    choice = json.loads((cell / "choice.json").read_text())
    grid = {}
    for folder in sorted((cell / "grid").iterdir()):
        metrics = json.loads((folder / "metrics.json").read_text())
        config = yaml.safe_load((folder / ".hydra" / "config.yaml").read_text())
        assert metrics["study"] == "tune-grid" and metrics["seed"] == 0
        assert metrics["monitor"] == "val/acc" and metrics["mode"] == "max"
        grid[(config["optimizer"]["lr"], config["optimizer"]["weight_decay"])] = metrics["best_val"]
    assert set(grid) == {(1e-3, 0.0), (3e-2, 0.0)}
    best = max(grid.values())
    expected = min(lr for (lr, _), v in grid.items() if v == best)  # ties: the smaller lr
    assert choice["chosen"]["lr"] == expected and choice["chosen"]["weight_decay"] == 0.0
    assert choice["chosen"]["best_val"] == best
    assert choice["grid"] == {"lr": [1e-3, 3e-2], "weight_decay": [0.0]}
    assert choice["tune_seed"] == 0 and choice["seeds"] == [0, 1] and choice["failed"] == []
    for seed in (0, 1):
        run = cell / str(seed)
        metrics = json.loads((run / "metrics.json").read_text())
        config = yaml.safe_load((run / ".hydra" / "config.yaml").read_text())
        assert metrics["status"] == "finished" and metrics["study"] == "tuned"
        assert metrics["seed"] == seed
        assert config["optimizer"]["lr"] == expected and config["optimizer"]["weight_decay"] == 0
    assert "note: seed 0 is the tune seed too" in result.stderr

    from seqbench.report.collect import find_runs

    found = find_runs(tmp_path / "runs")
    assert len(found) == 4  # two grid runs, two seeds
    assert not [r for r in found if not r.metrics.get("study")]  # none joins the comparison
    cells = tuned(found)
    assert [r.seed for r in cells["watch"]["gru"].runs] == [0, 1]  # the grid run is no seed
    assert cells["watch"]["gru"].chosen == (expected, 0.0)
    shown = section(found, tmp_path)
    assert shown is not None and shown.figures and "gru" in shown.tables[0].rows[0]
    assert f"lr={expected:g}, weight decay 0" in shown.tables[0].rows[0]
    assert "mathdefault" not in shown.figures[0].svg  # lr ticks written out, not raw TeX
    assert f">{expected:g}<" in shown.figures[0].svg


@pytest.mark.slow
def test_a_loss_is_chosen_lowest_and_a_separate_tune_seed_is_no_comparison_seed(
    tmp_path, watch_raw
):
    runs = tmp_path / "runs"
    result = run_cli(
        "seqbench.cli", "tune", str(runs), "--data", "adding", "--model", "rnn",
        "--lr", "1e-4", "3e-2", "--weight-decay", "0.1", "--seeds", "1", "--tune-seed", "5",
        "--", *SMOKE, f"paths.raw_dir={watch_raw}", f"paths.root_dir={tmp_path}",
        env=_env(), timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    cell = runs / "adding" / "rnn"
    grid = {}
    for folder in (cell / "grid").iterdir():
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["mode"] == "min" and metrics["seed"] == 5
        grid[metrics["best_val"]] = folder.name
    choice = json.loads((cell / "choice.json").read_text())
    assert choice["monitor"].startswith("val/") and choice["mode"] == "min"
    assert choice["chosen"]["best_val"] == min(grid)  # the lowest, by hand
    assert grid[min(grid)] == f"lr={choice['chosen']['lr']!r},wd=0.1"
    assert sorted(p.name for p in cell.iterdir()) == ["1", "choice.json", "grid"]
    assert "tune seed too" not in result.stderr


def _run(path: Path, data: str, model: str, seed: int, value: float, lr: float,
         study: str | None, mode: str = "max") -> Run:  # fmt: skip
    curve = [value - 0.05, value - 0.001, value, value]  # flattened by the end
    return Run(
        path=path / data / model / str(seed),
        metrics={"data": data, "model": model, "seed": seed, "status": "finished",
                 "study": study, "monitor": "val/acc", "mode": mode, "steps": STEPS[-1],
                 "test": {"test/acc": value}},
        curves=[{"step": s, "val/acc": v} for s, v in zip(STEPS, curve, strict=True)],
        config={"optimizer": {"lr": lr, "weight_decay": 0.0}},
    )  # fmt: skip


def _study(tmp_path: Path, shared: dict, tuned_values: dict, seeds: int = 3) -> list[Run]:
    """Runs of the comparison (lr 3e-3) and of the tune stage, with each cell's choice.json."""
    runs = []
    for model, base in shared.items():
        runs += [_run(tmp_path / "runs", "watch", model, s, base + 0.01 * s, 3e-3, None)
                 for s in range(seeds)]  # fmt: skip
    for model, (base, lr) in tuned_values.items():
        cell = tmp_path / "runs" / "tune" / "watch" / model
        cell.mkdir(parents=True, exist_ok=True)
        grid = [{"lr": g, "weight_decay": 0.0, "best_val": base - abs(math.log10(g / lr)) / 10}
                for g in (1e-4, 5e-4, 1e-3)]  # fmt: skip
        (cell / "choice.json").write_text(json.dumps({
            "chosen": {"lr": lr, "weight_decay": 0.0, "best_val": base}, "runs": grid,
            "monitor": "val/acc", "mode": "max", "tune_seed": 7, "seeds": [0, 1, 2],
            "failed": [],
        }))  # fmt: skip
        runs += [_run(tmp_path / "runs" / "tune", "watch", model, s, base + 0.01 * s, lr,
                      "tuned") for s in range(seeds)]  # fmt: skip
    return runs


def test_a_winner_that_changes_with_tuning_is_said_so(tmp_path):
    runs = _study(tmp_path, {"rnn": 0.6, "gru": 0.9}, {"rnn": (0.95, 1e-3), "gru": (0.9, 5e-4)})
    reading = section(runs, tmp_path).reading
    text = " ".join(reading)
    assert "winner changed with tuning, from gru (shared setting) to rnn (tuned)" in text
    assert "Shared-setting order: gru > rnn" in text and "Tuned order" in text
    assert "rnn > gru" in text
    assert "rnn: chose lr=0.001, weight decay 0 (shared: lr=0.003, weight decay 0)" in text
    # 0.95 + 0.01 s over three seeds: mean 0.96 against 0.61 shared
    assert f"{number(0.96 - 0.61)} better" in text
    assert "tune seed" not in text  # seed 7 is none of the comparison's seeds


def test_the_same_winner_under_both_settings_is_said_so(tmp_path):
    runs = _study(tmp_path, {"rnn": 0.6, "gru": 0.9}, {"rnn": (0.7, 1e-3), "gru": (0.92, 5e-4)})
    text = " ".join(section(runs, tmp_path).reading)
    assert "The ranking is the same" in text and "gru wins under both" in text
    assert "winner changed" not in text


def test_a_changed_order_without_a_winner_may_be_noise(tmp_path):
    runs = _study(tmp_path, {"rnn": 0.6, "gru": 0.9}, {"rnn": (0.95, 1e-3), "gru": (0.9, 5e-4)},
                  seeds=1)  # fmt: skip
    text = " ".join(section(runs, tmp_path).reading)
    assert "The ranking changed with tuning" in text and "may be seed-to-seed noise" in text
    assert "single seed" in text  # the report's own reason, unchanged
    assert "winner changed" not in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--lr"], "--lr needs at least one value"),
        (["--weight-decay"], "--weight-decay needs at least one value"),
        (["--lr", "-0.001"], "--lr -0.001: every value must be a finite number > 0"),
        (["--lr", "-1e-3"], "unrecognized arguments: -1e-3 (write a negative number as"),
        (["--lr", "fast"], "--lr 'fast' is not a number"),
        (["--seeds", "0", "0"], "--seeds must be distinct integers"),
        (["--model", "nosuchnet"], "unknown model 'nosuchnet'"),
        (["--data", "nosuchdata"], "unknown dataset 'nosuchdata'"),
        (["--", "optimizer.lr=0.1"], "the tune stage sets optimizer.lr itself"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path, args, says):
    base = {"--data": "watch", "--model": "gru"}
    for flag in ("--data", "--model"):
        if flag in args:
            base[flag] = args[args.index(flag) + 1]
            args = [a for i, a in enumerate(args) if a != flag and args[i - 1] != flag]
    flags = [w for pair in base.items() for w in pair]
    cut = args.index("--") if "--" in args else len(args)
    result = run_cli("seqbench.cli", "tune", str(tmp_path), *flags, *args[:cut], *args[cut:])
    assert result.returncode != 0
    assert says in one_line_error(result)
    assert not any(tmp_path.iterdir())  # nothing trained, nothing written


@pytest.mark.slow
def test_a_stopped_tune_chooses_nothing_and_starts_nothing_more(tmp_path, watch_raw):
    """SIGTERM (a cancelled DVC stage) during the grid: every grid run records itself as
    interrupted, no choice.json is written, no later setting starts, and the exit is 143."""
    import signal
    import subprocess
    import sys
    import time

    runs = tmp_path / "runs"
    cmd = [sys.executable, "-m", "seqbench.cli", "tune", str(runs), "--data", "adding",
           "--model", "gru", "--lr", "1e-3", "1e-2", "--seeds", "0", "--", *SMOKE,
           "budget.max_steps=2000", "budget.val_every=5", f"paths.raw_dir={watch_raw}",
           f"paths.root_dir={tmp_path}"]  # fmt: skip
    log = tmp_path / "tune.log"
    process = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, env=_env())
    grid = runs / "adding" / "gru" / "grid"
    started = [grid / "lr=0.001,wd=0.0", grid / "lr=0.001,wd=0.1"]
    deadline = time.monotonic() + 180  # both training: each has checkpointed once
    while not all((p / "checkpoints" / "last.ckpt").is_file() for p in started):
        assert time.monotonic() < deadline and process.poll() is None, log.read_text()[-3000:]
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 143, log.read_text()[-3000:]
    assert sorted(p.name for p in grid.iterdir()) == ["lr=0.001,wd=0.0", "lr=0.001,wd=0.1"]
    assert all(json.loads((p / "metrics.json").read_text())["status"] == "interrupted"
               for p in started)  # fmt: skip
    assert not (runs / "adding" / "gru" / "choice.json").exists()
