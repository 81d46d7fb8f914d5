"""seqbench-train end to end: every model on every dataset, fair sizes, resume, DDP, W&B."""

import csv
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers.cli import ROOT, one_line_error, run_cli
from helpers.refusals import FINISHED
from omegaconf import DictConfig

from seqbench import config
from seqbench.errors import ConfigError
from seqbench.train import train
from seqbench.train.build import build

MODELS = ("rnn", "lstm", "gru", "transformer")
DATASETS = ("shakespeare", "watch", "adding", "copy")


def compose_cfg(tmp_path: Path, raw_dir: Path, *overrides: str) -> DictConfig:
    base = [
        f"paths.root_dir={tmp_path}",
        f"paths.raw_dir={raw_dir}",
        "logger=csv",
        "print_config=false",
    ]
    return config.compose([*base, *overrides])


def results(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("model", MODELS)
def test_smoke_training_writes_metrics(tmp_path, raw_dir, model, data):
    cfg = compose_cfg(
        tmp_path,
        raw_dir,
        f"model={model}",
        f"data={data}",
        "budget=smoke",
        "callbacks.progress_bar=null",
    )
    best = train(cfg)
    run_dir = tmp_path / "outputs" / data / model / "0"
    out = results(run_dir)
    assert out["status"] == "finished" and out["steps"] == 20
    assert out["best_val"] == pytest.approx(best)
    assert out["monitor"] in out["val"] and out["test"]
    assert out["throughput_tokens_per_s"] > 0 and out["num_parameters"] > 1000
    curves = (run_dir / "curves.csv").read_text().splitlines()
    assert curves[0].startswith("step,time_s,val/") and len(curves) == 3
    logged = (run_dir / "csv" / "metrics.csv").read_text().splitlines()[0]
    assert "train/grad_norm" in logged and "train/tokens_per_s" in logged
    checkpoint = torch.load(run_dir / "checkpoints" / "best.ckpt", weights_only=True)
    assert checkpoint["hyper_parameters"]["num_parameters"] == out["num_parameters"]


@pytest.mark.parametrize("data", DATASETS)
def test_default_model_sizes_are_matched_within_ten_percent(tmp_path, raw_dir, data):
    counts = {}
    for model in MODELS:
        cfg = compose_cfg(tmp_path, raw_dir, f"model={model}", f"data={data}", "logger=none")
        _, task, _, _ = build(cfg, tmp_path)
        counts[model] = task.num_parameters
    low, high = min(counts.values()), max(counts.values())
    assert high <= 1.1 * low, counts
    budget = cfg.task.param_budget
    assert all(abs(n - budget) <= 0.1 * budget for n in counts.values()), counts


def test_truncated_bptt_steps_once_per_chunk(tmp_path, raw_dir):
    """seq_len 64 in chunks of 16: four optimiser steps per batch, state carried between."""
    cfg = compose_cfg(
        tmp_path,
        raw_dir,
        "model=gru",
        "data.seq_len=64",
        "task.tbptt_steps=16",
        "budget=smoke",
        "budget.max_steps=8",
        "budget.val_every=1",
        "callbacks.progress_bar=null",
    )
    train(cfg)
    out = results(tmp_path / "outputs" / "shakespeare" / "gru" / "0")
    assert out["steps"] == 8
    logged = tmp_path / "outputs" / "shakespeare" / "gru" / "0" / "csv" / "metrics.csv"
    assert out["status"] == "finished" and logged.exists()


def test_chunks_carry_targets_only_where_the_loss_is(tmp_path, raw_dir):
    cfg = compose_cfg(
        tmp_path, raw_dir, "model=lstm", "data=adding", "task.tbptt_steps=30", "logger=none"
    )
    _, task, _, _ = build(cfg, tmp_path)
    x, y = torch.zeros(2, 100, 2), torch.ones(2)
    chunks = list(task._chunks(x, y))
    assert [c[0].shape[1] for c in chunks] == [30, 30, 30, 10]
    assert [c[1] is None for c in chunks] == [True, True, True, False]


def _train_cmd(tmp_path: Path, raw_dir: Path, *overrides: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "seqbench.train",
        f"paths.root_dir={tmp_path}",
        f"paths.raw_dir={raw_dir}",
        "logger=csv",
        "print_config=false",
        "callbacks.progress_bar=null",
        *overrides,
    ]


# the run that both signals interrupt and resume (read only by the tests)
INTERRUPTED = (
    "model=gru",
    "data=shakespeare",
    "budget.max_steps=200",
    "budget.val_every=10",
    "budget.val_batches=4",
    "budget.test_batches=4",
    "data.seq_len=32",
)


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """INTERRUPTED trained without a stop, once for both signals: what a resume must match."""
    root = tmp_path_factory.mktemp("straight")
    subprocess.run(_train_cmd(root, raw_dir, *INTERRUPTED), check=True, capture_output=True)
    return root


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_and_resumed_run_matches_a_straight_run(
    tmp_path, raw_dir, straight, signum, code
):
    """Ctrl-C, and SIGTERM as a SLURM preemption sends it: the conventional exit code, one
    line saying how to resume, and the resumed run ends exactly as a straight run."""
    common = INTERRUPTED
    resumed = tmp_path / "resumed"
    # Python only turns SIGINT into KeyboardInterrupt if SIGINT was not ignored when it
    # started, and a shell's background job (a CI runner, say) ignores it: restore it.
    process = subprocess.Popen(
        _train_cmd(resumed, raw_dir, *common),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    last = resumed / "outputs" / "shakespeare" / "gru" / "0" / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 120
    while not last.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    time.sleep(0.2)  # into the next epoch: ~190 steps (seconds) remain
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr.decode()[-2000:]
    line = one_line_error(subprocess.CompletedProcess([], code, "", stderr.decode()))
    assert f"interrupted by {signal.Signals(signum).name}" in line and "ckpt_path=last" in line
    interrupted = results(resumed / "outputs" / "shakespeare" / "gru" / "0")
    assert interrupted["status"] == "interrupted"
    logged = resumed / "outputs" / "shakespeare" / "gru" / "0" / "csv" / "metrics.csv"
    before = list(csv.DictReader(logged.open(newline="")))
    assert before, "the interrupted run flushed its CSV log"
    again = subprocess.run(
        _train_cmd(resumed, raw_dir, *common, "ckpt_path=last"), capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    a = results(straight / "outputs" / "shakespeare" / "gru" / "0")
    b = results(resumed / "outputs" / "shakespeare" / "gru" / "0")
    assert b["status"] == "finished" and b["steps"] == a["steps"] == 200
    assert b["val"] == a["val"] and b["test"] == a["test"] and b["best_val"] == a["best_val"]
    curves = (resumed / "outputs" / "shakespeare" / "gru" / "0" / "curves.csv").read_text()
    assert len(curves.splitlines()) == 21  # header + 20 validations across both processes
    flow = [
        (d / "outputs" / "shakespeare" / "gru" / "0" / "gradient_flow.csv").read_text().splitlines()
        for d in (straight, resumed)
    ]
    assert flow[1] == flow[0]  # the resumed run appended to its file, from step 0 on
    # I02/I04: the CSV log kept every row logged before the interruption, then the resume's
    after = list(csv.DictReader(logged.open(newline="")))
    assert [
        {k: row[k] for k in old} for row, old in zip(after[: len(before)], before, strict=True)
    ] == before
    straight_log = straight / "outputs" / "shakespeare" / "gru" / "0" / "csv" / "metrics.csv"
    steps = {row["step"] for row in csv.DictReader(straight_log.open(newline=""))}
    assert steps <= {row["step"] for row in after} and len(after) > len(before)


@pytest.mark.slow
def test_ddp_sim_trains_on_two_processes_and_logs_once(tmp_path, raw_dir):
    result = subprocess.run(
        _train_cmd(tmp_path, raw_dir, "trainer=ddp_sim", "data=watch", "model=gru", "budget=smoke"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in result.stderr + result.stdout
    run_dir = tmp_path / "outputs" / "watch" / "gru" / "0"
    out = results(run_dir)
    assert out["status"] == "finished" and out["devices"] == 2 and out["steps"] == 20
    assert len(list(tmp_path.rglob("metrics.csv"))) == 1  # only rank 0 logs


@pytest.mark.slow
def test_seqbench_train_starts_its_ddp_ranks_as_seqbench_train(tmp_path, raw_dir):
    """Lightning restarts the other ranks from sys.argv (or ``python -m``'s module): through
    `seqbench train` they must start seqbench-train, not `seqbench` without its `train`
    (before the command table, rank 1 died on argparse and rank 0 waited for it forever)."""
    cmd = _train_cmd(tmp_path, raw_dir, "trainer=ddp_sim", "data=watch", "model=gru")
    cmd[2:3] = ["seqbench.cli", "train"]
    result = subprocess.run(
        [
            *cmd,
            "budget=smoke",
            "budget.max_steps=2",
            "budget.val_every=2",
            "budget.val_batches=1",
            "budget.test_batches=1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in result.stderr + result.stdout
    out = results(tmp_path / "outputs" / "watch" / "gru" / "0")
    assert out["status"] == "finished" and out["devices"] == 2 and out["steps"] == 2


@pytest.mark.slow
def test_wandb_runs_offline_without_credentials_and_keeps_keys_out(tmp_path, raw_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
    env |= {
        "WANDB_API_KEY": "sk-not-a-real-key-0123456789",
        "WANDB_MODE": "offline",
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        _train_cmd(tmp_path, raw_dir, "logger=wandb", "data=adding", "model=gru", "budget=smoke"),
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = tmp_path / "outputs" / "adding" / "gru" / "0"
    offline = list((run_dir / "wandb").glob("offline-run-*"))
    assert len(offline) == 1 and list(offline[0].glob("*.wandb"))
    # the gradient-flow profile goes to W&B as a table at init, each validation and the end
    tables = sorted(offline[0].glob("files/media/table/grad_flow/profile_*.table.json"))
    assert len(tables) == 3
    profile = json.loads(tables[-1].read_text())
    assert profile["columns"] == ["distance", "norm"] and len(profile["data"]) == 100
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"sk-not-a-real-key" not in path.read_bytes(), path
    assert "sk-not-a-real-key" not in result.stdout + result.stderr

    # a run that fails still closes its W&B run (and says why in metrics.json)
    failing = subprocess.run(
        _train_cmd(
            tmp_path,
            raw_dir,
            "logger=wandb",
            "data=adding",
            "model=rnn",
            "seed=1",
            "model.activation=relu",
            "optimizer.lr=1e12",
            "task.grad_clip=null",
            "budget=smoke",
        ),
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert failing.returncode == 1
    assert "error: run failed: training loss is" in failing.stderr
    failed_dir = tmp_path / "outputs" / "adding" / "rnn" / "1"
    assert results(failed_dir)["status"] == "failed"
    (log,) = failed_dir.glob("wandb/offline-run-*/logs/debug.log")
    assert "finishing run" in log.read_text()


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "model=lstmm",
            "unknown model 'lstmm'; valid choices: gru, irnn, lru, lstm, mamba, mingru, minlstm, "
            "retnet, rnn, rnn_relu, transformer, transformer_pp, xlstm",
        ),
        ("trainer=tpu", "unknown trainer 'tpu'; valid choices: cpu, ddp, ddp_sim, gpu"),
        ("model.hidden_size=0", "model.hidden_size must be an integer >= 1 or null, got 0"),
        ("model.hidden_size=abc", "model.hidden_size must be an integer >= 1 or null"),
        ("model.dropout=1.5", "model.dropout must be a number >= 0.0 and < 1.0, got 1.5"),
        ("data.seq_len=99999999", "data.seq_len=99999999 is out of range; valid: 1.."),
        ("model.hiden_size=3", "hiden_size"),
        ("optimizer.lr=-1", "optimizer.lr must be a number"),
        ("compile=maybe", "compile must be true or false"),
        ("compile=1", "compile must be true or false"),
        *(
            pytest.param(
                f"trainer={trainer}",
                "use trainer=cpu, or trainer=ddp_sim",
                marks=pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here"),
            )
            for trainer in ("gpu", "ddp")
        ),
    ],
)
def test_bad_config_ends_in_one_clear_line(tmp_path, raw_dir, override, expected):
    result = run_cli(
        "seqbench.train",
        f"paths.root_dir={tmp_path}",
        f"paths.raw_dir={raw_dir}",
        "logger=none",
        "print_config=false",
        override,
    )
    assert result.returncode == 2
    assert expected in one_line_error(result)
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").rglob("*.ckpt"))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["model=rnn_relu", "model.activation=sigmoid"], "model.activation='sigmoid' is not valid"),
        (["model=irnn", "model.init=orthogonal"], "model.init='orthogonal' is not valid"),
        (["model=irnn", "model.activation=tanh"], "model.init=identity (IRNN) needs"),
        (["model=rnn_relu", "model.num_layers=0"], "model.num_layers must be an integer >= 1"),
        (["model=lstm", "model.forget_bias=high"], "model.forget_bias must be a number"),
        (["model=transformer", "model.ffn_mult=0"], "model.ffn_mult must be an integer >= 1"),
    ],
)
def test_every_model_option_is_checked_whichever_model_sets_it(tmp_path, overrides, expected):
    cfg = compose_cfg(tmp_path, tmp_path / "no-data", *overrides)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        config.validate(cfg)


def test_an_existing_run_is_not_overwritten(tmp_path, raw_dir):
    run_dir = tmp_path / "outputs" / "watch" / "lstm" / "0"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "metrics.json").write_text('{"status": "finished"}')
    result = run_cli(
        "seqbench.train",
        f"paths.root_dir={tmp_path}",
        f"paths.raw_dir={raw_dir}",
        "data=watch",
        "logger=none",
    )
    assert result.returncode == 2
    assert "already holds a run; resume it with ckpt_path=last" in one_line_error(result)
    assert (run_dir / "metrics.json").read_text() == '{"status": "finished"}'
    missing = run_cli(
        "seqbench.train",
        f"paths.root_dir={tmp_path}",
        "data=adding",
        "ckpt_path=last",
        "logger=none",
    )
    assert "ckpt_path=last but" in one_line_error(missing)

    (run_dir / "checkpoints" / "best.ckpt").write_text("an older run's checkpoint")
    (run_dir / "gradient_flow.csv").write_text("step,distance,norm\n999,1,0.5\n")
    replaced = run_cli(
        "seqbench.train",
        f"paths.root_dir={tmp_path}",
        f"paths.raw_dir={raw_dir}",
        "data=watch",
        "logger=none",
        "budget=smoke",
        "overwrite=true",
        "print_config=false",
        "callbacks.progress_bar=null",
    )
    assert replaced.returncode == 0, replaced.stderr[-2000:]
    assert results(run_dir)["status"] == "finished"
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["best.ckpt", "last.ckpt"]
    flow = (run_dir / "gradient_flow.csv").read_text().splitlines()
    assert flow[0] == "step,distance,norm" and not any(row.startswith("999,") for row in flow)
    assert sum(row.startswith("0,1,") for row in flow) == 1  # one init profile, not appended


def test_nan_loss_fails_the_run_with_a_reason(tmp_path, raw_dir):
    cfg = compose_cfg(
        tmp_path,
        raw_dir,
        "data=adding",
        "model=rnn",
        "model.activation=relu",
        "optimizer.lr=1e12",
        "task.grad_clip=null",
        "budget=smoke",
        "callbacks.progress_bar=null",
    )
    with pytest.raises(FloatingPointError, match=r"lower optimizer\.lr"):
        train(cfg)
    out = results(tmp_path / "outputs" / "adding" / "rnn" / "0")
    assert out["status"] == "failed" and "training loss is" in out["reason"]


def test_a_deferred_loss_check_names_the_first_bad_step_and_keeps_no_bad_checkpoint(
    tmp_path, raw_dir, monkeypatch
):
    """On a GPU the loss is checked every few steps (no host sync per step): the error must
    still name the first non-finite step, and no checkpoint may hold weights from after it."""
    from seqbench.tasks.base import SequenceTask

    reasons = {}
    for every in (1, 7):
        monkeypatch.setattr(SequenceTask, "check_finite_every", every)
        cfg = compose_cfg(
            tmp_path / str(every), raw_dir, "data=adding", "model=rnn", "model.activation=relu",
            "optimizer.lr=1e12", "task.grad_clip=null", "budget=smoke",
            "callbacks.progress_bar=null", "budget.val_every=2",
        )  # fmt: skip
        with pytest.raises(FloatingPointError, match=r"lower optimizer\.lr"):
            train(cfg)
        run_dir = tmp_path / str(every) / "outputs" / "adding" / "rnn" / "0"
        reasons[every] = results(run_dir)["reason"]
        for ckpt in run_dir.glob("checkpoints/*.ckpt"):
            weights = torch.load(ckpt, weights_only=True)["state_dict"]
            assert all(torch.isfinite(w).all() for w in weights.values()), ckpt
    assert reasons[7] == reasons[1] and "at step" in reasons[1]


def test_main_config_prints_as_a_tree_without_secrets(tmp_path, raw_dir):
    cfg = compose_cfg(tmp_path, raw_dir, "+logger.wandb_extra.api_key=hunter2")
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(config.tree(cfg))
    text = console.export_text()
    assert "hunter2" not in text and "***" in text and "model" in text
    assert str(ROOT)  # the tree renders from the package's conf/


def test_truncated_bptt_carries_the_state_detached(tmp_path, raw_dir, monkeypatch):
    """Chunk k+1 starts from chunk k's final state, cut from the graph (no gradient path)."""
    cfg = compose_cfg(
        tmp_path,
        raw_dir,
        "model=lstm",
        "data.seq_len=48",
        "task.tbptt_steps=16",
        "budget=smoke",
        "budget.max_steps=3",
        "budget.val_every=1",
        "callbacks.progress_bar=null",
        "logger=none",
    )
    import lightning as L

    L.seed_everything(0)
    datamodule, task, trainer, _ = build(cfg, tmp_path)
    seen, forward = [], task.backbone.forward

    def spy(x, state=None):
        out, new = forward(x, state)
        seen.append((state, new))
        return out, new

    monkeypatch.setattr(task.backbone, "forward", spy)
    trainer.fit(task, datamodule=datamodule)
    training = seen[:3]  # the first batch: three chunks of 16 steps
    assert training[0][0] is None
    for (_, previous), (incoming, _) in itertools.pairwise(training):
        assert all(not s.requires_grad for s in incoming)
        assert all(torch.equal(a, b.detach()) for a, b in zip(incoming, previous, strict=True))
    assert trainer.global_step == 3


@pytest.mark.slow
def test_resuming_from_a_foreign_or_broken_checkpoint_is_one_line(tmp_path, raw_dir, project):
    """Another dataset's checkpoint (another vocabulary), another model's, or random bytes:
    refused before training, the refused run directory left without results."""
    small = ("budget=smoke", "budget.max_steps=2", "budget.val_every=2", "budget.val_batches=1")
    # the session's template run (copy, gru), only read: a run trained for this test alone
    # cost a subprocess of seconds
    foreign = project / FINISHED / "checkpoints" / "last.ckpt"
    noise = tmp_path / "noise.ckpt"
    noise.write_bytes(os.urandom(4096))
    another = "was trained with another model, size or dataset"
    cases = [
        (foreign, ["data=shakespeare", "model=gru"], "holds a 'seqbench.tasks.memory.Copy' task"),
        (foreign, ["data=copy", "model=lstm"], another),
        (foreign, ["data=copy", "model=gru", "model.hidden_size=8"], another),
        (noise, ["data=copy", "model=gru"], "is not a readable seqbench checkpoint"),
    ]
    for i, (ckpt, overrides, expected) in enumerate(cases):
        root = tmp_path / f"b{i}"
        result = subprocess.run(
            _train_cmd(root, raw_dir, *overrides, f"ckpt_path={ckpt}", *small),
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr[-2000:]
        assert expected in one_line_error(result)
        assert not list(root.rglob("metrics.json"))
