"""Refusals around a run: its folder, its overrides and its checkpoint (see
tests/helpers/refusals.py for what every case asserts: the exit code, one error line, no traceback,
and no file that existed changed; ``writes=False``: no file added either)."""

import json
import shutil

import pytest
from helpers.refusals import FINISHED, TRAIN, Case, check, seqbench

from seqbench.errors import ConfigError
from seqbench.train import precheck

SMOKE = ("data=copy", "model=gru", "budget=smoke")
LONG_NAME = "x" * 300
STUDY = ("experiment=long_memory", "data=adding", "model=lstm", "paths.raw_dir=data/raw")


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

PIPELINE_RUN = "runs/adding/lstm/0"  # a folder the DVC pipeline's train stage writes


def link(name: str, target: str):
    """A prepare step: a symbolic link ``name`` -> ``target`` in the project."""
    return lambda project: (project / name).symlink_to(target)


def pipeline_run(project):
    """A prepare step: a finished run where the DVC pipeline keeps one."""
    shutil.copytree(project / FINISHED, project / PIPELINE_RUN)


def former_run(below: str):
    """A prepare step: the finished run where seqbench put runs trained by hand before they
    moved from runs/ to outputs/ (runs/<below>), with nothing at outputs/<below>."""
    return lambda project: shutil.copytree(project / FINISHED, project / "runs" / below)


def loop(project):
    link("loop-a", "loop-b")(project)
    link("loop-b", "loop-a")(project)


BLANK = "paths.run_dir is blank"
PROJECT = "is the project folder"
PLACES = [  # run folders that are not a run's own: refused before Hydra writes anything
    Case("C106-hydra-run-dir-empty", (*TRAIN, "hydra.run.dir="), BLANK),
    Case("C115-paths-run-dir-empty", (*TRAIN, "paths.run_dir="), BLANK),
    Case("run-dir-blank", (*TRAIN, 'paths.run_dir=" "'), BLANK),
    Case("hydra-run-dir-blank", (*TRAIN, "hydra.run.dir='  '"), BLANK),
    Case("run-dir-dot", (*TRAIN, "paths.run_dir=."), PROJECT),
    Case("run-dir-dot-slash", (*TRAIN, "paths.run_dir=./"), PROJECT),
    Case("hydra-run-dir-dot", (*TRAIN, "hydra.run.dir=."), PROJECT),
    Case("run-dir-above-the-project", (*TRAIN, "paths.run_dir=.."), PROJECT),
    Case("run-dir-file-system-root", (*TRAIN, "paths.run_dir=/"), PROJECT),
    Case("run-dir-root-dir", (*TRAIN, "paths.run_dir=${paths.root_dir}"), PROJECT),
    Case("P13-run-dir-in-proc", (*TRAIN, "paths.run_dir=/proc/x"), "no folder can be made"),
    Case("run-dir-in-sys", (*TRAIN, "paths.run_dir=/sys/x"), "/sys"),
    Case("run-dir-dev-null", (*TRAIN, "paths.run_dir=/dev/null"), "is a file"),
    Case(
        "P15-run-dir-a-dangling-link",
        (*TRAIN, "paths.run_dir=dangling"),
        "which does not exist or loops",
        prepare=link("dangling", "/nonexistent/zzz"),
    ),
    Case(
        "run-dir-below-a-dangling-link",
        (*TRAIN, "paths.run_dir=dangling/run"),
        "dangling is a link to /nonexistent/zzz",
        prepare=link("dangling", "/nonexistent/zzz"),
    ),
    Case(
        "run-dir-a-link-loop",
        (*TRAIN, "paths.run_dir=loop-a/run"),
        "does not exist or loops",
        prepare=loop,
    ),
    Case("run-dir-is-the-outputs-folder", (*TRAIN, "paths.run_dir=outputs"), "holds other runs"),
    Case(
        "run-dir-is-the-pipeline-runs-folder",
        (*TRAIN, "paths.run_dir=runs"),
        "holds other runs",
        prepare=pipeline_run,
    ),
    Case(
        "run-dir-inside-a-run",
        (*TRAIN, f"paths.run_dir={FINISHED}/checkpoints"),
        "is inside the run",
    ),
    Case(
        "run-dir-inside-a-pipeline-output",
        (*TRAIN, f"paths.run_dir={PIPELINE_RUN}/checkpoints/x"),
        "is inside the run",
        prepare=pipeline_run,
    ),
    Case(
        "run-dir-is-a-pipeline-run",
        (*TRAIN, "data=adding", f"paths.run_dir={PIPELINE_RUN}"),
        "already holds a run",
        prepare=pipeline_run,
    ),
    Case(
        "P22-hydra-and-paths-run-dir-differ",
        (*TRAIN, "hydra.run.dir=outputs/p/h", "paths.run_dir=outputs/p/p"),
        "name two folders, but they are one setting",
    ),
    Case(
        "P23-second-folder-a-finished-run",
        (*TRAIN, "hydra.run.dir=outputs/p/safe", f"paths.run_dir={FINISHED}"),
        "name two folders",
    ),
    Case(
        "P24-second-folder-in-a-snapshot",
        (*TRAIN, "hydra.run.dir=outputs/p/safe", "paths.run_dir=data/raw/adding/x"),
        "name two folders",
    ),
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
    Case(
        "ckpt-path-last-of-a-run-in-the-old-default-place",
        (*TRAIN, *SMOKE[:2], "seed=1", "ckpt_path=last"),
        "runs/copy/gru/1 holds one (the default place before runs trained by hand moved to "
        "outputs/): resume it with paths.run_dir=runs/copy/gru/1",
        prepare=former_run("copy/gru/1"),
    ),
    Case(
        "ckpt-path-last-of-a-study-run-in-the-old-default-place",
        (*TRAIN, *STUDY, "ckpt_path=last"),
        "resume it with paths.run_dir=runs/memory/adding/lstm/0",
        prepare=former_run("memory/adding/lstm/0"),
    ),
    Case("ckpt-path-missing-file", (*TRAIN, "ckpt_path=nowhere.ckpt"), "does not exist"),
    Case("ckpt-path-is-a-folder", (*TRAIN, "ckpt_path=outputs"), "does not exist"),
]


@pytest.mark.parametrize("case", FOLDERS + PLACES + OVERRIDES, ids=lambda case: case.id)
def test_refused_cleanly(case, project, tmp_path):
    check(case, project, tmp_path)


def test_the_old_default_place_is_named_only_when_it_holds_a_last_checkpoint(project, tmp_path):
    """runs/copy/gru/1 with a finished run's results but no checkpoints/last.ckpt: nothing
    there to resume, so the error names no other folder."""

    def results_only(project):
        former_run("copy/gru/1")(project)
        shutil.rmtree(project / "runs" / "copy" / "gru" / "1" / "checkpoints")

    case = Case("ckpt-path-last-old-place-without-one",
                (*TRAIN, *SMOKE[:2], "seed=1", "ckpt_path=last"),
                "gru/1/checkpoints/last.ckpt does not exist; drop ckpt_path to start",
                prepare=results_only)  # fmt: skip
    assert "paths.run_dir=" not in check(case, project, tmp_path).stderr


def test_the_project_folder_by_its_absolute_path_is_refused(project, tmp_path):
    case = Case("run-dir-project-absolute", (*TRAIN, f"paths.run_dir={tmp_path / 'project'}"),
                PROJECT)  # fmt: skip
    check(case, project, tmp_path)


def test_a_search_is_not_refused_for_the_single_run_folder(project, tmp_path, monkeypatch):
    """O01/O05: a search config runs as a multirun; its jobs never write the single-run
    folder, so a finished run there (FINISHED: copy, gru, seed 0) does not refuse it."""
    shutil.copytree(project, tmp_path / "project", symlinks=True)
    monkeypatch.chdir(tmp_path / "project")
    single = ["data=copy", "model=gru"]
    with pytest.raises(ConfigError, match="already holds a run"):
        precheck.precheck(single, child_rank=False)
    search = precheck.precheck([*single, "hparams_search=recurrent"], child_rank=False)
    assert search.checked is None  # each job checks its own config and folder


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
