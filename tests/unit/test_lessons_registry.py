"""The lesson registry against what it names: every registered lesson has its folder with a
measure, a reading, a figure and a section (importable, callable) and a README; dvc.yaml has
the stages that make each lesson's numbers, and they depend on its measurement's code; the
report shows exactly the registered lessons, in order; the CLI has each lesson's commands.
A config naming the gradient-flow probe's class path from before it moved still trains and
resumes."""

import argparse
import csv
import inspect
import json

import pytest
import yaml
from helpers.cli import ROOT, SMOKE, run_cli
from helpers.dvc_stages import covers, stages, watched

from seqbench.cli.main import build_parser
from seqbench.config import allowlist
from seqbench.lessons.registry import LESSONS, PARTS
from seqbench.page.parts import Section

PACKAGE = ROOT / "src" / "seqbench"
OLD_PROBE = "seqbench.callbacks.gradient_flow.GradientFlowMonitor"


def _commands() -> set[str]:
    subparsers = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    return set(subparsers.choices)


@pytest.mark.parametrize("key", LESSONS)
def test_every_lesson_has_its_parts_and_a_readme(key):
    lesson = LESSONS[key]
    folder = PACKAGE / "lessons" / lesson.folder
    readme = folder / "README.md"
    assert readme.is_file(), f"{key}: no {readme.relative_to(ROOT)}"
    text = readme.read_text()
    for stage in lesson.stages:
        assert f"`{stage}`" in text, f"{key}: its README does not name the DVC stage {stage}"
    for command in lesson.commands:
        assert f"seqbench {command}" in text, f"{key}: its README does not show {command}"
    for part in PARTS:
        function = lesson.part(part)
        assert callable(function), f"{key}: {part} names {getattr(lesson, part)}"
        module = getattr(lesson, part).split(":")[0]
        assert (folder / f"{module}.py").is_file(), f"{key}: {part} lives outside its folder"
    section = inspect.signature(lesson.part("section"))
    assert list(section.parameters) == ["runs", "lessons_dir"], f"{key}: section(runs, dir)"


def test_every_lesson_folder_is_registered():
    folders = {p.name for p in (PACKAGE / "lessons").iterdir() if (p / "__init__.py").is_file()}
    assert folders == {lesson.folder for lesson in LESSONS.values()}


@pytest.mark.parametrize("key", LESSONS)
def test_dvc_has_the_stages_of_every_lesson_and_they_depend_on_its_code(key):
    lesson, all_stages = LESSONS[key], stages()
    missing = [stage for stage in lesson.stages if stage not in all_stages]
    assert not missing, f"{key}: dvc.yaml has no stage {missing}"
    measure = f"src/seqbench/lessons/{lesson.folder}/{lesson.measure.split(':')[0]}.py"
    if lesson.folder in ("long_memory", "activations"):  # measured by training (the probe),
        measure = "src/seqbench/lessons/gradient_flow/probe.py"  # read back by the report
    if lesson.folder == "abilities":  # measured by training (the task's accuracy per group)
        measure = "src/seqbench/tasks/ability.py"
    if lesson.folder == "forecast":  # measured by training (the task and its baselines)
        measure = "src/seqbench/tasks/forecast.py"
    if lesson.folder == "anomaly":  # measured by training (the task's scores and streaming)
        measure = "src/seqbench/tasks/anomaly.py"
    if lesson.folder == "tuning":  # measured by `seqbench tune` (the choice), read back
        measure = "src/seqbench/launch/choice.py"
    deps = [dep for stage in lesson.stages for dep in watched(all_stages[stage], all_stages)]
    assert covers(deps, measure), f"{key}: no stage of {lesson.stages} depends on {measure}"
    assert {"src/seqbench/lessons", "src/seqbench/page"} <= set(all_stages["report"]["deps"])


@pytest.mark.parametrize("key", LESSONS)
def test_the_cli_has_every_lessons_commands(key):
    missing = set(LESSONS[key].commands) - _commands()
    assert not missing, f"{key}: `seqbench` has no command {missing}"


def test_the_report_shows_the_registered_lessons_in_order(tmp_path):
    from seqbench.lessons.registry import sections
    from seqbench.rundir.run import Run

    lessons = tmp_path / "lessons"
    lessons.mkdir()
    rows = [
        {"model": m, "position": p, "latency_ms": 1.0, "state_bytes": 64, "window": 3}
        for m in ("rnn", "transformer")
        for p in (1, 2, 3, 4)
    ]
    found = {"positions": 4, "rows": rows, "threads": 1, "device": "cpu"}
    (lessons / "streaming.json").write_text(json.dumps(found))
    run = Run(tmp_path, {"study": "long_memory", "data": "adding-T50", "model": "lstm",
                         "seed": 0, "status": "finished", "test": {"test/mse": 0.004}})  # fmt: skip
    shown = sections([run], lessons)
    assert all(isinstance(section, Section) for section in shown)
    assert [section.key for section in shown] == ["long-memory", "streaming"]
    order = list(LESSONS)
    assert order.index("long-memory") < order.index("streaming")


def test_an_old_config_naming_the_probe_where_it_was_trains_and_resumes(tmp_path, raw_dir):
    """Run folders written before the probe moved name its old class path in their
    .hydra/config.yaml; that path is accepted, builds the probe and resumes."""
    assert OLD_PROBE in allowlist.MOVED
    run_dir = tmp_path / "run"
    common = (*SMOKE, "data=adding", "model=rnn", "model.hidden_size=8",
              f"paths.raw_dir={raw_dir}", f"paths.run_dir={run_dir}",
              f"callbacks.gradient_flow._target_={OLD_PROBE}")  # fmt: skip
    first = run_cli("seqbench.train", *common)
    assert first.returncode == 0, first.stderr[-2000:]
    recorded = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())
    assert recorded["callbacks"]["gradient_flow"]["_target_"] == OLD_PROBE
    resumed = run_cli("seqbench.train", *common, "budget.max_steps=6", "ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    with (run_dir / "gradient_flow.csv").open() as handle:
        steps = sorted({int(row["step"]) for row in csv.DictReader(handle)})
    assert steps[0] == 0 and steps[-1] == 6, steps  # at init, then on to the resumed end
    assert json.loads((run_dir / "metrics.json").read_text())["status"] == "finished"


def test_a_moved_class_path_is_allowed_only_as_its_new_one():
    from omegaconf import OmegaConf

    node = OmegaConf.create({"_target_": OLD_PROBE, "out_dir": "x"})
    assert allowlist.moved(node)._target_ == allowlist.MOVED[OLD_PROBE]
    assert allowlist.moved(node).out_dir == "x"
    assert all(new in allowlist.CALLBACKS for new in allowlist.MOVED.values())
    assert not set(allowlist.MOVED) & set(allowlist.CALLBACKS)  # the old path is only mapped
