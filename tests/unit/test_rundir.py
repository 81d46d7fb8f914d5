"""The run-directory contract: rundir.py, dvc.yaml and the configs name the same files."""

import re
from pathlib import Path

import yaml
from helpers.cli import ROOT

from seqbench import config, rundir


def training_stages() -> dict[str, dict]:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    trains = ("seqbench-train", "seqbench-together")
    return {name: s for name, s in stages.items() if s["cmd"].startswith(trains)}


def declared(entries: list) -> list[str]:
    """Paths of a dvc.yaml outs/metrics/plots list (plain strings or {path: options})."""
    return [e if isinstance(e, str) else next(iter(e)) for e in entries or []]


def test_dvc_training_stages_declare_the_files_rundir_names():
    stages = training_stages()
    assert set(stages) == {
        "train", "train-more", "activations", "activations-tanh", "memory", "memory-long",
        "abilities", "forecast", "anomaly", "text-classify",
    }  # fmt: skip
    fields = {"data": "[^/]+", "model": "[^/]+", "seed": "[^/]+", "clip": "(true|false)"}
    layouts = [re.compile(f"runs/{t.format(**fields)}$") for t in rundir.LAYOUTS.values()]
    for name, stage in stages.items():
        runs = [Path(out).parent for out in declared(stage["outs"])]
        assert all(Path(out).name == rundir.CHECKPOINTS for out in declared(stage["outs"])), name
        assert all(any(p.match(str(run)) for p in layouts) for run in runs), name
        assert declared(stage["metrics"]) == [str(run / rundir.METRICS) for run in runs], name
        # the stage names its folders itself, under runs/: seqbench-train's default for a run
        # trained by hand (outputs/) is never a DVC output, which `dvc exp run` may delete
        assert "paths.run_dir=" in stage["cmd"], name
        assert all(run.parts[0] == "runs" for run in runs), name
        if "plots" in stage:
            assert declared(stage["plots"]) == [str(run / rundir.CURVES) for run in runs], name


def test_the_configs_write_where_rundir_says():
    paths = yaml.safe_load((config.CONF_DIR / "paths" / "default.yaml").read_text())
    compare = rundir.LAYOUTS["compare"].format(
        data="${data.name}", model="${model.name}", seed="${seed}"
    )
    assert paths["default_run_dir"].endswith(f"/outputs/{compare}")  # runs/ is DVC's
    assert paths["run_dir"] == "${output_dir_or:${paths.default_run_dir}}"
    fields = {"data": "${data.name}", "model": "${model.name}", "seed": "${seed}"}
    studies = (
        ("activations", "activations"),
        ("long_memory", "memory"),
        ("abilities",) * 2,
        ("forecast",) * 2,
        ("anomaly",) * 2,
        ("text_classify",) * 2,
    )
    for study, layout in studies:
        folder = yaml.safe_load((config.CONF_DIR / "experiment" / f"{study}.yaml").read_text())
        clip = {"clip": "${lower:${task.clip_gradients}}"}
        expected = rundir.LAYOUTS[layout].format(**fields, **clip)
        assert folder["paths"]["default_run_dir"].endswith(f"/outputs/{expected}"), study
    callbacks = yaml.safe_load((config.CONF_DIR / "callbacks" / "default.yaml").read_text())
    checkpoint = callbacks["model_checkpoint"]
    assert checkpoint["dirpath"] == "${paths.run_dir}/" + rundir.CHECKPOINTS
    assert checkpoint["filename"] == rundir.BEST and checkpoint["save_last"] is True
    assert rundir.checkpoint(Path("r"), rundir.LAST) == Path("r/checkpoints/last.ckpt")


def test_metrics_round_trip_atomically_and_a_damaged_file_reads_as_failed(tmp_path):
    rundir.write_metrics(tmp_path, {"status": "finished", "best_val": 0.5})
    assert rundir.read_metrics(tmp_path) == {"status": "finished", "best_val": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == [rundir.METRICS]  # no temp file left
    (tmp_path / rundir.METRICS).write_text("{not json")
    assert rundir.read_metrics(tmp_path)["status"] == "failed"
    (tmp_path / rundir.METRICS).write_text("[1, 2]")
    assert rundir.read_metrics(tmp_path) == {"status": "failed", "reason": "bad metrics"}
