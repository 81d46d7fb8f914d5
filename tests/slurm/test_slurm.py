"""`hydra/launcher=slurm` on a real one-node SLURM cluster (slurmctld, slurmd, munged) in a
temporary folder: a sweep whose jobs ask for what their trainer needs (DDP through SLURM's
tasks), and a preempted job that is requeued and ends exactly as a straight run."""

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.cli import SMOKE
from helpers.slurm_cluster import Cluster, cluster_processes, missing_programs

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        bool(missing_programs()), reason=f"SLURM not installed: no {' '.join(missing_programs())}"
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="the test cluster runs as root (SlurmUser)"),
]

QUIET = ("logger=csv", "print_config=false", "callbacks.progress_bar=null")
# one thread per process, as one CPU per SLURM task: on 2 cores shared with other work, a
# 2-thread GRU whose second core is busy ran 25 times slower (measured)
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


@pytest.fixture
def cluster(tmp_path):
    """A cluster for one test; stopped, and checked gone, whether the test passed or not."""
    root = tmp_path / "slurm"
    with Cluster(root) as running:
        yield running
    assert cluster_processes(root) == [], "processes of the test cluster outlived it"


def sweep(cluster: Cluster, root: Path, raw_dir: Path, *overrides: str, **popen) -> list[str]:
    return [
        sys.executable, "-m", "seqbench.train", "-m", "hydra/launcher=slurm",
        "hydra.launcher.partition=debug", f"hydra.sweep.dir={root / 'sweep'}",
        f"paths.root_dir={root}", f"paths.raw_dir={raw_dir}", *QUIET, *overrides,
    ]  # fmt: skip


def metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


@pytest.mark.slow
def test_a_sweep_runs_through_slurm_with_requests_that_follow_the_trainer(
    cluster, tmp_path, raw_dir
):
    cmd = sweep(cluster, tmp_path, raw_dir, "data=adding", "budget=smoke", "model=rnn,lstm",
                "trainer=cpu,ddp_sim")  # fmt: skip
    result = subprocess.run(
        cmd, env=cluster.env | ONE_THREAD, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    sweep_dir = tmp_path / "sweep"
    with (sweep_dir / "sweep_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["status"] for r in rows] == ["finished"] * 4, rows
    for row in rows:
        trainer = "ddp_sim" if "trainer=ddp_sim" in row["overrides"] else "cpu"
        out = metrics(sweep_dir / row["job"])
        assert out["status"] == "finished" and out["steps"] == 20
        assert out["devices"] == (2 if trainer == "ddp_sim" else 1)
        assert out["model"] in row["overrides"] and out["data"] == "adding"
    scripts = {p.read_text() for p in (sweep_dir / ".submitit").glob("*/*_submission.sh")}
    assert len(scripts) == 2  # one job array per request: 1 task, 2 tasks
    assert not any("gpu" in script for script in scripts)  # a CPU trainer asks for no GPU
    assert sorted("--ntasks-per-node=2" in s for s in scripts) == [False, True]
    # the DDP jobs' two ranks were SLURM's two tasks, each with its own log
    ranks = [p.read_text() for p in (sweep_dir / ".submitit").glob("*/*_1_log.err")]
    assert len(ranks) == 2 and all("GLOBAL_RANK: 1, MEMBER: 2/2" in log for log in ranks)
    cluster.stop()
    assert cluster_processes(cluster.root) == []
    assert subprocess.run(["sinfo"], env=cluster.env, capture_output=True).returncode != 0


def test_a_memory_request_per_node_replaces_the_default_per_cpu(cluster, tmp_path, raw_dir):
    """hydra.launcher.mem_gb=2, the knob submitit users know first: sbatch refused it beside
    the default --mem-per-cpu ("mutually exclusive"); it now replaces that default."""
    tiny = ("data=adding", "model=rnn", *SMOKE[:5], "hydra.launcher.mem_gb=2")
    result = subprocess.run(
        sweep(cluster, tmp_path, raw_dir, *tiny),
        env=cluster.env | ONE_THREAD, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    (script,) = (tmp_path / "sweep" / ".submitit").glob("*/*_submission.sh")
    text = script.read_text()
    assert "#SBATCH --mem=2GB" in text and "--mem-per" not in text
    out = metrics(tmp_path / "sweep" / "0")
    assert out["status"] == "finished" and out["steps"] == 4


PREEMPTED = (
    "model=gru",
    "data=shakespeare",
    "budget.max_steps=200",
    "budget.val_every=10",
    "budget.val_batches=4",
    "budget.test_batches=4",
    "data.seq_len=32",
)


@pytest.mark.slow
def test_a_job_stopped_by_sigterm_is_requeued_and_ends_as_a_straight_run(
    cluster, tmp_path, raw_dir
):
    """scancel --signal=TERM, as a preemption: seqbench stops at a step, requeues the job
    through submitit, and the job resumes from last.ckpt to exactly a straight run's end."""
    straight = tmp_path / "straight"
    subprocess.run(
        [sys.executable, "-m", "seqbench.train", f"paths.root_dir={straight}",
         f"paths.raw_dir={raw_dir}", *QUIET, *PREEMPTED],
        check=True, capture_output=True, timeout=300, env=os.environ | ONE_THREAD,
    )  # fmt: skip
    log = (tmp_path / "sweep.log").open("w")
    process = subprocess.Popen(
        sweep(cluster, tmp_path, raw_dir, *PREEMPTED),
        env=cluster.env | ONE_THREAD,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    run_dir = tmp_path / "sweep" / "0"
    cluster.wait_for(lambda: (run_dir / "checkpoints" / "last.ckpt").exists(), 120, "last.ckpt")
    time.sleep(0.2)  # into the next of 20 validation intervals
    (job,) = [line.split()[0] for line in cluster.jobs()]
    cluster.run("scancel", "--signal=TERM", job, check=True)
    cluster.wait_for(lambda: [f"{job} PENDING"] == cluster.jobs(), 60, "requeued job")
    # SLURM holds a requeued job for two minutes (its BeginTime); let it start now
    cluster.run("scontrol", "update", f"JobId={job}", "StartTime=now", check=True)
    assert process.wait(timeout=300) == 0, (tmp_path / "sweep.log").read_text()[-3000:]

    log = (run_dir / "train.log").read_text()  # both attempts' (srun truncates its own)
    assert "Received SIGTERM" in log and f"requeueing job {job} with ckpt_path=last" in log
    assert "Restoring states from the checkpoint path at" in log.split("requeueing job")[1]
    a = metrics(straight / "outputs" / "shakespeare" / "gru" / "0")
    b = metrics(run_dir)
    assert b["status"] == "finished" and b["steps"] == a["steps"] == 200
    assert b["val"] == a["val"] and b["test"] == a["test"] and b["best_val"] == a["best_val"]
    curves = (run_dir / "curves.csv").read_text().splitlines()
    assert len(curves) == 21  # header + 20 validations across both attempts, none twice
    overrides = (run_dir / ".hydra" / "overrides.yaml").read_text()
    assert "ckpt_path=last" in overrides  # the second attempt resumed
