"""`seqbench report`: collecting run directories (failed ones included), mean ± std over seeds,
the Markdown and HTML renderings, and the W&B Report built offline.

The run directories are real: one session fixture trains every model with the real trainer
(two Hydra sweeps, tiny sizes, a few seconds), then adds one failed run written by hand the
way train.py writes a NaN failure.
"""

import json
import math
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import ROOT

from seqbench.errors import SeqbenchError
from seqbench.report import collect, verdicts, wandb_report
from seqbench.report.build import write_report
from seqbench.report.collect import DatasetResult, ModelResult, Run

MODELS = ("rnn", "lstm", "gru", "transformer")
NAN_REASON = (
    "training loss is nan at step 3; lower optimizer.lr or set task.grad_clip "
    "(checkpoints so far are kept)"
)
TINY = [  # seconds per run: the report needs real files, not good models
    "logger=csv",
    "print_config=false",
    "callbacks.progress_bar=null",
    "budget=smoke",
    "budget.max_steps=6",
    "budget.val_every=2",
    "budget.val_batches=1",
    "budget.test_batches=1",
    "data.batch_size=8",
    "model.hidden_size=16",
    f"model={','.join(MODELS)}",
]


def _sweep(root: Path, raw_dir: Path, name: str, *overrides: str) -> subprocess.Popen:
    args = [
        sys.executable,
        "-m",
        "seqbench.train",
        "-m",
        f"paths.root_dir={root}",
        f"paths.raw_dir={raw_dir}",
        f"hydra.sweep.dir={root}/multirun/{name}",
        "paths.run_dir=${paths.root_dir}/runs/${data.name}/${model.name}/${seed}",
        *TINY,
        *overrides,
    ]
    log = (root / f"{name}.log").open("w")
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)


def _write_failed_run(root: Path) -> Path:
    """A third rnn seed on watch that died of a NaN loss, as train.py records it."""
    finished = json.loads((root / "runs/watch/rnn/0/metrics.json").read_text())
    keep = ("data", "model", "num_parameters", "hidden_size", "monitor", "mode", "baseline")
    metrics = {k: finished[k] for k in (*keep, "baseline_metric")}
    metrics |= {"seed": 2, "status": "failed", "reason": NAN_REASON}
    run_dir = root / "runs/watch/rnn/2"
    run_dir.mkdir(parents=True)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True))
    (run_dir / "curves.csv").write_text("step,time_s,val/acc,val/f1\n2,0.05,0.1,0.05\n")
    return run_dir


@pytest.fixture(scope="session")
def report_runs(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """runs/{watch: 4 models x 2 seeds + 1 failed, adding: 4 models x 1 seed}, multirun/.

    Built once per session on disk, so the browser test module reuses it too.
    """
    root = tmp_path_factory.getbasetemp() / "report-runs"
    if (root / "ready").is_file():
        return root
    root.mkdir(exist_ok=True)
    sweeps = [
        _sweep(
            root, raw_dir, "watch", "data=watch", "data.window=32", "data.stride=32", "seed=0,1"
        ),
        _sweep(root, raw_dir, "adding", "data=adding", "seed=0"),
    ]
    for name, sweep in zip(("watch", "adding"), sweeps, strict=True):
        assert sweep.wait(timeout=300) == 0, (root / f"{name}.log").read_text()[-3000:]
    _write_failed_run(root)
    (root / "ready").write_text("")
    return root


def _run(metrics: dict, path: str = "x", curves: list | None = None) -> Run:
    base = {"data": "d", "monitor": "val/acc", "mode": "max", "status": "finished"}
    base |= {"baseline": 0.2, "baseline_metric": "acc"}
    return Run(path=Path(path), metrics=base | metrics, curves=curves or [])


def _flat(value: float) -> list[dict[str, float]]:
    """A validation curve that had flattened at `value` (so only the seeds decide)."""
    return [{"step": s, "time_s": s / 10, "val/acc": value} for s in (100, 200, 300, 400)]


def _result(scores: dict[str, list[float]], mode: str = "max") -> DatasetResult:
    """A dataset result from test scores per model, flat curves, no files needed."""
    models = []
    for model, values in scores.items():
        runs = [
            _run({"model": model, "seed": i, "mode": mode, "test": {"test/acc": v}}, "x", _flat(v))
            for i, v in enumerate(values)
        ]
        models.append(ModelResult(model, runs))
    return DatasetResult("d", models, "val/acc", mode, 0.2, "acc", "seqbench.tasks.Classifier")


# --- collection and aggregation -----------------------------------------------------------
@pytest.mark.slow
def test_collects_every_run_and_keeps_the_failed_one(report_runs):
    runs = collect.find_runs(report_runs / "runs")
    assert len(runs) == 4 * 2 + 1 + 4
    assert {(r.data, r.model) for r in runs} == {
        (d, m) for d in ("watch", "adding") for m in MODELS
    }
    failed = [r for r in runs if not r.ok]
    assert [(f.model, f.seed, f.status, f.reason) for f in failed] == [
        ("rnn", 2, "failed", NAN_REASON)
    ]
    good = [r for r in runs if r.ok]
    assert all(r.curves and r.curves[0]["step"] > 0 and "time_s" in r.curves[0] for r in good)
    assert all(r.config and r.config["model"]["name"] == r.model for r in good)


@pytest.mark.slow
def test_a_hydra_sweep_directory_leads_to_its_runs(report_runs, tmp_path):
    runs = collect.find_runs(report_runs / "multirun")
    assert len(runs) == 4 * 2 + 4 and all(r.ok for r in runs)
    assert {r.path for r in runs} == {
        p.parent for p in (report_runs / "runs").rglob("metrics.json") if "/rnn/2" not in str(p)
    }
    # a job that died before writing anything is reported, not skipped
    job = tmp_path / "multirun" / "0"
    (job / ".hydra").mkdir(parents=True)
    config = {"paths": {"run_dir": str(tmp_path / "never")}, "data": {"name": "watch"}}
    (job / ".hydra" / "config.yaml").write_text(json.dumps(config | {"model": {"name": "gru"}}))
    (lost,) = collect.find_runs(tmp_path / "multirun")
    assert (lost.data, lost.model, lost.status) == ("watch", "gru", "failed")
    assert "no metrics.json" in lost.reason


@pytest.mark.slow
def test_mean_and_std_over_two_seeds(report_runs, raw_dir):
    results = {r.data: r for r in collect.summarise(collect.find_runs(report_runs), raw_dir)}
    watch = results["watch"]
    assert [m.model for m in watch.models] == list(MODELS)
    assert (watch.metric, watch.mode, watch.baseline_metric) == ("test/acc", "max", "acc")
    for model in watch.models:
        scores = [
            json.loads((report_runs / f"runs/watch/{model.model}/{seed}/metrics.json").read_text())[
                "test"
            ]["test/acc"]
            for seed in (0, 1)
        ]
        assert model.n == 2 and model.values == scores
        assert model.mean == pytest.approx(statistics.fmean(scores))
        assert model.std == pytest.approx(statistics.stdev(scores))  # sample std (n - 1)
    rnn = watch.models[0]
    assert len(rnn.runs) == 3 and len(rnn.failed) == 1
    adding = results["adding"]
    assert all(m.n == 1 and m.std is None for m in adding.models)
    assert (
        adding.provenance["content_hash"]
        == json.loads((raw_dir / "adding" / "provenance.json").read_text())["content_hash"]
    )


def test_a_finished_run_with_a_nan_metric_counts_as_failed():
    run = _run({"model": "rnn", "test": {"test/acc": math.nan}})
    assert not run.ok and run.status == "failed" and "nan" in run.reason
    assert ModelResult("rnn", [run]).mean is None


# --- the reading ----------------------------------------------------------------------------
def test_reading_names_the_winner_margin_and_baseline():
    text = " ".join(verdicts.reading(_result({"rnn": [0.5, 0.52], "gru": [0.8, 0.82]})))
    assert "gru wins on d with test accuracy 0.810 ± 0.014" in text
    assert "ahead of rnn (0.510 ± 0.014) by 0.300" in text
    assert "beats it by 0.610" in text
    assert "gru is named the winner" in text


def test_reading_says_when_seed_spread_makes_the_gap_meaningless():
    text = " ".join(verdicts.reading(_result({"rnn": [0.5, 0.7], "gru": [0.55, 0.75]})))
    assert "gru leads at equal steps on d" in text and " wins " not in text
    assert "within the seed-to-seed variation" in text and "No winner is named" in text


def test_reading_with_a_single_seed_does_not_judge_the_spread():
    text = " ".join(verdicts.reading(_result({"rnn": [0.1], "gru": [0.15]})))
    assert "single seed (gru and rnn): no spread to judge the gap" in text
    assert "No model beats the trivial baseline (0.200)" in text


def test_reading_lower_is_better_and_nothing_finished():
    text = " ".join(verdicts.reading(_result({"rnn": [2.0], "gru": [1.0]}, mode="min")))
    assert text.startswith("gru leads at equal steps") and "lower is better" in text
    dead = _result({"rnn": []})
    dead.models[0].runs.append(_run({"model": "rnn", "status": "failed", "reason": "boom"}))
    assert verdicts.reading(dead)[0].startswith("No model finished on d")


# --- the written report -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def written(report_runs, raw_dir, tmp_path_factory) -> dict:
    return write_report(report_runs / "runs", tmp_path_factory.mktemp("report"), raw_dir)


@pytest.mark.slow
def test_write_report_returns_the_headline(written):
    assert written["html"].is_file() and written["markdown"].is_file()
    assert (written["runs"], written["finished"]) == (13, 12)
    assert [f["reason"] for f in written["failed"]] == [NAN_REASON]
    assert set(written["winners"]) == {"watch", "adding"}
    rows = [r for r in written["rows"] if r["data"] == "watch"]
    assert [r["model"] for r in rows] == list(MODELS)
    assert sum(r["leader"] for r in rows) == 1 and sum(r["named_winner"] for r in rows) <= 1
    assert all(r["num_parameters"] > 0 and r["train_seconds"] > 0 for r in rows)


@pytest.mark.slow
def test_markdown_has_tables_reading_provenance_and_the_failure(written, raw_dir):
    text = written["markdown"].read_text()
    for data in ("watch", "adding"):
        assert f"\n## {data}\n" in text
        provenance = json.loads((raw_dir / data / "provenance.json").read_text())
        assert provenance["content_hash"] in text
    assert "| model | test accuracy (mean ± std) | seeds | rank, equal steps |" in text
    assert "| model | test MSE (mean ± std) |" in text
    assert "| trivial baseline |" in text
    assert re.search(r"\| rnn \| \S+ ± \S+ \| 2 \(\+1 failed\) \|", text)
    assert NAN_REASON in text
    assert "single seed" in text  # adding has one seed
    assert "seglearn 1.2.5" in text  # watch's revision: the package version
    assert not re.search(r"\bnan\b", text.replace(NAN_REASON, ""), re.I)


@pytest.mark.slow
def test_html_is_self_contained(written):
    page = written["html"].read_text()
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""\b(src|href|action|srcset)\s*=\s*(?!["']?#)""", page)
    assert "@import" not in page and "url(" not in page.replace("url(#", "")
    assert "Content-Security-Policy" in page and "<script" not in page
    for data in ("watch", "adding"):
        assert f'<table class="results" data-dataset="{data}">' in page
        for kind in ("bars", "curves"):
            figure = re.search(
                rf'<figure class="plot" data-kind="{kind}" data-dataset="{data}">(.*?)</figure>',
                page,
                re.S,
            )
            assert figure and figure.group(1).startswith("<svg")
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "duplicate ids across inline SVGs"


def test_no_runs_is_one_line_error(tmp_path):
    with pytest.raises(SeqbenchError) as error:
        write_report(tmp_path, tmp_path / "out", tmp_path)
    assert "no runs under" in str(error.value) and "\n" not in str(error.value)
    assert not (tmp_path / "out").exists()


# --- W&B -------------------------------------------------------------------------------------
METRICS = ["test/f1", "val/f1", "val/acc", "test/acc", "train/loss"]


def test_wandb_report_is_built_offline_with_the_panels():
    import wandb_workspaces.reports.v2 as wr
    from wandb_workspaces import expr

    report = wandb_report.build_report("team", "seqbench", "watch", METRICS)
    assert (report.entity, report.project) == ("team", "seqbench")
    assert "watch" in report.title
    (grid,) = [b for b in report.blocks if isinstance(b, wr.PanelGrid)]
    (runset,) = grid.runsets
    assert (runset.entity, runset.project) == ("team", "seqbench")
    assert runset.filters == "Group = 'watch'"
    assert expr.expr_to_filters(runset.filters).key.name == "group"
    # grouped by model: train.py logs the composed config under the W&B config key "config"
    assert runset.groupby == ["config.config.model.name"]
    assert expr.groupby_str_to_key(runset.groupby[0]).name == "config.value.model.name"
    lines = [p for p in grid.panels if isinstance(p, wr.LinePlot)]
    assert [(p.x, p.y) for p in lines] == [
        ("trainer/global_step", ["val/acc"]),
        ("trainer/global_step", ["val/f1"]),
        ("RelativeTime(Wall)", ["val/acc"]),
    ]
    assert all((p.groupby_aggfunc, p.groupby_rangefunc) == ("mean", "stddev") for p in lines)
    (bars,) = [p for p in grid.panels if isinstance(p, wr.BarPlot)]
    assert bars.metrics == ["test/acc", "test/f1"]
    boxes = {(p.layout.x, p.layout.y) for p in grid.panels}
    assert len(boxes) == len(grid.panels), "panels overlap"
    models = [p._to_model() for p in grid.panels]  # the panels' wire format needs no login
    assert models[0].config.x_axis == "trainer/global_step"
    assert models[-1].view_type == "Bar Chart"


@pytest.fixture
def logged_out(monkeypatch, tmp_path):
    for key in ("WANDB_API_KEY", "WANDB_MODE", "WANDB_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "netrc").write_text("")
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    monkeypatch.setenv("HOME", str(tmp_path))


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message
    return message


def test_publish_offline_stops_with_one_line_saying_what_it_needs(logged_out, monkeypatch):
    with pytest.raises(SeqbenchError) as error:
        wandb_report.publish("team/seqbench", "watch")
    message = _one_line(error)
    assert "not logged in" in message and "wandb login" in message
    assert "WANDB_API_KEY" in message and "network access" in message
    monkeypatch.setenv("WANDB_MODE", "offline")
    with pytest.raises(SeqbenchError) as error:
        wandb_report.publish("team/seqbench", "watch")
    assert "WANDB_MODE=offline" in _one_line(error)


def test_publish_with_a_key_but_no_server_stops_with_one_line(logged_out, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # discard port: refused
    with pytest.raises(SeqbenchError) as error:
        wandb_report.publish("team/seqbench", "watch")
    assert "cannot reach 127.0.0.1:9" in _one_line(error)


def test_publish_rejects_a_target_without_entity():
    with pytest.raises(SeqbenchError) as error:
        wandb_report.publish("seqbench", "watch")
    assert "ENTITY/PROJECT" in _one_line(error)


def test_publish_is_exported():
    import seqbench.report as report

    assert report.write_report is write_report and callable(report.publish)
