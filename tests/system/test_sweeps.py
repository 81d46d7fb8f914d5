"""Sweeps: the Optuna search (SQLite storage, resume, failed trials), and the launchers
(joblib in parallel, submitit on this machine, the SLURM config). Real subprocess runs at
the smoke budget on a small GRU; about two minutes on 2 CPU cores."""

import csv
import json
import os
import sqlite3
from pathlib import Path

import pytest
import yaml
from helpers.cli import one_line_error, run_cli
from hydra.utils import get_class

from seqbench import config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def tiny(root: Path, raw_dir: Path, model: str = "gru") -> list[str]:
    return [
        f"paths.root_dir={root}",
        f"paths.raw_dir={raw_dir}",
        "logger=csv",
        "print_config=false",
        "callbacks.progress_bar=null",
        "budget=smoke",
        "budget.max_steps=4",
        "budget.val_every=2",
        "budget.val_batches=1",
        "budget.test_batches=1",
        "data=watch",
        f"model={model}",
        "model.hidden_size=16",
    ]


def sweep(*args: str, timeout: float = 180):
    result = run_cli("seqbench.train", *args, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def summary(sweep_dir: Path) -> list[dict]:
    with (sweep_dir / "sweep_summary.csv").open() as handle:
        return list(csv.DictReader(handle))


def trial_states(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [row[0] for row in connection.execute("SELECT state FROM trials")]


def test_optuna_search_resumes_from_its_sqlite_study(tmp_path, raw_dir):
    sweep_dir = tmp_path / "search"
    command = [
        "hparams_search=recurrent",
        *tiny(tmp_path, raw_dir),
        f"hydra.sweep.dir={sweep_dir}",
    ]
    sweep(*command, "hydra.sweeper.n_trials=4")
    assert trial_states(sweep_dir / "optuna.db") == ["COMPLETE"] * 4
    result = sweep(*command, "hydra.sweeper.n_trials=2")  # the same study: 2 more trials
    assert "Using an existing study" in result.stdout + result.stderr
    assert trial_states(sweep_dir / "optuna.db") == ["COMPLETE"] * 6

    best = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert set(best["best_params"]) == {
        "model.num_layers",
        "model.dropout",
        "optimizer.lr",
        "task.grad_clip",
    }  # model.hidden_size was fixed on the command line
    rows = summary(sweep_dir)
    assert len(rows) == 6 and {row["status"] for row in rows} == {"finished"}
    # the value Optuna got is the job's monitored metric, val/acc for watch: maximised
    metrics = [json.loads(p.read_text()) for p in sweep_dir.glob("*/metrics.json")]
    assert {m["monitor"] for m in metrics} == {"val/acc"}
    assert best["best_value"] == pytest.approx(max(m["best_val"] for m in metrics))


def test_search_direction_follows_each_task_metric():
    """minimize for losses and val/mse, maximize for val/acc, for every dataset."""
    with config.composer() as compose:
        for search in config.group_options("hparams_search"):
            for data in config.group_options("data"):
                cfg = compose([f"hparams_search={search}", f"data={data}"], hydra_config=True)
                mode = get_class(cfg.task._target_).mode
                expected = {"min": "minimize", "max": "maximize"}[mode]
                assert cfg.hydra.sweeper.direction == expected, (search, data)
                assert cfg.hydra.sweeper.storage.endswith(f"{cfg.hydra.sweep.dir}/optuna.db")


# a learning rate no run refuses, but with which a ReLU RNN's loss is NaN at once
NAN_LR = "1e30"
FIXED = ("model.num_layers=1", "model.dropout=0.0", "task.grad_clip=1.0")  # lr alone searched


def test_failed_trial_is_marked_failed_and_the_search_goes_on(tmp_path, raw_dir):
    sweep_dir = tmp_path / "search"
    sweep(
        "-m",
        "hparams_search=recurrent",
        *tiny(tmp_path, raw_dir, model="rnn_relu"),
        f"hydra.sweep.dir={sweep_dir}",
        "hydra.sweeper.n_trials=2",
        *FIXED,
        f"optimizer.lr=choice({NAN_LR},0.001)",  # seed 0 draws 0.001, then 1e30 (NaN loss)
    )
    assert sorted(trial_states(sweep_dir / "optuna.db")) == ["COMPLETE", "FAIL"]
    rows = {row["status"]: row for row in summary(sweep_dir)}
    assert set(rows) == {"finished", "failed"}
    assert "optimizer.lr=1e+30" in rows["failed"]["overrides"]
    assert "training loss is nan" in rows["failed"]["reason"]
    best = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert best["best_params"] == {"optimizer.lr": 0.001}


def test_a_search_in_which_no_trial_finished_ends_in_one_line(tmp_path, raw_dir):
    """O06: every trial failed (each said why); the search ends with exit 1 and one line
    naming the summary, not the traceback of asking an empty study for its best trial."""
    sweep_dir = tmp_path / "search"
    result = run_cli(
        "seqbench.train", "hparams_search=recurrent", *tiny(tmp_path, raw_dir, model="rnn_relu"),
        f"hydra.sweep.dir={sweep_dir}", "hydra.sweeper.n_trials=2", *FIXED,
        f"optimizer.lr=choice({NAN_LR},1e31)", timeout=240,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Record does not exist" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors[-1] == (
        f"error: no trial of the search finished; why each failed is in "
        f"{sweep_dir / 'sweep_summary.csv'} and in each trial's metrics.json"
    )
    assert len(errors) == 3  # one per failed trial, then the search's
    assert trial_states(sweep_dir / "optuna.db") == ["FAIL", "FAIL"]
    assert [row["status"] for row in summary(sweep_dir)] == ["failed", "failed"]


def test_joblib_runs_two_jobs_in_parallel_one_thread_each(tmp_path, raw_dir):
    from joblib import Parallel, delayed

    def torch_threads() -> int:
        import torch

        return torch.get_num_threads()

    # what each job gets: loky sets OMP_NUM_THREADS = cores // n_jobs in its workers
    cores = len(os.sched_getaffinity(0))
    threads = Parallel(n_jobs=2)(delayed(torch_threads)() for _ in range(2))
    assert threads == [max(cores // 2, 1)] * 2

    sweep_dir = tmp_path / "joblib"
    result = sweep(
        "-m", "hydra/launcher=parallel", *tiny(tmp_path, raw_dir), f"hydra.sweep.dir={sweep_dir}",
        "seed=0,1",
    )  # fmt: skip
    assert "Joblib.Parallel(n_jobs=2" in result.stdout + result.stderr
    assert [row["status"] for row in summary(sweep_dir)] == ["finished", "finished"]


def test_submitit_local_runs_a_two_job_sweep(tmp_path, raw_dir):
    sweep_dir = tmp_path / "submitit"
    sweep(
        "-m", "hydra/launcher=local", *tiny(tmp_path, raw_dir), f"hydra.sweep.dir={sweep_dir}",
        "seed=0,1",
    )  # fmt: skip
    for job in ("0", "1"):
        metrics = json.loads((sweep_dir / job / "metrics.json").read_text())
        assert metrics["status"] == "finished" and metrics["seed"] == int(job)
    assert any((sweep_dir / ".submitit").iterdir())  # the jobs really went through submitit


def test_slurm_launcher_config_composes():
    overrides = [
        "hydra/launcher=slurm",
        "trainer=ddp",
        "trainer.devices=4",
        "hydra.launcher.partition=gpu",
        "hydra.launcher.timeout_min=30",
        "hydra.launcher.mem_gb=64",
    ]
    cfg = config.compose(overrides, hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert launcher.tasks_per_node == cfg.trainer.devices == 4  # one SLURM task per device
    assert launcher.gpus_per_node == 4 and launcher.nodes == 1
    assert (launcher.partition, launcher.timeout_min, launcher.mem_gb) == ("gpu", 30, 64)


@pytest.mark.parametrize(
    ("trainer", "tasks", "gpus", "nodes"),
    [
        (["trainer=cpu"], 1, None, 1),  # no GPU request at all: sbatch refuses gres on CPUs
        (["trainer=ddp_sim"], 2, None, 1),
        (["trainer=ddp_sim", "trainer.devices=1", "trainer.num_nodes=2"], 1, None, 2),
        (["trainer=gpu"], 1, 1, 1),
        (["trainer=ddp", "trainer.devices=[0,1]", "trainer.num_nodes=3"], 2, 2, 3),
    ],
)
def test_slurm_requests_follow_the_trainer(trainer, tasks, gpus, nodes):
    cfg = config.compose(["hydra/launcher=slurm", *trainer], hydra_config=True)
    launcher = cfg.hydra.launcher
    assert (launcher.tasks_per_node, launcher.gpus_per_node, launcher.nodes) == (tasks, gpus, nodes)
    assert launcher.cpus_per_task == 1 and launcher.mem_per_cpu == "2G"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("hydra/launcher=nope", "unknown hydra/launcher 'nope'"),
        ("hparams_search=nope", "unknown hparams_search 'nope'"),
    ],
)
def test_unknown_launcher_or_search_is_one_line(override, message):
    result = run_cli("seqbench.train", override, timeout=60)
    assert result.returncode == 2
    assert message in one_line_error(result)
