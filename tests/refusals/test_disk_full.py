"""A full or read-only disk, for real: small tmpfs mounts (we run as root; skipped with the
reason where mounting is not allowed). Whatever fills up, the previous checkpoint and results
survive, no temporary file is left, and the user reads one line saying what to do."""

import contextlib
import errno
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from helpers.refusals import TRAIN, digest, seqbench

from seqbench import rundir
from seqbench.callbacks.atomic_checkpoint import AtomicCheckpointIO
from seqbench.safety import atomic

SMOKE = (*TRAIN, "data=copy", "model=gru", "budget=smoke", "data.batch_size=8")
SMOKE += ("budget.val_batches=2", "budget.test_batches=2")


@contextlib.contextmanager
def tmpfs(folder: Path, size: str):
    """A tmpfs of ``size`` (mount's units, e.g. 64k) at ``folder``, unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'not root'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)


def fill(folder: Path) -> None:
    """Take the disk's last free byte."""
    with contextlib.suppress(OSError), (folder / "filler").open("wb", buffering=0) as handle:
        while True:
            handle.write(b"\0" * 4096)


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(f"*{atomic.PARTIAL}")]


def error_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr[-3000:]
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_metrics_on_a_full_disk_keep_the_old_file_and_leave_nothing(tmp_path):
    with tmpfs(tmp_path / "disk", "64k") as disk:
        rundir.write_metrics(disk, {"status": "running"})
        fill(disk)
        with pytest.raises(OSError) as raised:
            rundir.write_metrics(disk, {"status": "finished", "padding": "x" * 20000})
        assert raised.value.errno == errno.ENOSPC
        assert raised.value.filename == str(disk / rundir.METRICS)
        assert json.loads((disk / rundir.METRICS).read_text()) == {"status": "running"}
        assert leftovers(disk) == []


def test_a_checkpoint_on_a_full_disk_keeps_the_previous_one(tmp_path):
    io = AtomicCheckpointIO()
    with tmpfs(tmp_path / "disk", "256k") as disk:
        path = disk / "checkpoints" / "last.ckpt"
        io.save_checkpoint({"step": 1, "w": torch.zeros(1000)}, path)
        fill(disk)
        with pytest.raises(OSError) as raised:
            io.save_checkpoint({"step": 2, "w": torch.ones(20000)}, path)
        assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(path)
        assert io.load_checkpoint(path, weights_only=True)["step"] == 1
        assert leftovers(disk) == []


@pytest.mark.parametrize("strategy", ["auto", "ddp", "ddp_spawn"])
def test_every_strategy_saves_through_the_atomic_writer(strategy):
    import lightning as L

    devices = 1 if strategy == "auto" else 2
    trainer = L.Trainer(
        accelerator="cpu",
        devices=devices,
        strategy=strategy,
        plugins=[AtomicCheckpointIO()],
        logger=False,
        enable_progress_bar=False,
    )
    assert isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)


def test_training_into_a_full_disk_ends_in_one_line_and_resumes(project, tmp_path):
    """The first round of checkpoints fits, the second does not: exit 1 and one line; the
    first round's checkpoints are intact; with space freed, ckpt_path=last finishes."""
    work = tmp_path / "project"
    shutil.copytree(project, work)
    size = rundir.checkpoint(project / "outputs" / "copy" / "gru" / "0").stat().st_size
    before = digest(work)
    with tmpfs(work / "disk", f"{(2 * size + 300_000) // 1024}k") as disk:
        run = disk / "run"
        result = seqbench(work, *SMOKE, f"paths.run_dir={run}", timeout=300)
        assert result.returncode == 1, result.stderr[-3000:]
        [line] = error_lines(result.stderr)
        assert f"the disk holding {run / rundir.CHECKPOINTS} is full" in line
        assert "free space there, then resume with ckpt_path=last" in line
        last = torch.load(rundir.checkpoint(run, rundir.LAST), weights_only=True)
        best = torch.load(rundir.checkpoint(run), weights_only=True)
        assert last["global_step"] == best["global_step"] == 10  # the first round, whole
        assert leftovers(disk) == []
        remount(disk, "size=16m")
        resumed = seqbench(work, *SMOKE, f"paths.run_dir={run}", "ckpt_path=last", timeout=300)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        metrics = rundir.read_metrics(run)
        assert metrics["status"] == "finished" and metrics["steps"] == 20
    after = digest(work)
    assert {path: after.get(path) for path in before} == before


def test_fetch_into_a_full_disk_keeps_the_previous_snapshot(project, tmp_path):
    work = tmp_path / "project"
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("raw"))
    size = sum(f.stat().st_size for f in (project / "data" / "raw" / "copy").rglob("*"))
    with tmpfs(work / "data" / "raw", f"{(size * 3 // 2) // 1024}k") as raw:
        shutil.copytree(project / "data" / "raw" / "copy", raw / "copy")
        before = digest(raw)
        result = seqbench(work, "fetch", "copy", timeout=300)
        assert result.returncode == 1, result.stderr[-3000:]
        [line] = error_lines(result.stderr)
        assert "is full" in line and "free space there and try again" in line
        assert digest(raw) == before  # the old snapshot as it was, nothing beside it
        assert sorted(p.name for p in raw.iterdir()) == ["copy"]


def test_fd5_a_full_raw_dir_elsewhere_is_named_with_its_own_free_space(project, tmp_path):
    """FD5: `--raw-dir` on another (full) disk: the line names that folder and that disk's
    free space, not the project's disk."""
    work = tmp_path / "project"
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("raw", "runs"))
    with tmpfs(tmp_path / "small", "256k") as disk:
        raw = disk / "raw"
        result = seqbench(work, "fetch", "copy", "--raw-dir", str(raw), timeout=300)
        assert result.returncode == 1, result.stderr[-3000:]
        [line] = error_lines(result.stderr)
        assert f"the disk holding {raw} is full (no space left writing copy;" in line, line
        free = line.split("; ")[1].split(" free")[0]
        assert free.endswith((" B", " KB")), line  # the tmpfs's, not the project disk's GBs
        assert list(raw.iterdir()) == []  # nothing half-written left


def test_fetch_onto_a_read_only_disk_is_refused_in_one_line(project, tmp_path):
    work = tmp_path / "project"
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("raw"))
    with tmpfs(work / "data" / "raw", "1m") as raw:
        remount(raw, "ro")
        result = seqbench(work, "fetch", "copy", timeout=300)
        assert result.returncode == 2, result.stderr[-3000:]
        [line] = error_lines(result.stderr)
        assert "read-only file system" in line and "data/raw" in line


def test_a_quota_reads_like_a_full_disk_even_when_wrapped(tmp_path):
    """EDQUOT needs quota rights this machine may not give: the error itself, wrapped as a
    library wraps it, is what the entry points see."""
    from seqbench.safety import storage

    quota = OSError(errno.EDQUOT, "Disk quota exceeded", str(tmp_path / "last.ckpt"))
    try:
        raise RuntimeError("saving failed") from quota
    except RuntimeError as wrapped:
        problem = storage.explain(wrapped, then="resume with ckpt_path=last")
    assert problem is not None and problem.code == 1
    assert f"the disk holding {tmp_path} is full (quota exceeded writing last.ckpt" in str(problem)
    assert storage.explain(RuntimeError("no disk involved")) is None


def test_fd4_a_report_onto_a_full_disk_is_exit_1_and_keeps_the_previous_report(project, tmp_path):
    """All three files or none: the previous report stays whole (not new HTML beside old
    Markdown), no temporary file is left, and the line says the disk is full (exit 1)."""
    work = tmp_path / "project"
    shutil.copytree(project, work)
    with tmpfs(work / "disk", "3m") as disk:
        first = seqbench(work, "report", "outputs", "--out", str(disk / "rep"))
        assert first.returncode == 0, first.stderr[-3000:]
        before = digest(disk / "rep")
        fill(disk)
        result = seqbench(work, "report", "outputs", "--out", str(disk / "rep"))
        assert result.returncode == 1, result.stderr[-3000:]
        [line] = error_lines(result.stderr)
        assert f"the disk holding {disk / 'rep'} is full" in line and "free space" in line
        assert digest(disk / "rep") == before
        assert leftovers(disk) == []
