"""The top-level conf/ is the package's configs, one copy: the link a reader of a Hydra
project opens first, and the files the wheel ships (.ci/wheel-check compares the installed
wheel's configs with conf/ file for file)."""

import tomllib

from helpers.cli import ROOT

from seqbench import config


def test_conf_at_the_top_is_the_installed_package_s_config_folder():
    top = ROOT / "conf"
    assert top.is_symlink(), "conf/ is a link to the package's configs, not a second copy"
    assert top.resolve() == config.CONF_DIR.resolve()


def test_every_config_file_is_one_the_wheel_ships():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = package_data["package-data"]["seqbench"]
    assert "conf/**/*.yaml" in shipped
    others = [
        p for p in (ROOT / "conf").resolve().rglob("*") if p.is_file() and p.suffix != ".yaml"
    ]
    assert not others, f"files under conf/ that the wheel would not ship: {others}"
    assert {p.relative_to(ROOT / "conf") for p in (ROOT / "conf").rglob("*.yaml")} == {
        p.relative_to(config.CONF_DIR) for p in config.CONF_DIR.rglob("*.yaml")
    }
