"""Refusals around a run: its folder, its overrides and its checkpoint (see
tests/refusals.py for what every case asserts: the exit code, one error line, no traceback,
and no file that existed changed; ``writes=False``: no file added either)."""

import json

import pytest
from refusals import FINISHED, TRAIN, Case, check, seqbench

SMOKE = ("data=copy", "model=gru", "budget=smoke")
LONG_NAME = "x" * 300


def make_file(relative: str, content: bytes = b"not a folder\n"):
    """A prepare step: a file where a folder is expected."""

    def prepare(project):
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    return prepare


FOLDERS = [
    Case("rerun-a-finished-run", (*TRAIN, *SMOKE), "already holds a run; resume it with"),
    Case("rerun-it-with-another-budget", (*TRAIN, *SMOKE[:2]), "already holds a run"),
    Case(
        "paths-run-dir-names-a-finished-run",
        (*TRAIN, "data=watch", f"paths.run_dir={FINISHED}"),
        "already holds a run",
    ),
    Case(
        "hydra-run-dir-names-a-finished-run",
        (*TRAIN, "data=watch", f"hydra.run.dir={FINISHED}"),
        "already holds a run",
    ),
    Case(
        "finished-run-after-a-failed-resume",
        (*TRAIN, *SMOKE, "ckpt_path=last", "overwrite=true"),
        "ckpt_path=last but",
        prepare=lambda p: (p / FINISHED / "checkpoints" / "last.ckpt").unlink(),
    ),
    Case("data-name-climbs-out-of-runs", (*TRAIN, "data.name=../../../x"), "data.name="),
    Case("data-name-is-absolute", (*TRAIN, "data.name=/tmp/x"), "is not a plain name"),
    Case("model-name-climbs-out", (*TRAIN, "model.name=../../m"), "model.name="),
    Case("model-name-is-empty", (*TRAIN, "model.name="), "model.name="),
    Case("run-dir-inside-a-snapshot", (*TRAIN, "paths.run_dir=data/raw/copy"), "inside the data"),
    Case(
        "run-dir-deep-inside-a-snapshot",
        (*TRAIN, "paths.run_dir=data/raw/copy/train/r"),
        "inside the data folder",
    ),
    Case("run-dir-is-the-data-folder", (*TRAIN, "paths.run_dir=data/raw"), "inside the data"),
    Case(
        "run-dir-in-a-snapshot-elsewhere",
        (*TRAIN, "paths.run_dir=copy-of-shakespeare/r"),
        "inside the dataset snapshot",
        prepare=make_file("copy-of-shakespeare/provenance.json", b"{}"),
    ),
    Case("run-dir-is-a-file", (*TRAIN, "paths.run_dir=params.yaml"), "is a file, not a folder"),
    Case("run-dir-below-a-file", (*TRAIN, "paths.run_dir=params.yaml/r"), "is a file"),
    Case("run-dir-name-too-long", (*TRAIN, f"paths.run_dir=runs/{LONG_NAME}"), "too long"),
    Case("run-dir-path-too-long", (*TRAIN, "paths.run_dir=" + "/ab" * 1500), "too long"),
    Case("hydra-run-dir-is-a-file", (*TRAIN, "hydra.run.dir=data.dvc"), "is a file"),
]

OVERRIDES = [
    Case("unclosed-list", (*TRAIN, "model.hidden_size=[1,2"), "override 'model.hidden_size=[1,2'"),
    Case("no-equals-sign", (*TRAIN, "modelhidden"), "modelhidden"),
    Case("empty-key", (*TRAIN, "=5"), "=5"),
    Case("unknown-key", (*TRAIN, "model.hiden_size=8"), "hiden_size"),
    Case("unknown-group-option", (*TRAIN, "model=lstn"), "unknown model 'lstn'"),
    Case("unknown-data-option", (*TRAIN, "data=shakespear"), "unknown data 'shakespear'"),
    Case("unquoted-unicode", (*TRAIN, "+note=héllo wörld"), "note"),
    Case("unicode-in-a-group", (*TRAIN, "model=lstm™"), "quote a value with"),
    Case("missing-interpolation", (*TRAIN, "data.seq_len=${nope}"), "nope"),
    Case("delete-a-required-group", (*TRAIN, "~data"), "data"),
    Case("negative-seed", (*TRAIN, "seed=-1"), "seed must be an integer >= 0"),
    Case("text-seed", (*TRAIN, "seed=abc"), "seed must be an integer"),
    Case("overwrite-not-a-flag", (*TRAIN, *SMOKE, "overwrite=maybe"), "overwrite must be true"),
    Case("keep-going-not-a-flag", (*TRAIN, "keep_going=sometimes"), "keep_going must be"),
    Case("ckpt-path-last-without-one", (*TRAIN, "data=watch", "ckpt_path=last"), "ckpt_path=last"),
    Case("ckpt-path-missing-file", (*TRAIN, "ckpt_path=nowhere.ckpt"), "does not exist"),
    Case("ckpt-path-is-a-folder", (*TRAIN, "ckpt_path=runs"), "does not exist"),
]


@pytest.mark.parametrize("case", FOLDERS + OVERRIDES, ids=lambda case: case.id)
def test_refused_cleanly(case, project, tmp_path):
    check(case, project, tmp_path)


@pytest.mark.slow
def test_a_run_that_fails_before_its_first_step_is_recorded_and_can_be_retried(tmp_path, raw_dir):
    """Missing data is found only when the data module loads: the failure is recorded in
    metrics.json, and the same command with the data in place then simply runs."""
    (tmp_path / "data").mkdir()
    argv = (*TRAIN, "data=copy", "model=gru", "budget=smoke", "data.batch_size=8")
    failed = seqbench(tmp_path, *argv, timeout=300)
    assert failed.returncode == 2
    (line,) = [line for line in failed.stderr.splitlines() if line.strip()]
    assert "no data at" in line and "seqbench fetch copy" in line
    run = tmp_path / FINISHED
    recorded = json.loads((run / "metrics.json").read_text())
    assert recorded["status"] == "failed" and "seqbench fetch copy" in recorded["reason"]
    (tmp_path / "data" / "raw").symlink_to(raw_dir)
    retried = seqbench(tmp_path, *argv, timeout=300)
    assert retried.returncode == 0, retried.stderr[-3000:]
    assert json.loads((run / "metrics.json").read_text())["status"] == "finished"
