"""Where configs come from and where a run goes: the configs ship inside the package, a
user's own config folder joins through Hydra's search path, and `hydra.run.dir` and
`paths.run_dir` are one setting (outputs and Hydra's .hydra/ land in the same folder)."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers.cli import ROOT, SMOKE, one_line_error, run_cli

import seqbench
from seqbench import config
from seqbench.errors import ConfigError

TINY = ("data=adding", *SMOKE)
MINE = """\
# a user's own model, kept outside the package
defaults:
  - _recurrent
_target_: seqbench.models.GRU
name: mine
hidden_size: 8
num_layers: 1
"""
READ_CONFIG = """
import json, sys
from pathlib import Path
from seqbench.rundir import read_config
print(json.dumps(read_config(Path(sys.argv[1]))))
"""


def user_conf(folder: Path) -> Path:
    """A user's config folder holding one model option, model=mine."""
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "mine.yaml").write_text(MINE)
    return folder


def train(tmp_path: Path, raw_dir: Path, *overrides: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
    return run_cli(
        "seqbench.train",
        f"paths.root_dir={tmp_path}",
        f"paths.raw_dir={raw_dir}",
        *TINY,
        *overrides,
        env=env | {"WANDB_MODE": "offline"},
        cwd=tmp_path,
        timeout=600,  # a shared machine can be slow
    )


def test_configs_ship_inside_the_package():
    package = Path(seqbench.__file__).parent
    assert package / "conf" == config.CONF_DIR and (config.CONF_DIR / "train.yaml").is_file()
    top = ROOT / "conf"  # the top-level conf/ is a link to them, not a second copy
    assert top.is_symlink() and top.resolve() == config.CONF_DIR.resolve()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "conf/**/*.yaml" in data["package-data"]["seqbench"]
    shipped = {p.suffix for p in config.CONF_DIR.rglob("*") if p.is_file()}
    assert shipped == {".yaml"}  # everything under conf/ is matched by the glob above


def test_group_check_accepts_options_on_the_search_path(tmp_path, monkeypatch):
    mine = user_conf(tmp_path / "mine")
    searchpath = f"hydra.searchpath=[file://{mine}]"
    config.check_group_overrides([searchpath, "model=mine"])
    config.check_group_overrides([searchpath, "model=gru,mine"])
    monkeypatch.chdir(tmp_path)  # Hydra reads a relative file:// against the current folder
    config.check_group_overrides(["hydra.searchpath=[file://mine]", "model=mine"])
    with pytest.raises(ConfigError, match="unknown model 'mine'; valid choices: gru, irnn"):
        config.check_group_overrides(["model=mine"])
    with pytest.raises(
        ConfigError, match=r"unknown model 'nope'; valid choices: (\w+, )*mine(, \w+)*$"
    ):
        config.check_group_overrides([searchpath, "model=nope"])


@pytest.mark.slow
def test_a_users_own_config_folder_joins_through_the_search_path(tmp_path, raw_dir):
    mine = user_conf(tmp_path / "my_conf")
    result = train(tmp_path, raw_dir, f"hydra.searchpath=[file://{mine}]", "model=mine")
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads((tmp_path / "outputs" / "adding" / "mine" / "0" / "metrics.json").read_text())
    assert out["status"] == "finished" and out["model"] == "mine" and out["hidden_size"] == 8
    refused = train(tmp_path, raw_dir, "model=mine")
    assert refused.returncode == 2
    assert "unknown model 'mine'" in one_line_error(refused)


@pytest.mark.slow
@pytest.mark.parametrize(
    "key, extra",
    [
        ("hydra.run.dir", ()),
        ("paths.run_dir", ()),
        ("hydra.run.dir", ("experiment=activations", "model=rnn")),  # its own default folder
    ],
)
def test_run_dir_is_one_setting_whichever_is_given(tmp_path, raw_dir, key, extra):
    chosen = tmp_path / "chosen"
    result = train(tmp_path, raw_dir, f"{key}={chosen}", *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((chosen / "metrics.json").read_text())["status"] == "finished"
    assert (chosen / ".hydra" / "config.yaml").is_file() and (chosen / "train.log").is_file()
    assert sorted(p.name for p in (chosen / "checkpoints").iterdir()) == ["best.ckpt", "last.ckpt"]
    assert (chosen / "csv" / "metrics.csv").is_file()
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "runs").exists()
    # a reader of the saved config that never imports the entry point (seqbench report)
    read = subprocess.run(
        [sys.executable, "-c", READ_CONFIG, str(chosen)], capture_output=True, text=True
    )
    assert read.returncode == 0, read.stderr
    assert "${" not in read.stdout and json.loads(read.stdout)["data"]["seed"] == 0


def test_compose_api_falls_back_to_the_default_run_dir(tmp_path):
    """Compose (precheck, tests) has no Hydra output directory: the default folder stands."""
    with config.composer() as compose:
        cfg = compose([f"paths.root_dir={tmp_path}", "data=adding"])
        memory = compose(["experiment=long_memory", "data=adding"])
    assert cfg.paths.run_dir == f"{tmp_path}/outputs/adding/lstm/0"
    assert memory.paths.run_dir == "./outputs/memory/adding/lstm/0"
