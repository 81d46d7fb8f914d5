"""Refusals of a sweep (-m grids, Optuna searches) and of Hydra's flags: every job of a sweep
is checked as a single run is, before Hydra writes the sweep's folder, and no flag skips the
checks (see tests/helpers/refusals.py for what every case asserts: exit 2, one error line, nothing
written or changed).

Also here: what ``--cfg``, ``--info`` and ``--help`` print keeps a secret given on the command
line out of the console, and ``seqbench-together`` checks its runs before starting any.
"""

import shutil
import subprocess
import sys

import pytest
from helpers.refusals import FINISHED, TRAIN, Case, check, digest, seqbench

M = ("train", "-m", *TRAIN[1:])  # a sweep through `seqbench train`, flags first
SEARCH = (*TRAIN, "hparams_search=recurrent", "model=gru", "data=copy", "budget=smoke")


def previous_sweep(project):
    """A sweep folder holding an earlier sweep's job 0 (a finished run)."""
    shutil.copytree(project / FINISHED, project / "multirun" / "old" / "0")


GRIDS = [
    Case(
        "M01-unknown-option-in-a-sweep",
        (*M, "model=rnn,lstmm,gru", "data=adding", "hydra.sweep.dir=multirun/M01"),
        "unknown model 'lstmm'",
    ),
    Case(
        "M04-unreadable-override",
        (*M, "model.hidden_size=[1,2", "data=adding"),
        "cannot read the override 'model.hidden_size=[1,2'",
    ),
    Case(
        "M-one-bad-job",
        (*M, "model=rnn,gru", "model.num_layers=1,0", "data=adding"),
        "sweep job 1 of 4 (model=rnn model.num_layers=0): model.num_layers must be",
    ),
    Case(
        "M-multirun-long-form",
        ("train", "--multirun", *TRAIN[1:], "data=adding", "seed=0,1", "model.hidden_size=0"),
        "sweep job 0 of 2 (seed=0): model.hidden_size must be",
    ),
    Case(
        "M-no-sweep-at-all",
        (*M, "data=adding", "model.dropout=2"),
        "logger=csv data=adding model.dropout=2): model.dropout must be a number",
    ),
    Case(
        "M-range",
        (*M, "seed=range(1,3)", "data=adding", "optimizer.lr=0"),
        "sweep job 0 of 2 (seed=1): optimizer.lr must be",
    ),
    Case(
        "M-glob-takes-a-base-file",
        (*M, "model=glob(*)", "data=adding"),
        "matches '_recurrent', a base file",
    ),
    Case(
        "M-glob-matches-nothing",
        (*M, "model=glob(lstm2*)", "data=adding"),
        "model=glob(lstm2*) matches no model",
    ),
    Case(
        "M-glob-one-bad-job",
        (*M, "model=glob(*rnn*)", "++model.activation=tanh", "data=adding"),
        "(model=irnn): model.init=identity (IRNN) needs",
    ),
    Case(
        "M-key-of-only-some-options",
        (*M, "model=rnn,irnn", "model.activation=tanh", "data=adding"),
        "Could not override 'model.activation'",
    ),
    Case(
        "M-interval-in-a-grid",
        (*M, "optimizer.lr=interval(0.1,0.2)", "data=adding"),
        "interval() needs an Optuna search",
    ),
    Case("M-sweep-without-m", (*TRAIN, "seed=0,1", "data=adding"), "seed=0,1 is a sweep: add -m"),
    Case(
        "M-sweep-over-hydra-settings",
        (*M, "hydra.job.chdir=true,false", "data=adding"),
        "Hydra's own settings cannot be swept",
    ),
    Case(
        "M-sweep-dir-holds-a-previous-sweep",
        (*M, "data=copy", "model=gru", "seed=0,1", "budget=smoke", "hydra.sweep.dir=multirun/old"),
        "sweep job 0 of 2 (seed=0): multirun/old/0 already holds a run",
        prepare=previous_sweep,
    ),
    Case(
        "M-two-jobs-one-folder",
        (*M, "data=watch", "seed=0,1", "paths.run_dir=runs/one"),
        "sweep job 1 of 2 (seed=1) and sweep job 0 of 2 (seed=0) would both run in",
    ),
    Case(
        "M-a-job-claims-a-finished-run",
        (
            *M,
            "data=copy",
            "model=gru,rnn",
            "budget=smoke",
            "paths.run_dir=outputs/${data.name}/${model.name}/${seed}",
        ),
        f"sweep job 0 of 2 (model=gru): {FINISHED} already holds a run",
    ),
    Case(
        "M-parallel-launcher",
        (*M, "hydra/launcher=parallel", "model=rnn,gru", "data=adding", "task.grad_clip=-1"),
        "sweep job 0 of 2 (model=rnn): task.grad_clip",
    ),
]

SEARCHES = [
    Case(
        "O01b-no-trials",
        (*SEARCH, "hydra.sweeper.n_trials=0"),
        "hydra.sweeper.n_trials must be an integer >= 1, got 0",
    ),
    Case(
        "O05b-negative-trials",
        (*SEARCH, "hydra.sweeper.n_trials=-1"),
        "hydra.sweeper.n_trials must be an integer >= 1, got -1",
    ),
    Case(
        "O-no-jobs-per-batch",
        (*SEARCH, "hydra.sweeper.n_jobs=0"),
        "hydra.sweeper.n_jobs must be an integer >= 1",
    ),
    Case(
        "O-failure-rate-above-one",
        (*SEARCH, "hydra.sweeper.max_failure_rate=2"),
        "hydra.sweeper.max_failure_rate must be in [0.0, 1.0]",
    ),
    Case(
        "O07-reversed-interval",
        (*SEARCH, "optimizer.lr=interval(0.1,0.01)"),
        "optimizer.lr=interval(0.1,0.01): the low end must be below the high end",
    ),
    Case(
        "O07-log-interval-from-zero",
        (*SEARCH, "optimizer.lr=tag(log,interval(0,0.01))"),
        "a log interval needs a low end > 0",
    ),
    Case(
        "O02b-search-space-as-hydra-setting",
        (*SEARCH, "hydra.sweeper.params.model.hidden_size=interval(64,32)"),
        "Hydra's own settings cannot be swept; give a search space as "
        "model.hidden_size=interval(64,32)",
    ),
    Case(
        "O03b-choice-as-hydra-setting",
        (*SEARCH, "hydra.sweeper.params.model.num_layers=choice(1,0)"),
        "Hydra's own settings cannot be swept",
    ),
    Case(
        "O04b-log-interval-as-hydra-setting",
        (*SEARCH, "hydra.sweeper.params.optimizer.lr=tag(log,interval(1e-4,1e-2))"),
        "Hydra's own settings cannot be swept",
    ),
    Case(
        "O08-unknown-key-in-the-space",
        (*SEARCH, "model.hiddn=choice(1,2)"),
        "Could not override 'model.hiddn'",
    ),
    Case(
        "O06-choices-no-run-takes",
        (*SEARCH, "model.num_layers=choice(1,0)"),
        "(model.num_layers=0): model.num_layers must be an integer >= 1",
    ),
    Case(
        "O-interval-end-no-run-takes",
        (*SEARCH, "model.dropout=interval(0.0,1.0)"),
        "(model.dropout=1.0): model.dropout must be a number >= 0.0 and < 1.0",
    ),
    Case("O-empty-range", (*SEARCH, "model.num_layers=range(3,1)"), "an empty range"),
    Case(
        "O-every-trial-in-one-folder", (*SEARCH, "paths.run_dir=runs/search"), "would both run in"
    ),
    # O01: the search's model and data name a finished run (runs/copy/gru/0), which a search
    # never writes: it is refused for its space, not for that folder
    Case(
        "O01-search-is-not-a-single-run", (*SEARCH, "task.grad_clip=choice(1.0,-1.0)"), "search job"
    ),
    Case(
        "O-search-with-m",
        ("train", "-m", *SEARCH[1:], "hydra.sweeper.n_trials=0"),
        "hydra.sweeper.n_trials must be",
    ),
]

FLAGS = [
    Case(
        "S07-cfg-checks-values",
        ("train", "--cfg", "job", "model.num_layers=0"),
        "model.num_layers must be an integer >= 1",
    ),
    Case("S07-cfg-unknown-option", ("train", "-c", "hydra", "model=lstmm"), "unknown model"),
    Case("S07-cfg-bad-kind", ("train", "--cfg", "jobs"), "argument --cfg/-c: invalid choice"),
    Case(
        "S07b-info-checks-values",
        ("train", "--info", "config", "data.batch_size=0"),
        "data.batch_size must be",
    ),
    Case("F-two-commands", ("train", "--info", "-m", "seed=0,1"), "give at most one of"),
    Case("F-resolve-alone", ("train", "--resolve", "seed=1"), "--resolve goes with --cfg"),
    Case(
        "F-rerun-a-pickle",
        ("train", "--experimental-rerun", "config.pickle"),
        "does not rerun a pickled job",
    ),
    Case(
        "F-config-dir-missing",
        ("train", "--config-dir", "my_conf", "seed=1"),
        "my_conf is not a folder",
    ),
    Case(
        "F-config-dir-unknown-option",
        ("train", "-cd", "data", "model=lstmm"),
        "unknown model 'lstmm'",
    ),
]

CASES = GRIDS + SEARCHES + FLAGS


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_refused_cleanly(case, project, tmp_path):
    check(case, project, tmp_path)


SECRET = "SEKRET_S07"


@pytest.mark.parametrize(
    "flags",
    [("--cfg", "job"), ("--cfg", "hydra"), ("-c", "all", "--resolve"), ("--info",), ("--help",)],
    ids=lambda flags: " ".join(flags),
)
def test_printing_flags_keep_a_secret_off_the_console(flags, project, tmp_path):
    """S07, S07b: the config Hydra's flags print has the secret masked; nothing is written."""
    run = tmp_path / "project"
    shutil.copytree(project, run, symlinks=True)
    before = digest(run)
    # flags last: --info takes an optional word after it
    result = seqbench(run, "train", f"+secret_token={SECRET}", "data=copy", *flags)
    assert result.returncode == 0, result.stderr[-3000:]
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "secret_token" in result.stdout  # the key is shown, its value is not
    assert digest(run) == before


def test_cfg_prints_the_config_hydra_would(project, tmp_path):
    """--cfg job: the composed job config (no hydra node), overrides applied."""
    import yaml

    result = seqbench(project, "train", "--cfg", "job", "model=gru", "model.hidden_size=24")
    assert result.returncode == 0, result.stderr[-3000:]
    shown = yaml.safe_load(result.stdout)
    assert "hydra" not in shown and shown["model"]["hidden_size"] == 24
    package = seqbench(project, "train", "--cfg", "job", "--package", "model", "model=gru")
    assert package.stdout.startswith("# @package model\n")


def test_together_checks_every_run_before_starting_any(project, tmp_path):
    """seed=0 would rerun the project's finished run: refused in one line, and seed=1 (which
    alone would start) is not started either."""
    run = tmp_path / "project"
    shutil.copytree(project, run, symlinks=True)
    before = digest(run)
    result = subprocess.run(
        [sys.executable, "-m", "seqbench.launch.together", "seed=0", "seed=1", "--",
         *TRAIN[1:], "data=copy", "model=gru", "budget=smoke"],
        capture_output=True, text=True, cwd=run, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: run seed=0: "), result.stderr
    assert "already holds a run" in lines[0]
    assert digest(run) == before
