"""The DVC pipeline's own checks: params.yaml names are refused before any training."""

import yaml
from conftest import ROOT, one_line_error, run_cli


def write_params(tmp_path, **compare):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["compare"].update(compare)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_default_params_pass_and_write_a_constant_marker(tmp_path):
    out = tmp_path / "ok"
    result = run_cli("seqbench.cli", "check-params", str(ROOT / "params.yaml"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "params ok\n"


def test_unknown_model_dataset_or_budget_lists_the_valid_names(tmp_path):
    cases = {
        "models": (["lstm", "lsmt"], "compare.models: unknown 'lsmt'; valid: gru, lstm, rnn"),
        "datasets": (["watch", "mnist"], "unknown dataset 'mnist'; known datasets: shakespeare"),
        "budget": ("huge", "compare.budget: unknown 'huge'; valid: default, full, smoke"),
        "seeds": ([-1], "compare.seeds must be a list of integers >= 0"),
    }
    for key, (value, expected) in cases.items():
        params = write_params(tmp_path, **{key: value})
        out = tmp_path / f"marker-{key}"
        result = run_cli("seqbench.cli", "check-params", str(params), "--out", str(out))
        assert result.returncode == 2, key
        assert expected in one_line_error(result), key
        assert not out.exists()


def test_pipeline_stages_cover_every_model_dataset_and_seed():
    pipeline = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    train = pipeline["stages"]["train"]
    assert train["matrix"] == {
        "data": "${compare.datasets}",
        "model": "${compare.models}",
        "seed": "${compare.seeds}",
    }
    assert "runs/.params-ok" in train["deps"]
    assert pipeline["stages"]["report"]["cmd"] == "seqbench report runs --out reports"
