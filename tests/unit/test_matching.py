"""Two ways to match models (issue 23): equal parameters, or equal state (floats carried per
sequence over its length). The state solver checked against the state formulas written here
from each cell's definition; the mode refused in one line when misset; recorded per run and
named on the report."""

import functools
import json

import pytest
from helpers.cli import SMOKE, one_line_error, run_cli

from seqbench.config.memory import hidden_size_for_state
from seqbench.models import BACKBONES


def solve(name: str, budget: int, positions: int, multiple: int = 2, **options) -> int:
    build = functools.partial(BACKBONES[name], 8, num_layers=2, **options)
    return hidden_size_for_state(
        lambda h: build(hidden_size=h), budget, positions, multiple=multiple
    )


@pytest.mark.parametrize(
    ("name", "carried"),
    [("rnn", 1), ("gru", 1), ("lstm", 2)],  # h per layer; the LSTM's c as well
)
def test_classic_cells_get_the_largest_size_within_the_state(name, carried):
    hidden = solve(name, 1000, positions=50)
    assert carried * 2 * hidden <= 1000 < carried * 2 * (hidden + 2)


def test_attention_pays_for_every_position_it_keeps():
    """Keys and values at every layer and position: 2 * layers * H * T floats."""
    hidden = solve("transformer", 4096, positions=100, multiple=4, num_heads=4)
    assert hidden == 8  # 2 * 2 * 8 * 100 = 3200 <= 4096 < 2 * 2 * 12 * 100
    assert solve("transformer", 4096, positions=10, multiple=4, num_heads=4) == 100


def test_a_state_that_does_not_grow_or_cannot_fit_is_refused():
    with pytest.raises(ValueError, match="does not grow with hidden_size"):
        solve("lru", 1000, positions=10, state_dim=16)
    with pytest.raises(ValueError, match="over the state budget of 10"):
        solve("lstm", 10, positions=10)


@pytest.mark.slow
def test_a_state_matched_run_records_its_match_and_the_report_names_it(tmp_path, raw_dir):
    for model in ("lstm", "mamba"):
        argv = ["seqbench.train", f"model={model}", "data=adding", *SMOKE]
        argv += ["task.match=state", "task.state_budget=2000", f"paths.raw_dir={raw_dir}"]
        trained = run_cli(*argv, f"paths.root_dir={tmp_path}", timeout=600)
        assert trained.returncode == 0, trained.stderr[-3000:]
        metrics = json.loads((tmp_path / "outputs/adding" / model / "0/metrics.json").read_text())
        assert metrics["match"] == "state" and metrics["state_budget"] == 2000
        assert 1000 < metrics["state_floats"] <= 2000  # within the budget, not far below it
    out = tmp_path / "reports"
    argv = ["report", str(tmp_path / "outputs"), "--out", str(out), "--raw-dir", str(raw_dir)]
    reported = run_cli("seqbench.cli", *argv, timeout=300)
    assert reported.returncode == 0, reported.stderr[-3000:]
    assert (
        "models matched by state: each carries at most 2,000 floats"
        in (out / "comparison.md").read_text()
    )


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        (
            ["task.match=weights"],
            "task.match='weights' is not a way to match models; valid: params",
        ),
        (["task.match=state"], "task.state_budget must be"),
        (["task.match=state", "task.state_budget=4", "model=lstm"], "over the state budget of 4"),
    ],
)
def test_a_misset_match_is_one_line(tmp_path, raw_dir, overrides, says):
    argv = ["seqbench.train", "data=adding", *SMOKE, f"paths.root_dir={tmp_path}", *overrides]
    argv.append(f"paths.raw_dir={raw_dir}")
    result = run_cli(*argv, timeout=300)
    assert result.returncode != 0
    assert says in one_line_error(result)
