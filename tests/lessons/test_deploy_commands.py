"""`seqbench export`, `seqbench deploy` and `seqbench choose` on a sweep trained for real."""

import functools
import json
import os
from pathlib import Path

import onnxruntime
import pytest
import torch
from helpers.cli import SMOKE, one_line_error, run_cli

from seqbench.lessons.streaming.measure import backbone_of
from seqbench.models import BACKBONES
from seqbench.tasks import Classifier

ENV = os.environ | {"OMP_NUM_THREADS": "1"}
HIDDEN = 12


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """A Hydra multirun sweep (gru, transformer x seeds 0, 1), measured by `seqbench deploy`."""
    root = tmp_path_factory.mktemp("sweep")
    folder = root / "multirun"
    result = run_cli(
        "seqbench.train", "--multirun", *SMOKE, f"paths.root_dir={root}",
        f"paths.raw_dir={raw_dir}", "data=watch", "model=gru,transformer", "seed=0,1",
        f"model.hidden_size={HIDDEN}", f"hydra.sweep.dir={folder}", env=ENV, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    measured = run_cli("seqbench.cli", "deploy", str(folder), env=ENV, timeout=900)
    assert measured.returncode == 0, measured.stderr[-3000:]
    return folder


def job(sweep: Path, model: str, seed: int) -> Path:
    """The sweep job folder that trained ``model`` at ``seed``."""
    for path in sweep.glob("*/metrics.json"):
        found = json.loads(path.read_text())
        if (found["model"], found["seed"]) == (model, seed):
            return path.parent
    raise AssertionError(f"no {model} seed {seed} in {sweep}")


def test_export_writes_both_shapes_that_onnxruntime_runs_like_the_checkpoint(sweep, tmp_path):
    run = job(sweep, "gru", 0)
    out = tmp_path / "export"
    argv = ("export", str(run), "--format", "onnx", "--out", str(out), "--quantize", "int8")
    result = run_cli("seqbench.cli", *argv, env=ENV, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "on the first test window of" in result.stdout
    step = json.loads((out / "gru-step.json").read_text())
    assert step["inputs"][0] == "x_t" and step["outputs"][0] == "y_t"
    assert [p["shape"] for p in step["state"]] == [[2, 1, HIDDEN]]  # layers, one stream, hidden
    assert step["state_growth_bytes_per_step"] == 0
    assert step["parity"]["max_error"] <= step["parity"]["tolerance"]
    # the file alone, as a device would run it: state zeros, fed back step by step
    session = onnxruntime.InferenceSession(str(out / step["file"]))
    state = torch.zeros(2, 1, HIDDEN).numpy()
    x = torch.randn(1, 6).numpy()
    y, state = session.run(None, {"x_t": x, step["inputs"][1]: state})
    assert y.shape == (1, 7) and state.shape == (2, 1, HIDDEN)
    int8 = json.loads((out / "gru-whole.int8.json").read_text())
    assert set(int8["change"]) == {"acc", "f1"}
    assert int8["change"]["acc"] == pytest.approx(int8["int8"]["acc"] - int8["float"]["acc"])
    assert int8["int8"]["batches"] == int8["float"]["batches"] > 0
    assert (out / "gru-whole.int8.onnx").stat().st_size == int8["int8_bytes"]


def test_deploy_measures_each_run_beside_its_metrics(sweep):
    gru = json.loads((job(sweep, "gru", 0) / "deploy.json").read_text())
    attention = json.loads((job(sweep, "transformer", 1) / "deploy.json").read_text())
    window = gru["state_positions"]
    assert window == 128 == attention["state_positions"]  # conf/data/watch.yaml's window
    assert gru["state_bytes"] == 2 * HIDDEN * 4 and gru["state_growth_bytes"] == 0
    layers = 2  # conf/model/transformer.yaml: a key and a value per layer and position
    assert attention["state_growth_bytes"] == 2 * layers * HIDDEN * 4
    assert attention["state_bytes"] == window * attention["state_growth_bytes"] + 8  # + pos
    for found in (gru, attention):
        folder = job(sweep, found["model"], found["seed"])
        weights = torch.load(folder / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
        assert found["weight_bytes"] == sum(t.numel() * t.element_size() for t in weights.values())
        assert found["memory_bytes"] == found["weight_bytes"] + found["state_bytes"]
        for timing in found["step_ms"].values():
            assert timing["steps"] == 1000 and 0 < timing["median"] <= timing["p99"]
        assert found["peak_rss_bytes"] > found["weight_bytes"]


def test_a_format_that_cannot_carry_a_backbone_says_why_in_one_line(tmp_path):
    _, options = backbone_of("lru")
    task = Classifier(
        backbone=functools.partial(BACKBONES["lru"], **options | {"hidden_size": HIDDEN}),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={"channels": 6, "classes": ["a", "b"], "window": 16},
        embed_dim=8,
    )
    path = tmp_path / "lru.ckpt"
    torch.save({"hyper_parameters": dict(task.hparams), "state_dict": task.state_dict()}, path)
    refused = run_cli("seqbench.cli", "export", str(path), "--format", "onnx", env=ENV)
    assert refused.returncode == 2
    assert "complex-valued state, and ONNX has no complex type" in one_line_error(refused)
    argv = ("export", str(path), "--format", "torchscript", "--out", str(tmp_path / "ts"))
    exported = run_cli("seqbench.cli", *argv, env=ENV, timeout=300)
    assert exported.returncode == 0, exported.stderr[-3000:]
    assert "random inputs" in exported.stdout
    assert sorted(p.name for p in (tmp_path / "ts").iterdir()) == [
        "lru-step.json", "lru-step.ts", "lru-whole.json", "lru-whole.ts",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["export", "nowhere", "--format", "onnx"], "neither a run folder nor a checkpoint"),
        (["deploy", "nowhere"], "nowhere is not a folder of runs"),
        (["export", ".", "--format", "torchscript", "--quantize", "int8"], "is for --format onnx"),
    ],
)
def test_bad_export_and_deploy_arguments_get_one_line(argv, says, tmp_path):
    result = run_cli("seqbench.cli", *argv, env=ENV, cwd=tmp_path)
    assert result.returncode == 2
    assert says in one_line_error(result)


def test_choose_answers_from_a_sweep_within_the_constraints(sweep):
    costs = {}
    for path in sweep.glob("*/deploy.json"):
        found = json.loads(path.read_text())
        costs.setdefault(found["model"], []).append(found)
    assert sorted(costs) == ["gru", "transformer"] and all(len(v) == 2 for v in costs.values())
    memory = {m: found[0]["memory_bytes"] / 1000 for m, found in costs.items()}  # kB
    roomy = ("--max-step-ms", "1000", "--max-memory-kb", str(2 * max(memory.values())))
    listed = run_cli("seqbench.cli", "choose", str(sweep), "--data", "watch", *roomy, env=ENV)
    assert listed.returncode == 0, listed.stderr[-3000:]
    rows = [line.split()[0] for line in listed.stdout.splitlines() if line.startswith("  ")][1:]
    by_size = sorted(costs, key=lambda m: (costs[m][0]["parameters"], costs[m][0]["state_bytes"]))
    assert rows == by_size  # simplest first, from the measured parameters and state
    assert "choose " in listed.stdout or "too unsettled to choose" in listed.stdout
    small, large = sorted(memory, key=memory.get)
    between = str((memory[small] + memory[large]) / 2)
    tight = run_cli("seqbench.cli", "choose", str(sweep), "--data", "watch",
                    "--max-memory-kb", between, env=ENV)  # fmt: skip
    assert tight.returncode == 0, tight.stderr[-3000:]
    assert f"left out: {large} (memory" in tight.stdout
    nothing = run_cli("seqbench.cli", "choose", str(sweep), "--data", "watch",
                      "--max-memory-kb", str(memory[small] / 2), env=ENV)  # fmt: skip
    assert nothing.returncode == 1 and "nothing fits" in nothing.stdout
