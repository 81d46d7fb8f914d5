"""The report says only what was measured: made-up runs where the textbook story is false.

The run directories are written with the real writers (rundir.write_metrics, the recorder's
curves.csv) and read back by the real report, so the whole path from files to sentences is
checked: the vanilla RNN beats the LSTM while its curve still falls and its gap to the GRU is
within the seed spread (no winner: the steps and seeds that would settle it, computed by hand
below); single seeds (no winner); a settled dataset (the winner is named); a gradient profile
that is not a straight line and a Transformer whose gradient is not flat; a streaming run on
two threads whose RNN latency grows; a tanh RNN whose gradient exceeds the clip threshold
more often than ReLU's; and a full-budget reference, absent and then present.
"""

import csv
import json
import math
from pathlib import Path

import pytest

from seqbench import rundir
from seqbench.callbacks.recorder import RunRecorder
from seqbench.lessons.gradient_flow import reading as lesson_readings
from seqbench.report.build import write_report

STEPS = (100, 200, 300, 400)
TEXT = {  # model: (validation curve, test loss per seed, seconds per validation, tokens/s)
    "rnn": ((3.0, 2.4, 2.05, 1.85), (1.79, 1.84), 10, 4000.0),  # still falling
    "lstm": ((2.3, 2.15, 2.11, 2.10), (2.10, 2.12), 30, 1000.0),  # flat, slow, worst
    "gru": ((3.0, 2.45, 2.1, 1.88), (1.83, 1.85), 12, 3000.0),  # still falling
    "transformer": ((2.2, 2.1, 2.075, 2.07), (2.07, 2.08), 15, 2000.0),
}


def _run(root: Path, data: str, model: str, seed: int, curve: list[float], test: float,
         monitor: str = "val/loss", mode: str = "min", pace: float = 10,
         rate: float = 1000.0, baseline: float | None = None) -> Path:  # fmt: skip
    run = rundir.run_dir(root, data, model, seed)
    run.mkdir(parents=True)
    recorder = RunRecorder(run)
    recorder.rows = [
        {"step": step, "time_s": pace * (i + 1), monitor: value}
        for i, (step, value) in enumerate(zip(STEPS, curve, strict=True))
    ]
    recorder.write_curves()
    metric = monitor.split("/", 1)[1]
    rundir.write_metrics(run, {
        "data": data, "model": model, "seed": seed, "status": "finished", "monitor": monitor,
        "mode": mode, "test": {f"test/{metric}": test}, "steps": STEPS[-1],
        "train_tokens": 400 * 64 * 100, "throughput_tokens_per_s": rate,
        "train_seconds": pace * len(STEPS), "num_parameters": 1000, "baseline": baseline,
        "baseline_metric": metric if baseline is not None else None, "threads": 2,
        "device_name": "cpu", "state_floats": 704 if model == "transformer" else 64,
        "state_grows": model == "transformer",
    })  # fmt: skip
    return run


def _gradient_flow(run: Path, norm) -> None:
    with (run / rundir.GRADIENT_FLOW).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "distance", "norm"])
        writer.writerows([400, d, f"{norm(d):.6g}"] for d in range(20))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("verdicts")
    runs = root / "runs"
    for model, (curve, tests, pace, rate) in TEXT.items():
        for seed, test in enumerate(tests):
            shifted = [v + test - tests[0] for v in curve]
            run = _run(runs, "shakespeare", model, seed, shifted, test, pace=pace, rate=rate)
            if seed == 0:
                _gradient_flow(run, {
                    "rnn": lambda d: 1.0 if d < 10 else 1e-6,  # a cliff, not a straight line
                    "lstm": lambda d: 10 ** (-0.02 * d),
                    "gru": lambda d: 10 ** (-0.01 * d),
                    "transformer": lambda d: 10 ** (-0.1 * d),  # attention, yet not flat
                }[model])  # fmt: skip
    for model, test in {"rnn": 0.170, "lstm": 0.168, "gru": 0.003, "transformer": 0.002}.items():
        _run(runs, "adding", model, 0, [test] * 4, test, baseline=0.167)  # one seed each
    for model, base in {"rnn": 0.6, "lstm": 0.8, "gru": 0.9, "transformer": 0.85}.items():
        for seed in range(3):
            value = base + 0.01 * seed
            _run(runs, "watch", model, seed, [value - 0.05, value - 0.001, value, value], value,
                 monitor="val/acc", mode="max")  # fmt: skip
    for model, clipped in {"rnn": 300, "rnn_relu": 20, "irnn": 100}.items():  # tanh explodes most
        for clip in (True, False):
            run = runs / rundir.LAYOUTS["activations"].format(
                data="adding", model=model, clip=str(clip).lower(), seed=0
            )
            run.mkdir(parents=True)
            rundir.write_metrics(run, {
                "data": "adding", "model": model, "seed": 0, "status": "finished",
                "study": "activations", "monitor": "val/loss", "test": {"test/loss": 0.1},
                "steps": 400, "clipped_steps": clipped, "clip_gradients": clip,
                "max_grad_norm": clipped / 10,
            })  # fmt: skip
    lessons = root / "reports" / "lessons"
    lessons.mkdir(parents=True)
    rows = [
        {"model": model, "position": p, "latency_ms": latency(p), "state_bytes": state(p),
         "num_parameters": 1000, "hidden_size": 16, "window": 5}
        for model, latency, state in (
            ("rnn", lambda p: 0.05 + 0.0002 * p, lambda p: 976),  # the cost grows: not constant
            ("transformer", lambda p: 0.3, lambda p: 720 * p),
        )
        for p in (1, 64, 128, 192, 256, 320, 384, 448, 512)
    ]  # fmt: skip
    streaming = {"positions": 512, "rows": rows, "threads": 2, "device": "cpu"}
    (lessons / "streaming.json").write_text(json.dumps(streaming))
    return root


@pytest.fixture(scope="module")
def report(runs: Path) -> dict:
    written = write_report(runs / "runs", runs / "reports", runs / "no-raw")
    return written | {"md": written["markdown"].read_text(), "page": written["html"].read_text()}


def _section(markdown: str, data: str) -> str:
    return markdown.split(f"\n## {data}\n", 1)[1].split("\n## ", 1)[0]


def test_a_leader_still_falling_and_within_the_seed_spread_is_not_named(report):
    text = _section(report["md"], "shakespeare")
    assert report["winners"]["shakespeare"] is None
    assert "wins" not in text and "(best)" not in text
    assert "rnn leads at equal steps on shakespeare" in text
    assert "Order at equal steps (400 steps, 2,560,000 tokens per run" in text
    assert "rnn > gru > transformer > lstm." in text
    assert "No winner is named: rnn and gru were still improving" in text
    assert "rnn still improving (0.200 gained over the last quarter of 400 steps" in text
    assert "lstm flattened" in text
    # each quarter shrank by 0.20/0.35 (rnn) and 0.22/0.35 (gru): 3 more quarters each
    assert "about 700 steps (budget.max_steps=700)" in text and "(rnn 700, gru 700)" in text
    # gap 0.025, stds 0.035 and 0.014: Welch's test passes first at 12 seeds per model
    assert "within the seed-to-seed variation" in text
    assert "about 12 seeds per model (compare.seeds=[0,1,2,3,4,5,6,7,8,9,10,11])" in text
    summary = next(line for line in report["md"].splitlines() if line.startswith("| shakespeare"))
    assert "| none named |" in summary


def test_equal_time_and_cost_sit_beside_quality(report):
    text = _section(report["md"], "shakespeare")
    # the shortest run (rnn) ends at 40 s; lstm is then between its 30 s and 60 s validations
    assert "(validation loss (nats) at 40.0 s, the shortest run's end): rnn > gru > " in text
    header = "| model | test loss (nats) (mean ± std) | seeds | rank, equal steps |"
    assert header in text and "| validation loss (nats) at 40.0 s | rank, equal time |" in text
    lstm = next(line for line in text.splitlines() if line.startswith("| lstm |"))
    cells = [c.strip() for c in lstm.strip("|").split("|")]
    assert cells[3:6] == ["4", "2.260", "4"]  # 2.30 - 0.15 / 3 = 2.25, seed 1 +0.02
    assert cells[8] == "64" and cells[10] == "1.000"  # s per 1k tokens at 1000 tokens/s
    transformer = next(line for line in text.splitlines() if line.startswith("| transformer |"))
    assert "| 704 per position |" in transformer
    assert cells[6].startswith("flattened")


def test_single_seeds_name_no_winner_and_the_settled_case_names_one(report):
    adding = _section(report["md"], "adding")
    assert report["winners"]["adding"] is None and "wins" not in adding
    assert "single seed (transformer and gru): no spread to judge the gap" in adding
    assert "at least 3 seeds per model (compare.seeds=[0,1,2])" in adding
    assert "lstm and rnn do not beat it" in adding
    watch = _section(report["md"], "watch")
    assert report["winners"]["watch"] == "gru"
    assert "gru wins on watch" in watch and "gru is named the winner" in watch
    assert "| gru (best) |" in watch


def test_lesson_sentences_follow_the_numbers_not_the_textbook(report):
    md = report["md"]
    assert "rnn falls, not as a straight line" in md and "rnn falls as a straight line" not in md
    assert "not as the textbook expects" in md and "transformer is not flat" in md
    assert "its curve is flat" not in md and "one CPU thread" not in md
    assert "2 CPU thread(s)" in md and "each latency the median of 5 steps" in md
    assert "median of 9" not in md and "rnn's cost or state is not constant" in md
    assert "transformer 0.300 → 0.300 ms per step" in md and "state grows linearly" in md
    assert "rnn up to 75% of steps (max ‖g‖ 30.000)" in md
    assert "not as the textbook expects: tanh (rnn) exceeded it more often than irnn and " in md


def test_the_reference_is_said_absent_then_compared(report, runs):
    assert not report["reference"]
    assert "No reference results at the full budget" in report["md"]
    stored = json.loads(report["json"].read_text())
    shakespeare = stored["datasets"]["shakespeare"]
    assert shakespeare["order_steps"] == ["rnn", "gru", "transformer", "lstm"]
    assert shakespeare["winner"] is None and stored["datasets"]["watch"]["winner"] == "gru"
    shakespeare |= {"order_steps": ["lstm", "gru", "transformer", "rnn"], "steps": 20000,
                    "seeds": 3, "device": "NVIDIA H100"}  # fmt: skip
    reference = runs / "reports" / "reference" / "full.json"
    reference.parent.mkdir()
    reference.write_text(json.dumps(stored))
    again = write_report(runs / "runs", runs / "reports", runs / "no-raw")
    md = again["markdown"].read_text()
    assert again["reference"] and f"Reference results at the full budget: {reference}" in md
    assert (
        "The reference (20000 steps, 3 seeds, NVIDIA H100) orders lstm > gru > transformer > "
        "rnn: the leader differs (rnn here, lstm there)" in md
    )
    assert "(5 of 6 pairs)" in md and "The reference (400 steps, 3 seeds, cpu) has the same" in md


@pytest.mark.parametrize(
    ("norm", "expected"),
    [
        (lambda d: 10 ** (-0.3 * d), "falls as a straight line"),
        (lambda d: 1.0 + 0.01 * math.sin(d), "flat"),
        (lambda d: 10 ** (0.1 * d), "rises"),
        (lambda d: 0.0, "vanished below float range"),
    ],
)
def test_gradient_shapes(norm, expected):
    assert lesson_readings.shape([(d, norm(d)) for d in range(20)]) == expected


def test_runs_of_unequal_length_are_not_ranked_as_equal_steps():
    from seqbench.report.results import DatasetResult, ModelResult, Run
    from seqbench.report.verdicts import reading

    def run(model: str, seed: int, steps: int, value: float) -> Run:
        curve = [{"step": s, "time_s": s / 10, "val/loss": value} for s in (100, 200, 300, 400)]
        metrics = {"data": "d", "model": model, "seed": seed, "status": "finished",
                   "test": {"test/loss": value + seed / 100}, "steps": steps}  # fmt: skip
        return Run(Path(f"{model}/{seed}"), metrics, curve)

    models = [ModelResult(m, [run(m, s, steps, v) for s in range(3)])
              for m, steps, v in (("rnn", 400, 1.0), ("gru", 100, 2.0))]  # fmt: skip
    text = " ".join(reading(DatasetResult("d", models, "val/loss", "min", None, None)))
    assert "Order by the main metric, NOT at equal steps (runs trained 100 to 400 steps" in text
    assert "No winner is named: the runs trained different numbers of steps" in text
