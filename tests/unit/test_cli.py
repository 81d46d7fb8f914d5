"""The `seqbench` command table (COMMANDS, then each lesson's own commands from the lesson
registry): every command is `seqbench <name>`, `seqbench --help` lists them all, and the
console scripts are aliases of its entries."""

import re
import tomllib

from helpers.cli import ROOT, run_cli

from seqbench.cli.main import COMMANDS, _together, _train, _tune
from seqbench.lessons.registry import LESSONS

TABLE = {c.name for c in COMMANDS} | {c for lesson in LESSONS.values() for c in lesson.commands}

EVERY = {  # the commands a user has, from README, dvc.yaml and the console scripts
    "fetch", "train", "together", "report", "describe", "check-params", "stream-bench",
    "cost-bench", "generate", "text-lessons", "memory-data", "context", "tune", "text-baselines",
    "export", "deploy", "choose",
}  # fmt: skip


def test_seqbench_help_lists_every_command():
    result = run_cli("seqbench.cli", "--help")
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("positional arguments:")[1].split("options:")[0]
    listed = set(re.findall(r"^    ([a-z][a-z-]+)", table, re.M))
    assert listed == EVERY == TABLE, result.stdout


def test_every_seqbench_command_in_the_readme_and_dvc_yaml_is_in_the_table():
    readme = (ROOT / "README.md").read_text()
    code = re.findall(r"```.*?```|`[^`\n]+`", readme, re.S)  # commands, not prose
    text = re.sub(r"#.*", "", "\n".join(code) + (ROOT / "dvc.yaml").read_text())
    used = set(re.findall(r"(?:^|[`\s])seqbench ([a-z][a-z-]+)", text, re.M))
    assert used <= TABLE, used


def test_the_console_scripts_are_aliases_of_table_entries():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {
        "seqbench": "seqbench.cli.main:main",
        "seqbench-train": "seqbench.train:main",
        "seqbench-together": "seqbench.launch.together:main",
    }
    assert {c.name: c.run for c in COMMANDS if c.passthrough} == {
        "train": _train,
        "together": _together,
        "tune": _tune,  # no console script: its own parser, so overrides can follow `--`
    }


def test_seqbench_together_reads_its_arguments_as_seqbench_together_does():
    """A mistake in the arguments: the same one line, the same exit status, either way in."""
    alias = run_cli("seqbench.cli", "together", "seed=0", "seed=1")
    script = run_cli("seqbench.launch.together", "seed=0", "seed=1")
    assert alias.returncode == script.returncode == 2
    assert alias.stderr == script.stderr and alias.stderr.startswith("error: ")


def test_seqbench_train_passes_hydra_flags_through():
    """`seqbench train --hydra-help` is seqbench-train's: Hydra answers, argparse does not."""
    alias = run_cli("seqbench.cli", "train", "--hydra-help")
    script = run_cli("seqbench.train", "--hydra-help")
    assert alias.returncode == script.returncode == 0, alias.stderr
    assert alias.stdout == script.stdout and "Hydra" in alias.stdout
