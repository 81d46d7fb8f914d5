"""The CUDA path end to end, at the smoke budget: every model on every task kind, bf16 and
fp32, the DDP strategy, truncated BPTT, resume, the gradient-flow probe, the studies,
generation, exposure bias, streaming, the streaming benchmark and the report from GPU runs.

    pytest -m gpu            # on a machine with a CUDA GPU; skipped where there is none

``SEQBENCH_GPU_SUITE_ON=cpu pytest -m gpu`` runs the same tests on the CPU trainers instead:
a check of this file's own code on a machine without a GPU, not of the GPU path.
"""

import functools
import json
import os
from pathlib import Path

import pytest
import torch
from helpers.cli import run_cli
from helpers.precision import BF16_TOLERANCE, bf16_deviation

from seqbench import config
from seqbench.lessons.deploy import export, runtime
from seqbench.lessons.streaming.streamer import Streamer, stream
from seqbench.models import BACKBONES
from seqbench.tasks.checkpoint import load_task
from seqbench.train import train

ON = os.environ.get("SEQBENCH_GPU_SUITE_ON", "cuda")
DEVICE = "cuda" if ON == "cuda" else "cpu"
GPU, DDP = ("trainer=gpu", "trainer=ddp") if ON == "cuda" else ("trainer=cpu", "trainer=ddp_sim")
MODELS = ("rnn", "lstm", "gru", "transformer")
EVERY_MODEL = tuple(BACKBONES)  # the classics and the second generation
DATASETS = ("shakespeare", "watch", "adding", "copy")  # the four task kinds
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(ON == "cuda" and not torch.cuda.is_available(), reason="needs CUDA"),
]


@pytest.fixture(scope="module")
def data_dir(request: pytest.FixtureRequest) -> Path:
    """A GPU machine without the bundled packages gets data/raw copied in (SEQBENCH_RAW_DIR,
    see shared/tools/gpu-prepare); elsewhere the session's fetched copy."""
    given = os.environ.get("SEQBENCH_RAW_DIR")
    if given and all((Path(given) / name).is_dir() for name in DATASETS):
        return Path(given)
    return request.getfixturevalue("raw_dir")


def run(root: Path, data_dir: Path, *overrides: str) -> dict:
    """One seqbench-train run in this process; its metrics.json."""
    base = [f"paths.root_dir={root}", f"paths.raw_dir={data_dir}", "logger=csv"]
    base += ["print_config=false", "callbacks.progress_bar=null", "budget=smoke", GPU]
    cfg = config.compose([*base, *overrides])
    train(cfg)
    return json.loads((Path(cfg.paths.run_dir) / "metrics.json").read_text())


def finished(out: dict) -> bool:
    values = [*out["val"].values(), *out["test"].values()]
    return out["status"] == "finished" and all(map(torch.isfinite, torch.tensor(values)))


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("model", EVERY_MODEL)
def test_every_model_trains_on_every_task_kind_in_bf16(tmp_path, data_dir, model, data):
    out = run(tmp_path, data_dir, f"model={model}", f"data={data}")
    assert finished(out) and out["steps"] == 20
    probe = (tmp_path / "outputs" / data / model / "0" / "gradient_flow.csv").read_text()
    assert {line.split(",")[0] for line in probe.splitlines()[1:]} == {"0", "10", "20"}


@pytest.mark.parametrize("model", EVERY_MODEL)
def test_bf16_on_the_device_stays_near_float32(model):
    """Both forms of every backbone in bf16 autocast on the device, within BF16_TOLERANCE
    (2% of the largest output) of its float32 pass."""
    torch.manual_seed(0)
    backbone = BACKBONES[model](5, 16, num_layers=2)
    whole, streamed = bf16_deviation(backbone, torch.randn(3, 37, 5), DEVICE)
    assert whole < BF16_TOLERANCE and streamed < BF16_TOLERANCE, (whole, streamed)


@pytest.mark.parametrize(("model", "data"), zip(MODELS, DATASETS, strict=True))
def test_fp32_training_and_the_checkpoint_evaluates_alike_on_the_cpu(
    tmp_path, data_dir, model, data
):
    out = run(tmp_path, data_dir, f"model={model}", f"data={data}", "trainer.precision=32-true")
    assert finished(out)
    best = tmp_path / "outputs" / data / model / "0" / "checkpoints" / "best.ckpt"
    x = torch.randint(1, 10, (2, 32)) if data in ("shakespeare", "copy") else torch.randn(2, 32, 6)
    if data == "adding":
        x = torch.rand(2, 32, 2)
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        on_gpu = load_task(best, DEVICE)(x.to(DEVICE))[0].float().cpu()
    finally:
        torch.backends.cuda.matmul.allow_tf32 = True
    on_cpu = load_task(best, "cpu")(x)[0]
    assert torch.allclose(on_gpu, on_cpu, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("precision", ["bf16-mixed", "32-true"])
@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_ddp_strategy_trains(tmp_path, data_dir, model, precision):
    result = run_cli(
        "seqbench.train", DDP, "trainer.devices=1", f"trainer.precision={precision}",
        f"model={model}", "data=watch", "budget=smoke", "logger=csv", "print_config=false",
        f"paths.root_dir={tmp_path}", f"paths.raw_dir={data_dir}", timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads((tmp_path / "outputs" / "watch" / model / "0" / "metrics.json").read_text())
    assert finished(out)


def test_truncated_bptt_and_resume(tmp_path, data_dir):
    first = run(tmp_path, data_dir, "model=gru", "data=shakespeare", "task.tbptt_steps=32")
    assert finished(first) and first["steps"] == 20  # optimiser steps: 4 chunks a batch
    resumed = run(
        tmp_path, data_dir, "model=gru", "data=shakespeare", "task.tbptt_steps=32",
        "ckpt_path=last", "budget.max_steps=40",
    )  # fmt: skip
    assert finished(resumed) and resumed["steps"] == 40


def test_the_studies_train(tmp_path, data_dir):
    from seqbench.data import fetch

    memory = tmp_path / "data" / "memory"
    fetch.fetch(["adding-T20"], memory)
    for model in ("rnn", "lstm"):
        study = run(
            tmp_path, data_dir, "experiment=long_memory", "data=adding", "data.name=adding-T20",
            f"model={model}", "budget=smoke", f"paths.raw_dir={memory}",
        )  # fmt: skip
        assert finished(study) and study["study"] == "long_memory"
    for clip in ("true", "false"):
        out = run(tmp_path, data_dir, "experiment=activations", "model=irnn", "data=adding",
                  f"task.clip_gradients={clip}", "budget=smoke")  # fmt: skip
        assert out["status"] in ("finished", "failed") and out["study"] == "activations"


@pytest.mark.parametrize("model", MODELS)
def test_streaming_on_the_device_equals_the_batch_pass(tmp_path, data_dir, model):
    run(tmp_path, data_dir, f"model={model}", "data=shakespeare", "trainer.precision=32-true")
    task = load_task(
        tmp_path / "outputs" / "shakespeare" / model / "0" / "checkpoints" / "last.ckpt"
    )
    x = torch.randint(1, 20, (3, 40))
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        streamed = stream(Streamer(task, DEVICE).task, x.to(DEVICE))
        with torch.inference_mode():
            full = task(x.to(DEVICE))[0]
    finally:
        torch.backends.cuda.matmul.allow_tf32 = True
    assert streamed.device.type == DEVICE
    assert torch.allclose(streamed, full, rtol=1e-4, atol=1e-4)


def test_lessons_and_report_from_gpu_runs(tmp_path, data_dir):
    for model in MODELS:
        run(tmp_path, data_dir, f"model={model}", "data=shakespeare")
    runs = tmp_path / "outputs"
    ckpt = runs / "shakespeare" / "lstm" / "0" / "checkpoints" / "best.ckpt"
    cli = functools.partial(run_cli, "seqbench.cli", timeout=300)
    sample = cli("generate", str(ckpt), "--chars", "40", "--device", DEVICE)
    assert sample.returncode == 0 and sample.stdout.startswith("ROMEO:"), sample.stderr[-2000:]
    lessons = tmp_path / "reports" / "lessons"
    text = cli("text-lessons", str(runs), "--raw-dir", str(data_dir), "--chars", "40",
               "--device", DEVICE, "--out", str(lessons / "text.json"))  # fmt: skip
    assert text.returncode == 0, text.stderr[-2000:]
    models = json.loads((lessons / "text.json").read_text())["models"]
    assert set(models) == set(MODELS)
    assert all(m["self_loss"] > 0 and m["js_bigram_bits"] >= 0 for m in models.values())
    bench = cli("stream-bench", "--positions", "128", "--device", DEVICE,
                "--out", str(lessons / "streaming.json"))  # fmt: skip
    assert bench.returncode == 0, bench.stderr[-2000:]
    rows = json.loads((lessons / "streaming.json").read_text())["rows"]
    assert all(r["latency_ms"] > 0 for r in rows) and {r["model"] for r in rows} == set(MODELS)
    report = cli("report", str(runs), "--out", str(tmp_path / "reports"), "--raw-dir",
                 str(data_dir))  # fmt: skip
    assert report.returncode == 0, report.stderr[-2000:]
    page = (tmp_path / "reports" / "comparison.md").read_text()
    assert all(model in page for model in MODELS) and "Streaming" in page


def test_cost_bench_on_the_device(tmp_path):
    """Training steps on the device: cuDNN RNNs in training mode, the allocator's peak."""
    out = tmp_path / "cost.json"
    done = run_cli("seqbench.cli", "cost-bench", "--lengths", "64", "128", "256", "--steps", "2",
                   "--device", DEVICE, "--out", str(out), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["device"] == DEVICE and {r["model"] for r in result["rows"]} == set(MODELS)
    assert ("max_memory_allocated" in result["memory_measure"]) == (DEVICE == "cuda")
    for model in MODELS:
        mine = [r for r in result["rows"] if r["model"] == model]
        assert [r["T"] for r in mine] == [64, 128, 256]
        assert all(r["step_ms"] > 0 and r["saved_bytes"] > 0 for r in mine)
        assert mine[-1]["memory_bytes"] > mine[0]["memory_bytes"] > 0, model


@pytest.mark.parametrize("model", MODELS)
def test_a_checkpoint_trained_on_the_device_exports_with_parity(tmp_path, data_dir, model):
    """A bf16-trained GPU checkpoint exports for a CPU device in both torch formats and both
    shapes, each run by its runtime within the export tolerance of the checkpoint
    (onnxruntime is not on the GPU machine: tests/lessons/test_deploy_export.py covers ONNX)."""
    out = run(tmp_path, data_dir, f"model={model}", "data=watch")
    assert finished(out)
    task = load_task(tmp_path / "outputs" / "watch" / model / "0" / "checkpoints" / "best.ckpt")
    ex = export.example(task, 32)
    for fmt in ("torchscript", "exported-program"):
        for shape in export.SHAPES:
            data = export.to_bytes(task, fmt, shape, ex)
            error = runtime.parity(task, runtime.load(data, fmt, shape, ex), shape, ex)
            assert runtime.within(error), (fmt, shape, error)
