"""The DVC pipeline's own checks: params.yaml names are refused before any training."""

import shlex
import shutil
import subprocess
from pathlib import Path

import yaml
from dvc.repo import Repo
from helpers.cli import ROOT, one_line_error, run_cli

from seqbench import config


def write_params(tmp_path, section="compare", **values):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params[section].update(values)
    path = tmp_path / f"params-{section}.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_default_params_pass_and_write_a_constant_marker(tmp_path):
    out = tmp_path / "ok"
    result = run_cli("seqbench.cli", "check-params", str(ROOT / "params.yaml"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "params ok\n"


def test_unknown_model_dataset_or_budget_lists_the_valid_names(tmp_path):
    cases = [
        ("models", ["lstm", "lsmt"], "compare.models: unknown 'lsmt'; valid: gru, irnn, lru, lstm"),
        (
            "datasets",
            ["watch", "mnist"],
            "unknown dataset 'mnist'; known datasets: adding, airline, basic_motions, copy",
        ),
        ("budget", "huge", "compare.budget: unknown 'huge'; valid: default, full, probe, smoke"),
        ("seeds", [-1], "compare.seeds must be a list of integers >= 0"),
        ("seeds", [3, 3], "give further seeds in compare.more_seeds, e.g. [2]"),
    ]
    for key, value, expected in cases:
        params = write_params(tmp_path, **{key: value})
        out = tmp_path / f"marker-{key}"
        result = run_cli("seqbench.cli", "check-params", str(params), "--out", str(out))
        assert result.returncode == 2, key
        assert expected in one_line_error(result), key
        assert not out.exists()


def test_study_sections_are_checked_too(tmp_path):
    cases = [
        ("activations", "models", ["irnn", "lru2"], "activations.models: unknown 'lru2'"),
        ("activations", "datasets", ["watch", "mnist"], "unknown dataset 'mnist'"),
        ("memory", "tasks", ["adding", "sort"], "memory.tasks: unknown 'sort'"),
        ("memory", "lengths", [1], "memory.lengths must be a list of integers >= 2"),
        ("memory", "budget", "long", "memory.budget: unknown 'long'"),
        ("memory", "long_lengths", [20000], "T must be between 2 and 10000"),
    ]
    for section, key, value, expected in cases:
        params = write_params(tmp_path, section, **{key: value})
        for command in ("check-params", "memory-data"):
            out = tmp_path / f"out-{command}-{section}-{key}"
            result = run_cli(
                "seqbench.cli",
                command,
                str(params),
                f"--{'out' if command == 'check-params' else 'raw-dir'}",
                str(out),
            )
            if section == "activations" and command == "memory-data":
                assert result.returncode == 0, result.stderr
                continue
            assert result.returncode == 2, (section, key, command)
            assert expected in one_line_error(result), (section, key)
            assert not out.exists()


def test_memory_data_builds_every_task_at_every_length(tmp_path):
    params = write_params(tmp_path, "memory", lengths=[12, 20], long_lengths=[30])
    out = tmp_path / "memory"
    result = run_cli("seqbench.cli", "memory-data", str(params), "--raw-dir", str(out))
    assert result.returncode == 0, result.stderr
    built = sorted(p.name for p in out.iterdir())
    assert built == [f"{t}-T{n}" for t in ("adding", "copy") for n in (12, 20, 30)]
    off = run_cli("seqbench.cli", "memory-data", str(ROOT / "params.yaml"), "--raw-dir",
                  str(tmp_path / "off"))  # fmt: skip
    assert off.returncode == 0 and "0 study datasets" in off.stdout
    assert list((tmp_path / "off").iterdir()) == []


def test_pipeline_stages_cover_every_model_dataset_and_seed():
    pipeline = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    train, more = pipeline["train"], pipeline["train-more"]
    assert train["matrix"] == {"data": "${compare.datasets}", "model": "${compare.models}"}
    assert train["cmd"].startswith(
        "seqbench-together seed=${compare.seeds.0} seed=${compare.seeds.1} --"
    )
    assert more["matrix"] == {
        "data": "${compare.datasets}",
        "model": "${compare.models}",
        "seed": "${compare.more_seeds}",
    }
    assert all("runs/.params-ok" in stage["deps"] for stage in (train, more))
    assert pipeline["report"]["cmd"] == "seqbench report runs --out reports"


def stage_runs(cmd: str) -> list[list[str]]:
    """The Hydra overrides of each run a stage's command trains."""
    words = shlex.split(cmd)
    if words[0] == "seqbench-train":
        return [words[1:]]
    cut = words.index("--")
    return [[*words[cut + 1 :], variant] for variant in words[1:cut]]


def test_every_training_stage_writes_where_its_command_trains(tmp_path):
    """DVC names a stage's outputs itself; Hydra names the run directory: they must agree."""
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    params = yaml.safe_load(
        write_params(tmp_path, "memory", lengths=[20], long_lengths=[40]).read_text()
    )
    params["compare"]["more_seeds"] = [2]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    subprocess.run(["dvc", "init", "--no-scm", "-q"], cwd=tmp_path, check=True)
    stages = [s for s in Repo(str(tmp_path)).index.stages if s.cmd.startswith("seqbench-t")]
    assert {s.name.split("@")[0] for s in stages} == {
        "train", "train-more", "activations", "activations-tanh", "memory", "memory-long"
    }  # fmt: skip
    with config.composer() as compose:
        for stage in stages:
            run_dirs = [
                Path(compose(overrides).paths.run_dir) for overrides in stage_runs(stage.cmd)
            ]
            outs = [Path(out.def_path) for out in stage.outs]
            checkpoints = {out for out in outs if out.name == "checkpoints"}
            assert checkpoints == {Path(run, "checkpoints") for run in run_dirs}, stage.name
            assert all(out.parent in run_dirs for out in outs), stage.name


def test_changing_one_models_or_datasets_config_reruns_only_its_stages(tmp_path, monkeypatch):
    """Per-run caching, with real DVC: the stages are recorded as done (dvc commit over stand-in
    outputs), then one model's config and one dataset's config change; `dvc status` names
    exactly the stages that train that model or that dataset."""
    shutil.copy(ROOT / "dvc.yaml", tmp_path / "dvc.yaml")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["compare"].update(models=["rnn", "gru"], datasets=["adding", "watch"])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("adding", "watch"):
        (tmp_path / "data" / "raw" / name).mkdir(parents=True)
        (tmp_path / "data" / "raw" / name / "stand-in").write_text(name)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / ".params-ok").write_text("params ok\n")
    subprocess.run(["dvc", "init", "--no-scm", "-q"], cwd=tmp_path, check=True)
    fingerprint = ["python", "-m", "seqbench.launch.fingerprint", "train-code"]
    subprocess.run([*fingerprint, "--out", "runs/.train-code"], cwd=tmp_path, check=True)
    stages = [s for s in Repo(str(tmp_path)).index.stages if s.name.startswith(("train", "activ"))]
    for out in (out for stage in stages for out in stage.outs):
        path = tmp_path / out.def_path
        if path.name == "checkpoints":
            path.mkdir(parents=True)
            (path / "last.ckpt").write_text("stand-in")
        else:
            path.write_text("{}" if path.suffix == ".json" else "step\n")
    names = [stage.name for stage in stages]
    monkeypatch.chdir(tmp_path)  # the API reads stage paths from the working directory
    for name in names:
        Repo(str(tmp_path)).commit(name, force=True)

    def changed() -> set[str]:
        return set(Repo(str(tmp_path)).status(targets=names))

    assert changed() == set()
    conf = tmp_path / "src" / "seqbench" / "conf"
    with (conf / "model" / "gru.yaml").open("a") as f:
        f.write("# edited\n")
    assert changed() == {"train@adding-gru", "train@watch-gru"}
    with (conf / "data" / "watch.yaml").open("a") as f:
        f.write("# edited\n")
    assert changed() == {"train@adding-gru", "train@watch-gru", "train@watch-rnn"}
    with (conf / "model" / "irnn.yaml").open("a") as f:
        f.write("# edited\n")
    assert changed() - {"train@adding-gru", "train@watch-gru", "train@watch-rnn"} == {
        "activations@adding-irnn-0"
    }
    # code every run shares: its fingerprint stage changes, and once it has run, every stage
    with (tmp_path / "src" / "seqbench" / "models" / "recurrent.py").open("a") as f:
        f.write("# edited\n")
    assert "train-code" in changed()
    subprocess.run([*fingerprint, "--out", "runs/.train-code"], cwd=tmp_path, check=True)
    assert changed() == set(names)  # train-code too: its lock still names the old hashes


def test_together_needs_its_separator_and_reports_a_failed_run(tmp_path):
    """Without `--` nothing starts; a mistake in a run's overrides makes the whole command
    fail (DVC then stops) in one line, before any run starts."""
    result = run_cli("seqbench.launch.together", "seed=0", "seed=1", "data=adding")
    assert result.returncode == 2
    assert "no `--` between the runs' variants" in one_line_error(result)
    bad = run_cli("seqbench.launch.together", "seed=0", "seed=1", "--", "model=lsmt",
                  f"paths.run_dir={tmp_path}/run", "logger=csv", cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2
    assert "run seed=0: unknown model 'lsmt'" in one_line_error(bad)  # checked before any starts
    assert not (tmp_path / "run").exists()
