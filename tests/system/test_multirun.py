"""Hydra multirun grids, multirun x DDP (the relaunch trap) and torchrun, on CPU."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = (
    "data=watch",
    "budget=smoke",
    "budget.max_steps=4",
    "budget.val_every=2",
    "budget.val_batches=2",
    "budget.test_batches=2",
    "print_config=false",
    "callbacks.progress_bar=null",
)


def train_cmd(root: Path, raw_dir: Path, *overrides: str, multirun: bool = False) -> list[str]:
    return [
        sys.executable,
        "-m",
        "seqbench.train",
        *(["--multirun"] if multirun else []),
        f"paths.root_dir={root}",
        f"paths.raw_dir={raw_dir}",
        *TINY,
        *overrides,
    ]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
    result = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env | {"WANDB_MODE": "offline"},
        **kwargs,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def summary(sweep_dir: Path) -> list[dict]:
    with (sweep_dir / "sweep_summary.csv").open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_grid_runs_every_combination_in_one_sweep_and_one_wandb_group(tmp_path, raw_dir):
    sweep = tmp_path / "sweep"
    run(
        train_cmd(
            tmp_path,
            raw_dir,
            "model=gru,rnn_relu",
            "seed=0,1",
            "logger=wandb",
            "model.hidden_size=16",
            f"hydra.sweep.dir={sweep}",
            "optimizer.lr=0.003,1e30",  # no run refuses it, but a ReLU RNN's loss is NaN
            multirun=True,
        )
    )
    rows = summary(sweep)
    assert len(rows) == 8
    finished = [r for r in rows if r["status"] == "finished"]
    failed = [r for r in rows if r["status"] != "finished"]
    assert len(finished) == 6 and len(failed) == 2  # the NaN jobs fail, the rest go on
    assert all("model=rnn_relu" in r["overrides"] for r in failed)
    assert all("training loss is nan" in r["reason"] for r in failed)
    groups = {
        json.loads((sweep / r["job"] / "metrics.json").read_text())["wandb_group"] for r in finished
    }
    assert groups == {"sweep"}
    assert all(list((sweep / r["job"] / "wandb").glob("offline-run-*")) for r in finished)


@pytest.mark.slow
def test_multirun_with_ddp_trains_each_job_once_per_rank(tmp_path, raw_dir):
    sweep = tmp_path / "sweep"
    result = run(
        train_cmd(
            tmp_path,
            raw_dir,
            "model=gru,lstm",
            "trainer=ddp_sim",
            "logger=csv",
            f"hydra.sweep.dir={sweep}",
            multirun=True,
        )
    )
    output = result.stdout + result.stderr
    assert output.count("GLOBAL_RANK: 1, MEMBER: 2/2") == 2  # one child per job, not a sweep
    assert output.count("Launching 2 jobs locally") == 1
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == ["0", "1"]
    for job, model in (("0", "gru"), ("1", "lstm")):
        swept = json.loads((sweep / job / "metrics.json").read_text())
        alone_root = tmp_path / f"alone-{model}"
        run(train_cmd(alone_root, raw_dir, f"model={model}", "trainer=ddp_sim", "logger=csv"))
        alone = json.loads(
            (alone_root / "outputs" / "watch" / model / "0" / "metrics.json").read_text()
        )
        assert swept["devices"] == alone["devices"] == 2
        assert swept["val"] == alone["val"] and swept["test"] == alone["test"]


@pytest.mark.slow
def test_torchrun_two_processes_share_one_run_directory(tmp_path, raw_dir):
    torchrun = Path(sys.executable).with_name("torchrun")
    result = run(
        [
            str(torchrun),
            "--nnodes",
            "1",
            "--nproc_per_node",
            "2",
            "-m",
            "seqbench.train",
            f"paths.root_dir={tmp_path}",
            f"paths.raw_dir={raw_dir}",
            *TINY,
            "trainer=ddp_sim",
            "model=gru",
            "logger=csv",
        ]
    )
    output = result.stdout + result.stderr
    assert "GLOBAL_RANK: 0, MEMBER: 1/2" in output and "GLOBAL_RANK: 1, MEMBER: 2/2" in output
    out = json.loads((tmp_path / "outputs" / "watch" / "gru" / "0" / "metrics.json").read_text())
    assert out["status"] == "finished" and out["devices"] == 2
    assert len(list(tmp_path.rglob("metrics.csv"))) == 1  # only rank 0 logs


@pytest.mark.slow
def test_parallel_jobs_into_named_run_dirs_are_summarised_from_there(tmp_path, raw_dir):
    """docs/scaling.md's several-runs-on-one-GPU command, on CPU: joblib workers, each job in the
    run directory the DVC stage would use, and the sweep summary finds every job's results."""
    sweep_dir = tmp_path / "sweep"
    run_dir = f"{tmp_path}/runs/${{data.name}}/${{model.name}}/${{seed}}"
    run(train_cmd(
        tmp_path, raw_dir, "hydra/launcher=parallel", "hydra.launcher.n_jobs=2",
        "model=rnn,gru", f"paths.run_dir={run_dir}", f"hydra.sweep.dir={sweep_dir}",
        "logger=csv", multirun=True,
    ))  # fmt: skip
    rows = summary(sweep_dir)
    assert [row["status"] for row in rows] == ["finished", "finished"], rows
    for model in ("rnn", "gru"):
        metrics = json.loads(
            (tmp_path / "runs" / "watch" / model / "0" / "metrics.json").read_text()
        )
        assert metrics["status"] == "finished" and metrics["model"] == model


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_torchrun_over_two_nodes_matches_two_processes_on_one(tmp_path, raw_dir):
    """docs/scaling.md's multi-node command with two "nodes" on 127.0.0.1 (one process each)
    trains one run, ending exactly as --nproc_per_node 2 on one node."""
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    common = (*TINY, "trainer=ddp_sim", "model=gru", "logger=csv", f"paths.raw_dir={raw_dir}")
    port = free_port()

    def node(rank: int) -> subprocess.Popen:
        return subprocess.Popen(
            [torchrun, "--nnodes", "2", "--node_rank", str(rank), "--nproc_per_node", "1",
             "--master_addr", "127.0.0.1", "--master_port", str(port),
             "-m", "seqbench.train", *common, "trainer.devices=1", "trainer.num_nodes=2",
             f"paths.root_dir={tmp_path / 'two-nodes'}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=os.environ | {"WANDB_MODE": "offline"},
        )  # fmt: skip

    nodes = [node(0), node(1)]
    outputs = [node.communicate(timeout=600)[0] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in outputs[1]
    run([torchrun, "--nnodes", "1", "--nproc_per_node", "2", "--master_port", str(free_port()),
         "-m", "seqbench.train", *common, f"paths.root_dir={tmp_path / 'one-node'}"])  # fmt: skip
    two, one = (
        json.loads((tmp_path / root / "outputs/watch/gru/0/metrics.json").read_text())
        for root in ("two-nodes", "one-node")
    )
    assert two["status"] == one["status"] == "finished" and two["devices"] == one["devices"] == 2
    assert two["val"] == one["val"] and two["test"] == one["test"]
    assert two["best_val"] == one["best_val"] and two["steps"] == one["steps"]
