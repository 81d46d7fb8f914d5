"""Runs written by seqbench at commit 029c830 (tests/fixtures/runs_029c830, see its README)
still load, resume, generate and report with the current code: a user's run folders and
checkpoints must outlive any reorganisation of the package. The fixture is only ever read:
every test that runs a command works on a copy."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers.cli import ROOT
from torch import nn

from seqbench.tasks.checkpoint import load_task

FIXTURE = ROOT / "tests" / "fixtures" / "runs_029c830"
FINISHED = FIXTURE / "finished" / "runs"
INTERRUPTED = FIXTURE / "interrupted" / "runs" / "copy" / "gru" / "0"
RUNS = {  # run folder -> the classes its checkpoints name (hyper_parameters)
    FINISHED / "copy" / "gru" / "0": ("seqbench.tasks.memory.Copy", "GRU"),
    FINISHED / "shakespeare" / "transformer" / "0": (
        "seqbench.tasks.language_model.LanguageModel",
        "Transformer",
    ),
    INTERRUPTED: ("seqbench.tasks.memory.Copy", "GRU"),
}
CHECKPOINTS = [run / "checkpoints" / f"{which}.ckpt" for run in RUNS for which in ("best", "last")]
BIN = Path(sys.executable).parent  # the console scripts a user runs: seqbench, seqbench-train


def _digest(folder: Path) -> str:
    """One hash over every file's path and bytes: proves a test left the fixture as it was."""
    md5 = hashlib.md5()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        md5.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return md5.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def fixture_untouched():
    before = _digest(FIXTURE)
    yield
    assert _digest(FIXTURE) == before, "a test wrote into tests/fixtures/runs_029c830"


def _metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


def _command(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def test_the_fixture_is_what_029c830_wrote():
    """Guards the fixture itself: a finished and an interrupted run, every file a run writes."""
    for run in RUNS:
        for name in (".hydra/config.yaml", ".hydra/overrides.yaml", ".hydra/hydra.yaml"):
            assert (run / name).is_file(), run / name
        for name in ("metrics.json", "curves.csv", "csv/metrics.csv", "checkpoints/last.ckpt"):
            assert (run / name).is_file(), run / name
    assert {_metrics(run)["status"] for run in RUNS} == {"finished", "interrupted"}
    assert _metrics(INTERRUPTED)["status"] == "interrupted"
    assert (
        torch.load(INTERRUPTED / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
        == 10
    )


@pytest.mark.parametrize("path", CHECKPOINTS, ids=lambda p: "/".join(p.parts[-5:]))
def test_every_old_checkpoint_rebuilds_through_seqbenchs_loader(path):
    """load_task (weights_only=True, allowlisted classes) rebuilds the model with exactly the
    saved weights, and it runs: finite outputs of the head's width for every step."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    task_name, backbone_name = RUNS[path.parents[1]]
    assert saved["hyper_parameters"]["task"] == task_name
    assert saved["hyper_parameters"]["backbone"]["_target_"].endswith(f".{backbone_name}")

    task = load_task(path)
    assert type(task).__name__ == task_name.rpartition(".")[2]
    assert type(task.backbone).__name__ == backbone_name
    state = task.state_dict()
    assert state.keys() == saved["state_dict"].keys()
    for key, tensor in saved["state_dict"].items():
        assert torch.equal(state[key], tensor), key
    count = sum(p.numel() for p in task.parameters())
    assert count == saved["hyper_parameters"]["num_parameters"]
    assert count == _metrics(path.parents[1])["num_parameters"]

    if isinstance(task.inputs, nn.Embedding):  # token ids: copy symbols, characters
        x = torch.randint(task.inputs.num_embeddings, (2, 16))
    else:
        x = torch.randn(2, 16, task.inputs.in_features)
    with torch.no_grad():
        out, _ = task(x)
    assert out.shape[:2] == (2, 16) and torch.isfinite(out).all()


def test_seqbench_generate_samples_from_an_old_character_model():
    ckpt = FINISHED / "shakespeare" / "transformer" / "0" / "checkpoints" / "best.ckpt"
    vocab = set(torch.load(ckpt, weights_only=True)["hyper_parameters"]["data_info"]["vocab"])
    result = _command(
        str(BIN / "seqbench"), "generate", str(ckpt), "--prompt", "ROMEO:", "--chars", "40"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout.removesuffix("\n")
    assert text.startswith("ROMEO:") and len(text) == len("ROMEO:") + 40, text
    assert set(text[len("ROMEO:") :]) <= vocab


@pytest.fixture(scope="module")
def resumed(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """A copy of the interrupted run, resumed once by the user's own command (its overrides
    from .hydra) with ckpt_path=last, on the current code; the run folder."""
    run = tmp_path_factory.mktemp("resumed") / "runs" / "copy" / "gru" / "0"
    shutil.copytree(INTERRUPTED, run)
    overrides = [
        line.removeprefix("- ").strip()
        for line in (INTERRUPTED / ".hydra" / "overrides.yaml").read_text().splitlines()
    ]
    assert "budget.max_steps=40" in overrides
    result = _command(
        str(BIN / "seqbench-train"),
        *overrides,
        f"paths.run_dir={run}",
        f"paths.raw_dir={raw_dir}",
        "callbacks.progress_bar=null",
        "ckpt_path=last",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return run


@pytest.mark.slow
def test_an_interrupted_old_run_resumes_to_its_end(resumed):
    """It trains from step 10 to 40, and what the checkpoint carried (the curves' first
    row, the token count, the clipped steps, the CSV log) continues, not restarts."""
    saved = torch.load(INTERRUPTED / "checkpoints" / "last.ckpt", weights_only=True)
    tokens_per_step = saved["callbacks"]["RunRecorder"]["tokens"] // saved["global_step"]
    out = _metrics(resumed)
    assert out["status"] == "finished" and out["steps"] == 40
    assert out["model"] == "gru" and out["data"] == "copy"
    assert out["train_tokens"] == 40 * tokens_per_step  # the recorder's state was restored
    assert out["clipped_steps"] >= saved["clipped_steps"]
    assert all(v == v and abs(v) != float("inf") for v in out["test"].values()), out["test"]
    curves = (resumed / "curves.csv").read_text().splitlines()
    old = (INTERRUPTED / "curves.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in curves[1:]] == ["10", "20", "30", "40"]
    assert curves[:2] == old  # the old validation stays as it was written
    logged = (resumed / "csv" / "metrics.csv").read_text().splitlines()
    assert logged[0].split(",")[0] == "epoch" and len(logged) > len(
        (INTERRUPTED / "csv" / "metrics.csv").read_text().splitlines()
    )
    newest = max((resumed / "checkpoints").glob("*.ckpt"), key=lambda p: p.stat().st_mtime)
    assert torch.load(newest, weights_only=True)["global_step"] == 40


@pytest.mark.slow
def test_a_resumed_old_run_keeps_its_checkpoint_names(resumed):
    """checkpoints/last.ckpt and best.ckpt, the names every reader (resume, generate, the
    lessons) uses, hold the resumed run's end, and no versioned copies appear, though the
    run was trained in another folder (/tmp/runs_029c830/...): seqbench's RunCheckpoint
    moves Lightning's saved state into the run's folder, where Lightning drops it."""
    names = sorted(p.name for p in (resumed / "checkpoints").glob("*.ckpt"))
    assert names == ["best.ckpt", "last.ckpt"], names
    last = torch.load(resumed / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == 40
    old = torch.load(INTERRUPTED / "checkpoints" / "last.ckpt", weights_only=True)
    (key,) = [k for k in old["callbacks"] if k.startswith("ModelCheckpoint")]
    state, before = last["callbacks"][key], old["callbacks"][key]  # the same key: either class
    folder = str((resumed / "checkpoints").resolve())
    assert state["dirpath"] == folder
    assert state["best_model_path"] == f"{folder}/best.ckpt"  # never the old place's file
    assert state["last_model_path"] == f"{folder}/last.ckpt"
    assert list(state["best_k_models"]) == [f"{folder}/best.ckpt"]
    assert state["best_model_score"] <= before["best_model_score"]  # the old best counted
    best = torch.load(resumed / "checkpoints" / "best.ckpt", weights_only=True)
    assert _metrics(resumed)["best_val"] == pytest.approx(float(state["best_model_score"]))
    assert best["callbacks"][key]["best_model_score"] == state["best_model_score"]


@pytest.mark.slow
def test_seqbench_report_lists_the_old_runs_with_their_numbers(tmp_path, raw_dir):
    runs = tmp_path / "runs"
    shutil.copytree(FINISHED, runs)
    out = tmp_path / "reports"
    result = _command(
        str(BIN / "seqbench"), "report", str(runs), "--out", str(out), "--raw-dir", str(raw_dir)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 runs (2 finished)" in result.stdout
    page = json.loads((out / "comparison.json").read_text())["datasets"]
    markdown = (out / "comparison.md").read_text()
    html = (out / "comparison.html").read_text()
    for data, model in (("copy", "gru"), ("shakespeare", "transformer")):
        metrics = _metrics(FINISHED / data / model / "0")
        entry = page[data]["models"][model]
        assert entry["seeds"] == 1
        assert entry["mean"] == pytest.approx(metrics["test"]["test/loss"])
        assert page[data]["steps"] == metrics["steps"] == 20
        shown = f"{metrics['test']['test/loss']:.3f}"
        assert f"{data}/{model}/0" in markdown and shown in markdown and shown in html
