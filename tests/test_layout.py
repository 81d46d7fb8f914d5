"""The package layout: imports run one way, data -> models -> tasks -> callbacks/lessons ->
train -> report -> cli, and no module is too long to read in one go."""

import ast
from pathlib import Path

import pytest

from seqbench.wandb_login import logged_in

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "seqbench"
HELPERS = {
    "config",
    "config_checks",
    "config_keys",
    "config_trainer",
    "config_targets",
    "config_hydra",
    "resources",
    "errors",
    "atomic",
    "storage",
    "rundir",
    "run_location",
    "device",
    "wandb_login",
    "resolvers",
    "redaction",
    "record",
}  # any layer may use them
LAYERS = {
    "data": 0,
    "models": 1,
    "tasks": 2,
    "callbacks": 3,
    "lessons": 3,
    "train": 4,
    "precheck": 4,
    "hydra_flags": 4,
    "sweep_check": 4,
    "search_space": 4,
    "builder": 4,
    "quiet": 4,
    "sweep": 4,
    "slurm": 4,
    "params": 4,
    "together": 4,
    "report": 5,
    "cli": 6,
    "cli_bench": 6,
}


def layer(module: str) -> int | None:
    """The layer of a dotted seqbench module; -1 for the helpers; None outside seqbench."""
    parts = module.split(".")
    if parts[0] != "seqbench":
        return None
    if len(parts) == 1:
        return -1  # the package itself (only its docstring)
    top = parts[1]
    return -1 if top in HELPERS else LAYERS[top]


def imported(path: Path) -> set[str]:
    """Every seqbench module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "seqbench":  # from seqbench import config, rundir
                names |= {f"seqbench.{alias.name}" for alias in node.names}
            else:
                names.add(node.module)
    return {n for n in names if n.split(".")[0] == "seqbench"}


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found.append((".".join(p for p in parts if p != "__init__"), path))
    return found


def allowed(importer: int, target: int) -> bool:
    """Helpers import only helpers; a layer imports helpers, its own layer and those below."""
    return target == -1 if importer == -1 else target <= importer


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_no_module_imports_a_layer_above_its_own(module, path):
    own = layer(module)
    above = sorted(name for name in imported(path) if not allowed(own, layer(name)))
    assert not above, f"{module} (layer {own}) imports {above}"


def test_every_top_level_module_has_a_layer():
    tops = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    tops = {t for t in tops if not t.startswith(("_", ".")) and t not in ("py", "conf")}
    assert tops <= HELPERS | set(LAYERS), tops - HELPERS - set(LAYERS)


def test_no_module_is_too_long():
    long = {m: n for m, p in modules() if (n := len(p.read_text().splitlines())) > 260}
    assert not long, long


def test_training_and_publishing_see_the_same_wandb_login(monkeypatch, tmp_path, answering_server):
    from seqbench.builder import wandb_mode

    for key in ("WANDB_MODE", "WANDB_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("WANDB_BASE_URL", answering_server)  # a W&B host that answers
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login user password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert logged_in() and wandb_mode() == "online"
    netrc.write_text("machine elsewhere.example login user password secret\n")
    assert not logged_in() and wandb_mode() == "offline"
