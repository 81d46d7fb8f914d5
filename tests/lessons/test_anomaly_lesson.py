"""The anomaly lesson from runs' metrics.json: the table beside the baselines, the figure,
and sentences that name a verdict only with 3 seeds that agree."""

import json

import pytest
from helpers.cli import SMOKE, run_cli

from seqbench.lessons.anomaly.measure import measured
from seqbench.lessons.anomaly.section import section
from seqbench.rundir.run import Run

BASELINES = {
    "zscore": {"test/auroc": 0.35, "test/auprc": 0.49},
    "last_value": {"test/auroc": 0.50, "test/auprc": 0.56},
}


def curve(falling: bool) -> list[dict]:
    """Validation loss over 1000 steps: flat after its first drop, or falling to the end."""
    steps = range(100, 1001, 100)
    return [{"step": s, "val/loss": 1 - s / 1100 if falling else 0.5} for s in steps]


def run(tmp_path, model, seed, auroc, status="finished", study="anomaly", falling=False):
    test = {f"test/{k}": v for k, v in dict(auroc=auroc, auprc=0.6, precision=0.5,
            recall=0.4, f1=0.44, delay=3.0, step_ms=0.2 + seed / 10, loss=0.1).items()}  # fmt: skip
    return Run(
        tmp_path / f"{model}-{seed}",
        {"study": study, "data": "mitdb", "model": model, "seed": seed, "status": status,
         "monitor": "val/loss", "test": test if status == "finished" else {},
         "test_extra": {"baselines": BASELINES}, "reason": "boom"},
        curve(falling),
    )  # fmt: skip


def test_the_section_lists_every_model_beside_the_baselines(tmp_path):
    runs = [run(tmp_path, "gru", s, 0.70 + s / 100) for s in range(3)]
    runs += [run(tmp_path, "lstm", s, a) for s, a in enumerate((0.45, 0.55, 0.6))]
    runs += [run(tmp_path, "lru", 0, 0.9), run(tmp_path, "rnn", 0, 0.1, status="failed")]
    runs += [run(tmp_path, "mamba", 0, 0.99, study="abilities")]  # another study's run
    found = section(runs, tmp_path)
    table = found.tables[0]
    names = [row[0] for row in table.rows]
    assert names == ["lstm", "gru", "lru", "baseline: z-score of the signal",
                     "baseline: last-value forecast error"]  # fmt: skip
    gru = table.rows[names.index("gru")]
    assert gru[1] == "0.710 ± 0.010 (n=3)"  # the mean and sample std of 0.70, 0.71, 0.72
    assert table.rows[-1][1:3] == ["0.500", "0.560"]
    text = " ".join(found.reading)
    assert "last-value forecast error 0.500" in text and "z-score of the signal 0.350" in text
    # gru is above 0.5 on all 3 seeds; lstm's seeds fall on both sides; lru has one seed
    assert "on every seed: gru; below it on every seed: none" in text
    assert "no verdict, numbers only): lru AUROC 0.900" in text
    assert "Highest mean test AUROC over 3+ seeds: gru 0.710" in text
    assert "fastest lru 0.200 ms, slowest gru 0.300 ms" in text  # gru: mean of .2, .3, .4
    assert "Failed or unfinished: mitdb/rnn/0: boom." in text
    assert found.figures[0].svg.lstrip().startswith("<svg")


def test_a_curve_still_falling_names_no_winner(tmp_path):
    runs = [run(tmp_path, "gru", s, 0.70 + s / 100) for s in range(3)]
    runs += [run(tmp_path, "lstm", s, 0.6, falling=True) for s in range(3)]
    text = " ".join(section(runs, tmp_path).reading)
    assert "Highest" not in text
    assert "mitdb: no winner is named: lstm was still improving at the end of training" in text


def test_one_seed_never_names_a_winner(tmp_path):
    detections, failed = measured([run(tmp_path, m, 0, a) for m, a in (("gru", 0.9), ("lru", 0.6))])
    found = section([run(tmp_path, m, 0, a) for m, a in (("gru", 0.9), ("lru", 0.6))], tmp_path)
    text = " ".join(found.reading)
    assert "Highest" not in text and "on every seed" not in text and not failed
    assert detections["mitdb"].of("gru", "auroc") == [0.9]


def test_no_anomaly_runs_no_section(tmp_path):
    assert section([run(tmp_path, "gru", 0, 0.7, study="abilities")], tmp_path) is None


@pytest.mark.slow
def test_an_anomaly_run_reaches_the_report(tmp_path):
    """fetch, train with experiment=anomaly, report: the section and its baselines are there."""
    raw = tmp_path / "data" / "anomaly"
    fetched = run_cli("seqbench.cli", "fetch", "yahoo", "--raw-dir", str(raw), timeout=300)
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    argv = ["seqbench.train", "experiment=anomaly", "model=gru", "data=yahoo", *SMOKE]
    trained = run_cli(*argv, f"paths.root_dir={tmp_path}", timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    run = tmp_path / "outputs" / "anomaly" / "yahoo" / "gru" / "0"
    assert json.loads((run / "metrics.json").read_text())["study"] == "anomaly"
    out = tmp_path / "reports"
    argv = ["report", str(tmp_path / "outputs"), "--out", str(out), "--raw-dir", str(raw)]
    reported = run_cli("seqbench.cli", *argv, timeout=300)
    assert reported.returncode == 0, reported.stderr[-3000:]
    page = (out / "comparison.md").read_text()
    assert "## Anomaly detection in sensor data" in page
    assert "| baseline: last-value forecast error | 0.993 |" in page, page[-3000:]
    assert "Fewer than 3 seeds (no verdict, numbers only): gru AUROC" in page
