"""DVC re-runs a stage when one of its deps changes, so every module a stage's command runs
must lie under one of its deps; the deps stay narrow (a no-op `dvc repro` hashes only them).

The modules a command runs are found from the import graph of the source (no import is
executed): the console script's module, the subcommand's handler, and everything they
import, at module level or inside any function. Two ways in besides `import` count too:
a Hydra app (seqbench-train) builds the classes its configs name (``_target_``) and Hydra
imports every plugin under src/hydra_plugins at start. A stage also covers the deps of a
fingerprint stage (seqbench.launch.fingerprint) whose output it depends on."""

import ast
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from helpers.cli import ROOT
from helpers.dvc_stages import covers, stages, watched

from seqbench.cli import main as cli

SRC = ROOT / "src"
CLI_TABLES = "seqbench.cli"  # command tables: a handler's imports count only when it runs
HYDRA_APP = "seqbench.train.run"
RUNS_TRAIN = {  # commands that start seqbench-train
    "seqbench-together": "seqbench-train",
    "seqbench tune": "seqbench-train",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts}


def _known(dotted: str) -> set[str]:
    """``dotted`` and every package above it that is one of ours (importing a.b.c runs
    a/__init__.py and a/b/__init__.py first)."""
    parts = dotted.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & MODULES.keys()


def _owner(dotted: str) -> set[str]:
    """The modules ``dotted`` (a module, or a name inside one) makes Python import."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return _known(dotted) if dotted else set()


def _imports(module: str, function: str | None = None, everywhere: bool = True) -> set[str]:
    """Our modules that ``module`` imports: at module level, and inside every function
    (``everywhere``) or only inside ``function``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                if everywhere or child.name == function:
                    visit(child)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.update(_owner(alias.name))
            elif isinstance(child, ast.ImportFrom):
                base = package
                for _ in range(child.level - 1):
                    base = base.rpartition(".")[0]
                stem = child.module or ""
                if child.level:
                    stem = f"{base}.{stem}" if stem else base
                found.update(_owner(stem))
                for alias in child.names:
                    found.update(_owner(f"{stem}.{alias.name}"))
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _closure(entries: dict[str, str | None]) -> set[str]:
    """Every module reached from ``entries`` (module -> the function run, None: all)."""
    todo: list[str] = []
    for module, function in entries.items():
        todo += _known(module)
        todo += _imports(module, function, everywhere=function is None)
    seen = set(entries)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += _imports(module, everywhere=not module.startswith(CLI_TABLES))
    return seen


def _config_targets() -> set[str]:
    """The modules of every class or function a config names to be built."""
    targets: set[str] = set()
    for path in (SRC / "seqbench" / "conf").rglob("*.yaml"):
        for name in re.findall(r"_target_:\s*(seqbench[\w.]*)", path.read_text()):
            targets |= _owner(name)
    return targets


def _scripts() -> dict[str, str]:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    return dict(scripts)


def command_modules(cmd: str) -> set[str]:
    """The modules a stage's command runs."""
    words = shlex.split(cmd)
    if words[:2] == ["python", "-m"]:
        return _closure({words[2]: None})
    script = _scripts()[words[0]]
    module, _, function = script.partition(":")
    entries: dict[str, str | None] = {module: function}
    if words[0] == "seqbench":
        handler = cli.build_parser().parse_args(words[1:]).run
        entries[handler.__module__] = handler.__name__
    launcher = RUNS_TRAIN.get(words[0]) or RUNS_TRAIN.get(" ".join(words[:2]))
    if launcher:
        train, _, function = _scripts()[launcher].partition(":")
        entries[train] = function
    found = _closure(entries)
    if any(module.startswith(HYDRA_APP) for module in found):
        plugins = {m: None for m in MODULES if m.startswith("hydra_plugins.")}
        found |= _closure({m: None for m in _config_targets()} | plugins)
    return found


def uncovered(stage: dict, stages: dict) -> list[str]:
    """Files a stage's command runs that none of its deps covers."""
    deps = watched(stage, stages)
    files = sorted(MODULES[m].relative_to(ROOT).as_posix() for m in command_modules(stage["cmd"]))
    return [f for f in files if not covers(deps, f)]


CODE_STAGES = [name for name, stage in stages().items() if "cmd" in stage]


@pytest.mark.parametrize("name", CODE_STAGES)
def test_every_module_a_stage_runs_is_under_its_deps(name):
    all_stages = stages()
    missing = uncovered(all_stages[name], all_stages)
    assert missing == [], f"add these (or their folders) to {name}'s deps"


def test_the_import_graph_sees_what_training_runs():
    """The analysis finds the probe (built from a config), the launchers (a Hydra plugin)
    and the data modules; and a stage without the models folder is caught."""
    all_stages = stages()
    found = command_modules(all_stages["train"]["cmd"])
    assert {
        "seqbench.models.recurrent",
        "seqbench.lessons.gradient_flow.probe",
        "seqbench.launch.slurm",
        "seqbench.data.text",
        "seqbench.errors",
        "seqbench.launch.together",
        "seqbench.train.build",
    } <= found
    assert not any(module.startswith("seqbench.report") for module in found)
    code = all_stages["train-code"]
    narrowed = {**code, "deps": [d for d in code["deps"] if d != "src/seqbench/models"]}
    stages_without = {**all_stages, "train-code": narrowed}
    missing = uncovered(all_stages["train"], stages_without)
    assert "src/seqbench/models/recurrent.py" in missing
    describe = command_modules(all_stages["datasets"]["cmd"])
    assert "seqbench.data.snapshot" in describe and "seqbench.models" not in describe


def test_training_stages_share_one_fingerprint_and_keep_their_own_configs():
    """The shared code is hashed once (train-code); each training stage still names its own
    model's and dataset's configs, so editing one re-runs only its stages."""
    all_stages = stages()
    for name, stage in all_stages.items():
        if stage.get("cmd", "").startswith(("seqbench-train", "seqbench-together")):
            assert "runs/.train-code" in stage["deps"], name
            assert any("conf/model/${item.model}.yaml" in d for d in stage["deps"]) or (
                name == "activations-tanh"
            ), name
            assert len(stage["deps"]) <= 7, name  # no folder of code repeated per stage


def test_a_fingerprint_changes_with_any_file_it_covers_and_only_then(tmp_path):
    """The fingerprint stage's output is what re-runs the training stages: it must change
    when a covered file changes or appears, and not for Python's bytecode caches."""
    from helpers.cli import one_line_error, run_cli

    from seqbench.launch.fingerprint import fingerprint

    code = tmp_path / "src" / "pkg"
    (code / "__pycache__").mkdir(parents=True)
    (code / "a.py").write_text("A = 1\n")
    (tmp_path / "shared.yaml").write_text("x: 1\n")
    stages = {"code": {"cmd": "python -m seqbench.launch.fingerprint code --out out",
                       "deps": ["src/pkg", "shared.yaml"]}}  # fmt: skip
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": stages}))
    first = fingerprint(tmp_path, ["src/pkg", "shared.yaml"])
    assert first.splitlines()[0].endswith("  shared.yaml") and "src/pkg/a.py" in first
    (code / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert fingerprint(tmp_path, ["src/pkg", "shared.yaml"]) == first
    (code / "a.py").write_text("A = 2\n")
    second = fingerprint(tmp_path, ["src/pkg", "shared.yaml"])
    assert second != first
    (code / "b.py").write_text("")
    assert fingerprint(tmp_path, ["src/pkg", "shared.yaml"]) not in (first, second)
    out = tmp_path / "runs" / ".code"
    ran = run_cli("seqbench.launch.fingerprint", "code", "--out", str(out), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert out.read_text() == fingerprint(tmp_path, ["src/pkg", "shared.yaml"])
    bad = run_cli("seqbench.launch.fingerprint", "kode", "--out", str(out), cwd=tmp_path)
    assert bad.returncode == 2 and "has no stage 'kode'" in one_line_error(bad)
