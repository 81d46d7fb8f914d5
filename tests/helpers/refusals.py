"""The harness of the table-driven refusal suites (tests/test_refusals_*.py): a mistaken or
hostile command, run through the real CLI in a copy of a small project, must end with the
expected exit code and exactly one `error:` line on stderr (no traceback), and must leave
every file that existed before byte for byte as it was.

A case is one row: the command line, the exit code, a fragment of the error line, and
optionally what to break in the project first (``prepare``). ``writes`` says whether the
command may add files (a failed run records its reason in metrics.json); it never may change
or delete one.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from helpers.cli import ROOT

TRAIN = ("train", "print_config=false", "callbacks.progress_bar=null", "logger=csv")
FINISHED = Path("outputs") / "copy" / "gru" / "0"  # the template project's finished run


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]  # seqbench's arguments, e.g. ("train", "model=gru")
    says: str  # a fragment of the one error line
    code: int = 2
    prepare: Callable[[Path], None] | None = None  # breaks something in the project copy
    writes: bool = False  # may add files (never change or delete one)
    env: dict = field(default_factory=dict)
    timeout: float = 120
    prefix: tuple[str, ...] = ()  # a command the CLI runs under, e.g. setpriv dropping a right


def digest(root: Path) -> dict[str, str]:
    """Every file below ``root`` by its relative path, with its content's sha256."""
    sums = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            sums[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def make_template(root: Path, raw_dir: Path) -> Path:
    """A project as a user has it: data/raw, data.dvc, params.yaml and one finished run."""
    shutil.copytree(raw_dir, root / "data" / "raw")
    for name in ("data.dvc", "params.yaml"):
        shutil.copy(ROOT / name, root / name)
    finished = seqbench(
        root,
        *TRAIN,
        "data=copy",
        "model=gru",
        "budget=smoke",
        "data.batch_size=8",
        "budget.val_batches=2",
        "budget.test_batches=2",
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return root


def seqbench(
    project: Path,
    *argv: str,
    env: dict | None = None,
    timeout: float = 120,
    prefix: tuple[str, ...] = (),
):
    """`seqbench ARGV` run in ``project`` as a user would, W&B offline and logged out
    (under ``prefix``, a command such as setpriv, when given)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB", "SEQBENCH"))}
    home = str(project.parent / "home")  # outside the project: caches are not the project's
    environment |= {"WANDB_MODE": "offline", "HOME": home} | (env or {})
    return subprocess.run(
        [*prefix, sys.executable, "-m", "seqbench.cli", *argv],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        cwd=project,
    )


def check(case: Case, template: Path, workdir: Path) -> subprocess.CompletedProcess:
    """Run ``case`` in a fresh copy of ``template``; assert the refusal and that nothing that
    existed was changed. Returns the finished process for any extra checks."""
    project = workdir / "project"
    shutil.copytree(template, project, symlinks=True)
    if case.prepare is not None:
        case.prepare(project)
    before = digest(project)
    result = seqbench(project, *case.argv, env=case.env, timeout=case.timeout, prefix=case.prefix)
    assert result.returncode == case.code, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-3000:]
    assert case.says in lines[0], lines[0]
    after = digest(project)
    changed = [path for path, sha in before.items() if after.get(path) != sha]
    assert not changed, f"changed or deleted: {changed}"
    if not case.writes:
        assert set(after) == set(before), f"written: {sorted(set(after) - set(before))}"
    return result
