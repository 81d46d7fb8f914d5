"""The package layout: imports run one way, down the layers below (errors and ranks at the
bottom, the command line at the top), with no cycle between modules; a very long file is
flagged (a warning, not a failure: files are split by concern, not by size)."""

import ast
import warnings
from pathlib import Path

import pytest

from seqbench.config.wandb_login import logged_in

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "seqbench"
LAYERS = {  # each top-level module or package of seqbench, bottom to top
    "errors": 0,
    "ranks": 0,
    "safety": 1,
    "page": 1,
    "config": 2,
    "rundir": 3,
    "data": 4,
    "models": 5,
    "tasks": 6,
    "callbacks": 7,
    "lessons": 7,  # a lesson's probe is a callback, its measurement may use the others
    "train": 9,
    "launch": 10,
    "report": 11,
    "cli": 12,
}
SUBLAYERS = {  # a module that sits above its package's layer
    "lessons.tuning": 11,  # ranks with the report's own verdict rules (report.judgement)
    "lessons.curves": 11,  # whether curves flattened: the report's rule (report.convergence)
    "lessons.forecast": 11,  # their sections name a winner only by lessons.curves
    "lessons.anomaly": 11,
    "lessons.text_classify": 11,
    "lessons.deploy": 11,  # names a model only by the report's verdict rules (report.judgement)
}
LONG = 400  # lines: past this a file is worth a second look


def layer(module: str) -> int | None:
    """The layer of a dotted seqbench module; None outside seqbench."""
    parts = module.split(".")
    if parts[0] != "seqbench":
        return None
    if len(parts) == 1:
        return LAYERS["config"]  # the package itself registers the configs' resolvers
    return SUBLAYERS.get(".".join(parts[1:3]), LAYERS[parts[1]])


def is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported(path: Path) -> set[str]:
    """Every seqbench module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:  # `from seqbench.config import keys` imports the module
                sub = f"{node.module}.{alias.name}"
                names.add(sub if is_module(sub) else node.module)
    return {n for n in names if n.split(".")[0] == "seqbench"}


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found.append((".".join(p for p in parts if p != "__init__"), path))
    return found


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_no_module_imports_a_layer_above_its_own(module, path):
    own = layer(module)
    above = sorted(name for name in imported(path) if layer(name) > own)
    assert not above, f"{module} (layer {own}) imports {above}"


def test_every_top_level_module_has_a_layer():
    tops = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    tops = {t for t in tops if not t.startswith(("_", ".")) and t not in ("py", "conf")}
    assert tops <= set(LAYERS), tops - set(LAYERS)


def test_no_import_cycle_between_modules():
    graph = {module: imported(path) - {module} for module, path in modules()}
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            pytest.fail("import cycle: " + " -> ".join([*trail[trail.index(module) :], module]))
        if module in done or module not in graph:
            return
        for target in sorted(graph[module]):
            visit(target, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_a_very_long_module_is_flagged():
    long = {m: n for m, p in modules() if (n := len(p.read_text().splitlines())) > LONG}
    if long:
        warnings.warn(
            f"modules past {LONG} lines, worth splitting by concern: {long}", stacklevel=1
        )


def test_training_and_publishing_see_the_same_wandb_login(monkeypatch, tmp_path, answering_server):
    from seqbench.train.build import wandb_mode

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
