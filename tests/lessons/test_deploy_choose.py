"""`seqbench choose` answers from run folders and their deploy.json: the models that meet the
constraints, simplest first; the simplest whose quality Welch's test cannot separate from
the best; "nothing fits" and "too unsettled" said plainly; each refusal one line. The Pareto
fronts match a brute-force search."""

import json
import math
import random
import re
import statistics

import pytest
from helpers.cli import one_line_error, run_cli
from helpers.deploy_runs import BOARD, brute_front, make_board, write_run

from seqbench.cli.main import main
from seqbench.lessons.deploy.reading import pareto


def choose(*argv: str, capsys) -> tuple[int, str, str]:
    code = main(["choose", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(out: str) -> list[str]:
    """The models of the table, in the order printed."""
    table = out.split("fits, simplest first:\n")[1].split("\n")
    body = [line.split()[0] for line in table[1:] if line.startswith("  ")]
    return body


def welch(a: list[float], b: list[float]) -> tuple[float, float]:
    """Welch's t statistic and its Welch-Satterthwaite degrees of freedom, from scratch."""
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    t = abs(statistics.mean(a) - statistics.mean(b)) / math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return t, dof


def test_the_models_that_fit_are_listed_simplest_first(tmp_path, capsys):
    runs = make_board(tmp_path / "runs")
    code, out, _ = choose(str(runs), "--data", "watch", capsys=capsys)
    assert code == 0, out
    simplest = sorted(BOARD, key=lambda m: (BOARD[m][0], BOARD[m][1]))
    assert rows(out) == simplest
    code, out, _ = choose(str(runs), "--data", "watch", "--max-step-ms", "0.2",
                          "--max-memory-kb", "241", capsys=capsys)  # fmt: skip
    fits = [m for m in simplest if BOARD[m][2] * 1.02 <= 0.2 and
            (4 * BOARD[m][0] + BOARD[m][1]) / 1000 <= 241]  # fmt: skip
    assert rows(out) == fits == ["rnn", "gru"]
    assert re.search(r"left out: transformer \(step 0\.30\d ms > 0\.200", out)
    assert "left out: lstm (memory 241.088 kB > 241.000)" in out


def test_min_quality_follows_the_metrics_direction(tmp_path, capsys):
    runs = make_board(tmp_path / "runs")
    code, out, _ = choose(str(runs), "--data", "watch", "--min-quality", "0.6", capsys=capsys)
    assert code == 0 and "rnn" not in rows(out)
    assert "left out: rnn (quality 0.510 < 0.600)" in out


def test_the_simplest_model_not_separable_from_the_best_is_named(tmp_path, capsys):
    runs = make_board(tmp_path / "runs")
    code, out, _ = choose(str(runs), "--data", "watch", capsys=capsys)
    assert code == 0, out
    qualities = {m: BOARD[m][3] for m in BOARD}
    best = max(qualities, key=lambda m: statistics.mean(qualities[m]))
    assert f"best: {best}," in out
    simplest = sorted(BOARD, key=lambda m: (BOARD[m][0], BOARD[m][1]))
    # the verdicts must be clear under any 5 % critical value (1.96 ... 12.71)
    verdicts = {m: welch(qualities[best], qualities[m])[0] for m in simplest if m != best}
    assert all(t > 12.71 or t < 1.96 for t in verdicts.values()), verdicts
    expected = next(m for m in simplest if m == best or verdicts[m] < 1.96)
    assert expected == "gru"  # rnn is separably worse, gru is not
    assert f"choose {expected}: the simplest model that fits" in out


def test_when_every_fitting_model_is_separably_worse_none_is_named(tmp_path, capsys):
    runs = make_board(tmp_path / "runs")
    code, out, _ = choose(str(runs), "--data", "watch", "--max-memory-kb", "100",
                          capsys=capsys)  # fmt: skip
    assert code == 0 and rows(out) == ["rnn"]
    assert "no model that fits comes within the seed-to-seed variation of the best" in out
    assert "choose" not in out.replace("choose:", "")


def test_nothing_fits_is_said_plainly(tmp_path, capsys):
    runs = make_board(tmp_path / "runs")
    code, out, _ = choose(str(runs), "--data", "watch", "--max-step-ms", "0.01", capsys=capsys)
    assert code == 1
    assert "nothing fits these constraints" in out
    assert "fits, simplest first" not in out and "choose " not in out


@pytest.mark.parametrize("how", ["one seed", "still improving"])
def test_unsettled_results_name_no_model(tmp_path, capsys, how):
    board = BOARD if how != "one seed" else {m: (*v[:3], v[3][:1]) for m, v in BOARD.items()}
    runs = make_board(tmp_path / "runs", board, falling=how == "still improving")
    code, out, _ = choose(str(runs), "--data", "watch", capsys=capsys)
    assert code == 0
    assert "too unsettled to choose" in out and "choose " not in out.replace("to choose", "")
    said = "single seed" if how == "one seed" else "still improving"
    assert said in out


def test_a_sweep_folder_and_unmeasured_or_damaged_runs(tmp_path, capsys):
    sweep = tmp_path / "multirun" / "2026-12-04" / "00-00-00"
    for job, (model, seed, score) in enumerate(
        [("gru", 0, 0.8), ("gru", 1, 0.81), ("rnn", 0, 0.5), ("rnn", 1, 0.52), ("lstm", 0, 0.8)]
    ):
        write_run(sweep / str(job), model, seed, score, 50_000 if model == "gru" else 20_000,
                  deploy=model != "lstm")  # fmt: skip
    (sweep / "1" / "deploy.json").write_text('{"parameters": 3')  # cut short
    code, out, _ = choose(str(tmp_path / "multirun"), "--data", "watch", capsys=capsys)
    assert code == 0
    assert rows(out) == ["rnn", "gru"]
    assert "not measured (no deploy.json): lstm" in out
    assert "unreadable, left out:" in out and "deploy.json" in out
    assert "single seed (lstm)" in out  # lstm has results, so it counts for the verdict


def test_onnx_times_are_used_when_asked(tmp_path, capsys):
    runs = tmp_path / "runs"
    make_board(runs, {"gru": BOARD["gru"]}, onnx=0.04)
    make_board(runs, {"rnn": BOARD["rnn"]})  # not exportable: onnx null
    code, out, _ = choose(str(runs), "--data", "watch", "--runtime", "onnx",
                          "--max-step-ms", "0.05", capsys=capsys)  # fmt: skip
    assert code == 0 and rows(out) == ["gru"]
    assert "left out: rnn (no onnx step time" in out


def refusal(capsys, *argv: str) -> str:
    code = main(["choose", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_each_refusal_is_one_line(tmp_path, capsys):
    runs = make_board(tmp_path / "runs")
    write_run(runs / "adding" / "gru" / "0", "gru", 0, 0.1, 100, data="adding", deploy=False)
    said = refusal(capsys, str(runs), "--data", "shakespeare")
    assert "no results for dataset 'shakespeare'" in said and "adding, watch" in said
    said = refusal(capsys, str(runs), "--data", "adding")
    assert "has a readable deploy.json" in said and f"seqbench deploy {runs}" in said
    assert "datasets with results: adding, watch" in refusal(capsys, str(runs))
    assert "is not a folder" in refusal(capsys, str(tmp_path / "nowhere"), "--data", "watch")
    for flag, value, says in [
        ("--max-step-ms", "-1", "must be a positive number"),
        ("--max-step-ms", "fast", "is not a number"),
        ("--max-memory-kb", "nan", "not a finite number"),
        ("--max-memory-kb", "0", "must be a positive number"),
        ("--min-quality", "inf", "not a finite number"),
        ("--runtime", "tflite", "unknown"),
    ]:
        said = refusal(capsys, str(runs), "--data", "watch", flag, value)
        assert flag in said and says in said, said


def test_a_refusal_through_the_console_has_no_traceback(tmp_path):
    runs = make_board(tmp_path / "runs")
    result = run_cli("seqbench.cli", "choose", str(runs), "--data", "watch",
                     "--max-memory-kb", "NaN")  # fmt: skip
    assert result.returncode == 2
    assert "--max-memory-kb 'NaN' is not a finite number" in one_line_error(result)


@pytest.mark.parametrize("mode", ["max", "min"])
def test_the_pareto_front_matches_a_brute_force_search(mode):
    rng = random.Random(25)
    for _ in range(300):
        size = rng.randint(1, 9)
        # few distinct values, so ties in quality and cost are common
        points = {f"m{i}": (rng.choice([0.1, 0.2, 0.3, 0.4]), rng.choice([1, 2, 3]))
                  for i in range(size)}  # fmt: skip
        assert pareto(points, mode) == brute_front(points, mode), points


def test_runs_of_different_lengths_name_no_model(tmp_path, capsys):
    runs = make_board(tmp_path / "runs")
    path = runs / "watch" / "rnn" / "0" / "metrics.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | {"steps": 150}))
    code, out, _ = choose(str(runs), "--data", "watch", capsys=capsys)
    assert code == 0 and "too unsettled to choose" in out
    assert "the runs trained different numbers of steps" in out


def test_a_studys_runs_are_not_seeds_of_the_comparison(tmp_path, capsys):
    """The activation study also trains an "rnn" on adding-like data: its runs stay out of
    the comparison's rnn (as the report's tables keep them out), unless a dataset only has
    study runs."""
    runs = make_board(tmp_path / "runs")
    for seed in (0, 1):
        folder = write_run(tmp_path / "runs" / "activations" / "watch" / "rnn" / f"clip-off/{seed}",
                           "rnn", seed, 0.99, BOARD["rnn"][0], state=256, step_ms=0.05)  # fmt: skip
        metrics = json.loads((folder / "metrics.json").read_text())
        (folder / "metrics.json").write_text(json.dumps(metrics | {"study": "activations"}))
    code, out, _ = choose(str(runs), "--data", "watch", capsys=capsys)
    assert code == 0 and "rnn" in rows(out)
    rnn = next(line for line in out.splitlines() if line.startswith("  rnn "))
    assert "(n=3)" in rnn and "0.99" not in rnn  # the comparison's three seeds only
    code, out, _ = choose(str(tmp_path / "runs" / "activations"), "--data", "watch",
                          capsys=capsys)  # fmt: skip
    assert code == 0 and "(n=2)" in next(line for line in out.splitlines() if "  rnn " in line)
