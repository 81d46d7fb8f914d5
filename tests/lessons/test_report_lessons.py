"""The RNN lessons in the report: studies kept out of the comparison, gradient flow, the
long-memory verdicts, activations and clipping, generated text, how far back each text model
looks, and streaming.

Run directories are real (tiny Hydra sweeps through the real trainer with the study
experiment configs); the verdict logic is also checked on hand-made records, where the
numbers have to be chosen.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import ROOT, run_cli

from seqbench.data import fetch
from seqbench.lessons.activations import section as activations
from seqbench.lessons.activations.measure import activation_runs
from seqbench.lessons.long_memory import section as long_memory
from seqbench.lessons.streaming.measure import measure
from seqbench.report.build import write_report
from seqbench.report.collect import Run

TINY = [
    "logger=csv",
    "print_config=false",
    "callbacks.progress_bar=null",
    "budget=smoke",
    "budget.max_steps=6",
    "budget.val_every=3",
    "budget.val_batches=1",
    "budget.test_batches=1",
    "data.batch_size=8",
    "model.hidden_size=16",
]


def _sweep(root: Path, name: str, *overrides: str) -> None:
    args = [sys.executable, "-m", "seqbench.train", "-m", f"paths.root_dir={root}",
            f"hydra.sweep.dir={root}/multirun/{name}", *TINY, *overrides]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def lesson_root(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """A comparison (adding, shakespeare), the two studies, and the lesson files."""
    root = tmp_path_factory.mktemp("lessons")
    fetch.fetch(["adding-T20", "copy-T20"], root / "data" / "memory")
    raw = f"paths.raw_dir={raw_dir}"
    _sweep(root, "compare", raw, "data=adding,shakespeare", "model=rnn,lstm,gru,transformer",
           "paths.run_dir=${paths.root_dir}/runs/${data.name}/${model.name}/${seed}")  # fmt: skip
    _sweep(root, "memory", "experiment=long_memory", "data=adding", "data.name=adding-T20",
           "model=rnn,lstm", "seed=0,1")  # fmt: skip
    _sweep(root, "copy", "experiment=long_memory", "data=copy", "data.name=copy-T20",
           "model=lstm")  # fmt: skip
    _sweep(root, "activations", raw, "experiment=activations", "data=adding",
           "model=rnn,rnn_relu,irnn", "task.clip_gradients=true,false")  # fmt: skip
    lessons_dir = root / "reports" / "lessons"
    lessons_dir.mkdir(parents=True)
    rows = measure(positions=64, every=32, models=("rnn", "transformer"))
    (lessons_dir / "streaming.json").write_text(json.dumps({"positions": 64, "rows": rows}))
    done = run_cli("seqbench.cli", "text-lessons", str(root / "runs"), "--data", "shakespeare",
                   "--chars", "40", "--raw-dir", str(raw_dir), "--out",
                   str(lessons_dir / "text.json"), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    done = run_cli("seqbench.cli", "context", str(root / "runs"), "--data", "shakespeare",
                   "--windows", "32", "--raw-dir", str(raw_dir), "--out",
                   str(lessons_dir / "context.json"), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def report(lesson_root: Path, raw_dir: Path) -> dict:
    # the studies ran as sweeps, so their runs sit in the sweep's job folders
    summary = write_report(lesson_root, lesson_root / "reports", raw_dir)
    return summary | {
        "html_text": summary["html"].read_text(),
        "md_text": summary["markdown"].read_text(),
    }


@pytest.mark.slow
def test_study_runs_stay_out_of_the_comparison(report):
    assert report["datasets"] == ["adding", "shakespeare"]
    assert report["runs"] == 8 + 4 + 1 + 6


@pytest.mark.slow
def test_every_lesson_has_its_section_and_figures(report):
    expected = ["gradient-flow", "long-memory", "activations", "exposure-bias", "context",
                "streaming"]  # fmt: skip
    assert report["lessons"] == expected
    html = report["html_text"]
    for key in expected:
        assert f'<section class="lesson" id="lesson-{key}"' in html
        assert f'<figure class="lesson" data-lesson="{key}"' in html
    # gradient flow: both comparison datasets and the study's longest adding task
    assert html.count('<figure class="lesson" data-lesson="gradient-flow"') == 3
    assert "adding-T20 (long-memory study)" in html
    for model in ("rnn", "lstm", "gru", "transformer"):
        assert f"{model} (trained)" in html and f"{model} (init)" in html


@pytest.mark.slow
def test_long_memory_table_has_every_seed(report):
    md = report["md_text"]
    assert "**adding: test MSE (lower is better)**" in md
    row = next(line for line in md.splitlines() if line.startswith("| 20 |") and "n=2" in line)
    assert row.count("(n=2)") == 2
    assert "**copy: test recall accuracy (higher is better)**" in md
    assert "Adding, T=20: LSTM" in md and "Copy, T=20: recall accuracy lstm" in md


@pytest.mark.slow
def test_activation_table_counts_exploding_steps(report, lesson_root):
    md = report["md_text"]
    paths = list((lesson_root / "multirun" / "activations").rglob("metrics.json"))
    assert len(paths) == 6
    for path in paths:
        metrics = json.loads(path.read_text())
        clip = "on" if metrics["clip_gradients"] else "off"
        counted = f"{metrics['clipped_steps']} / {metrics['steps']}"
        assert f"| {metrics['model']} | {clip} | 0 |" in md
        assert any(
            line.startswith(f"| {metrics['model']} | {clip} |") and counted in line
            for line in md.splitlines()
        )


@pytest.mark.slow
def test_generated_samples_and_streaming_are_shown(report):
    md = report["md_text"]
    for model in ("rnn", "lstm", "gru", "transformer"):
        assert f"**{model}: prompt 'ROMEO:'**" in md
    assert "val loss, teacher forcing" in md and "loss on own samples (T=1)" in md
    assert "positions 1 → 64" in md


def _memory_run(data: str, model: str, seed: int, value: float) -> Run:
    key = "test/mse" if data.startswith("adding") else "test/recall_acc"
    metrics = {"data": data, "model": model, "seed": seed, "status": "finished",
               "study": "long_memory", "test": {key: value}}  # fmt: skip
    return Run(path=Path("x"), metrics=metrics)


def test_memory_verdicts_follow_every_seed():
    runs = [
        _memory_run("adding-T100", "lstm", 0, 0.004),
        _memory_run("adding-T100", "lstm", 1, 0.002),
        _memory_run("adding-T100", "rnn", 0, 0.16),
        _memory_run("adding-T100", "rnn", 1, 0.17),
        _memory_run("adding-T200", "lstm", 0, 0.004),
        _memory_run("adding-T200", "lstm", 1, 0.03),  # one seed misses: the target is missed
        _memory_run("adding-T200", "rnn", 0, 0.09),
        _memory_run("copy-T100", "gru", 0, 1.0),
        _memory_run("copy-T100", "rnn", 0, 0.3),
    ]
    section = long_memory.study_section(runs)
    text = " ".join(section.reading)
    assert "Adding, T=100: LSTM 0.003, below 0.01 on 2 of 2 seeds (target met)" in text
    assert "tanh RNN 0.165, above 0.1 on 2 of 2." in text
    assert "Adding, T=200: LSTM 0.017, below 0.01 on 1 of 2 seeds (target missed)" in text
    assert "tanh RNN 0.090, above 0.1 on 0 of 1." in text
    assert "solved (> 0.99) by gru" in text
    adding = section.tables[0]
    assert adding.header == ["T", "rnn", "lstm"]
    assert adding.rows[0] == ["100", "0.165 ± 0.007 (n=2)", "0.003 ± 0.001 (n=2)"]


def test_a_failed_study_run_is_named_not_averaged():
    failed = Run(path=Path("x"), metrics={"data": "adding-T400", "model": "rnn", "seed": 0,
                                          "status": "failed", "reason": "training loss is nan",
                                          "study": "long_memory"})  # fmt: skip
    section = long_memory.study_section([failed, _memory_run("adding-T400", "lstm", 0, 0.001)])
    assert "adding-T400/rnn/0: training loss is nan" in " ".join(section.reading)
    assert section.tables[0].rows == [["400", "0.001 (n=1)"]]


def test_the_activation_study_reads_its_tanh_clipped_runs_from_the_comparison():
    """dvc.yaml trains tanh + clipping once, as the comparison's rnn run: the lesson shows it."""

    def run(model: str, seed: int, study: str | None, data: str = "adding", clip: bool = True):
        metrics = {"data": data, "model": model, "seed": seed, "status": "finished",
                   "study": study, "clip_gradients": clip, "steps": 10, "clipped_steps": 1,
                   "test": {"test/mse": 0.1}, "monitor": "val/mse"}  # fmt: skip
        return Run(path=Path("x"), metrics=metrics)

    study = [run("irnn", 0, "activations", clip=c) for c in (True, False)]
    study.append(run("rnn", 0, "activations", clip=False))
    tanh = run("rnn", 0, None)
    others = [run("rnn", 1, None), run("rnn", 0, None, data="watch"), run("gru", 0, None)]
    chosen = activation_runs([*study, tanh, *others])
    assert chosen == [*study, tanh]  # only the study's datasets and seeds, rnn only
    table = activations.study_section(chosen).tables[0]
    assert sorted(row[1] for row in table.rows if row[0] == "rnn") == ["off", "on"]
