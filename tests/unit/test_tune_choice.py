"""The tune stage's choice from hand-made grid numbers: the best validation under the run's
mode, ties toward the smaller lr (then weight decay), a failed run listed and never chosen,
and choice.json written whole."""

import json
import re

import pytest

from seqbench.errors import SeqbenchError
from seqbench.launch.choice import GridRun, choose, read_grid_run, setting_name, write_choice


def run(lr, wd, value, mode="max", status="finished", reason=""):
    best = value if status == "finished" else None
    return GridRun(lr, wd, setting_name(lr, wd), status, best, "val/acc" if mode == "max"
                   else "val/loss", mode, reason)  # fmt: skip


def best_by_hand(grid, mode):
    """An independent choice: sort the finished runs by value, then lr, then wd."""
    finished = [g for g in grid if g.best_val is not None]
    sign = -1 if mode == "max" else 1
    return sorted(finished, key=lambda g: (sign * g.best_val, g.lr, g.weight_decay))[0]


@pytest.mark.parametrize("mode", ["max", "min"])
def test_the_best_validation_under_the_mode_is_chosen(mode):
    values = {(1e-4, 0.0): 0.61, (1e-4, 0.1): 0.64, (5e-4, 0.0): 0.72, (5e-4, 0.1): 0.58,
              (1e-3, 0.0): 0.69, (1e-3, 0.1): 0.55}  # fmt: skip
    grid = [run(lr, wd, v, mode) for (lr, wd), v in values.items()]
    chosen, why = choose(grid)
    assert chosen == best_by_hand(grid, mode)
    assert (chosen.lr, chosen.weight_decay) == ((5e-4, 0.0) if mode == "max" else (1e-3, 0.1))
    assert ("highest" if mode == "max" else "lowest") in why


def test_a_tie_goes_to_the_smaller_lr_then_the_smaller_weight_decay():
    grid = [run(1e-3, 0.0, 0.7), run(5e-4, 0.1, 0.7), run(5e-4, 0.0, 0.7), run(1e-4, 0.0, 0.6)]
    chosen, why = choose(grid)
    assert (chosen.lr, chosen.weight_decay) == (5e-4, 0.0)
    assert "tied with 2 more" in why
    assert choose(grid[:2])[0].lr == 5e-4  # the order given does not matter


def test_a_failed_run_is_never_chosen_and_is_listed(tmp_path):
    grid = [run(1e-4, 0.0, 0.5), run(1e-3, 0.0, None, status="failed", reason="loss is nan")]
    chosen, why = choose(grid)
    assert chosen.lr == 1e-4 and "1 failed" in why
    record = write_choice(tmp_path / "choice.json", {"data": "watch"}, grid, chosen, why)
    on_disk = json.loads((tmp_path / "choice.json").read_text())
    assert on_disk == record
    assert on_disk["failed"] == ["lr=0.001,wd=0.0: loss is nan"]
    assert on_disk["chosen"] == {"lr": 1e-4, "weight_decay": 0.0, "best_val": 0.5}
    assert [r["status"] for r in on_disk["runs"]] == ["finished", "failed"]
    assert not list(tmp_path.glob(".*partial"))  # written atomically, nothing left over


def test_no_finished_run_is_refused_with_every_reason():
    grid = [run(1e-4, 0.0, None, status="failed", reason="out of memory")]
    with pytest.raises(SeqbenchError, match=r"no grid run finished.*out of memory"):
        choose(grid)


def test_a_run_that_never_wrote_its_results_reads_as_failed(tmp_path):
    (tmp_path / "grid" / "lr=0.001,wd=0.0").mkdir(parents=True)
    read = read_grid_run(tmp_path, "grid/lr=0.001,wd=0.0", 1e-3, 0.0)
    assert read.best_val is None and read.status == "failed" and "metrics.json" in read.reason
    finished_nan = tmp_path / "grid" / "lr=0.0001,wd=0.0"
    finished_nan.mkdir()
    (finished_nan / "metrics.json").write_text(json.dumps({"status": "finished", "best_val": None}))
    read = read_grid_run(tmp_path, "grid/lr=0.0001,wd=0.0", 1e-4, 0.0)
    assert read.best_val is None and read.status == "failed" and "not a finite" in read.reason


def test_the_folder_name_round_trips_each_value():
    assert setting_name(5e-4, 0) == "lr=0.0005,wd=0.0"
    assert setting_name(1e-5, 0.1) == "lr=1e-05,wd=0.1"


def test_the_shipped_params_tune_section_passes_and_is_off():
    from helpers.cli import ROOT

    from seqbench.launch import params

    shipped = params.load(ROOT / "params.yaml")
    params.check(shipped)
    assert params.tune_cells(shipped) == []  # dvc repro trains no tune cell
    shipped["tune"]["datasets"] = ["watch"]
    cells = params.tune_cells(shipped)
    assert cells == [("watch", m) for m in shipped["tune"]["models"]]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"weight-decay": [-0.1]}, "tune.flags.weight-decay must be a non-empty list of numbers"),
        ({"lr": []}, "tune.flags.lr must be a non-empty list"),
        ({"seeds": [0, 0]}, "tune.flags.seeds repeats a seed"),
        ({"tune-seed": -1}, "tune.flags.tune-seed must be an integer >= 0"),
    ],
)
def test_a_bad_tune_grid_in_params_is_refused(change, says):
    from helpers.cli import ROOT

    from seqbench.errors import ConfigError
    from seqbench.launch import params

    shipped = params.load(ROOT / "params.yaml")
    shipped["tune"]["flags"] |= change
    with pytest.raises(ConfigError, match=re.escape(says)):
        params.check(shipped)
