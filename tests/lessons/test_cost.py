"""The cost-against-T lesson: `seqbench cost-bench` measures every parameter-matched model at
every length, the exponent fit recovers known power laws, and the report's sentences follow
the numbers (attention is called steeper only when its exponent is measurably larger)."""

import inspect
import json
import math
import re
import statistics
from pathlib import Path

import pytest
import torch
from helpers.cli import run_cli

from seqbench.errors import ConfigError
from seqbench.lessons.cost import measure as cost
from seqbench.lessons.cost import section as cost_section
from seqbench.models import BACKBONES, MODELS
from seqbench.page.markdown import section_lines
from seqbench.report.build import write_report


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("cost") / "lessons" / "cost.json"
    done = run_cli("seqbench.cli", "cost-bench", "--lengths", "16", "32", "64", "--steps", "2",
                   "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in out.parent.iterdir()) == ["cost.json"]  # no partial file
    return json.loads(out.read_text()), done.stdout


def test_cost_bench_measures_every_model_at_every_length(measured):
    result, stdout = measured
    assert [(r["model"], r["T"]) for r in result["rows"]] == [
        (m, t) for m in MODELS for t in (16, 32, 64)
    ]
    assert result["device"] == "cpu" and result["threads"] == 1 and result["batch_size"] == 2
    assert result["timed_steps"] == 2 and result["warmup_steps"] == 1
    assert "autograd" in result["memory_measure"]
    assert result["lengths"] == [16, 32, 64] and result["fit_lengths"] == [32, 64]
    for row in result["rows"]:
        assert len(row["steps_ms"]) == 2 and row["step_ms"] == statistics.median(row["steps_ms"])
        assert row["step_ms"] > 0 and row["memory_bytes"] == row["saved_bytes"] > 0
    params = {r["model"]: r["num_parameters"] for r in result["rows"]}
    assert set(params) == set(MODELS) and max(params.values()) / min(params.values()) < 1.05
    for model in MODELS:  # activations are kept for every step: memory grows with T
        memory = [r["memory_bytes"] for r in result["rows"] if r["model"] == model]
        assert memory == sorted(memory) and memory[-1] > 1.5 * memory[0], model
        assert result["fits"][model]["memory"]["exponent"] > 0.5
    assert "exponents fitted over T = 32, 64" in stdout
    assert all(f"{model} " in stdout for model in MODELS)


def test_the_fit_recovers_a_known_power_law():
    lengths = [2**k for k in range(4, 11)]
    fit = cost.power_fit((t, 3.0 * t**1.5) for t in lengths)
    assert fit["exponent"] == pytest.approx(1.5, abs=1e-9) and fit["stderr"] < 1e-9
    noisy = cost.power_fit((t, t**2 * (1.1 if i % 2 else 0.9)) for i, t in enumerate(lengths))
    assert noisy["exponent"] == pytest.approx(2.0, abs=0.05) and noisy["stderr"] > 0.005
    assert cost.power_fit([(16, 1.0), (64, 16.0)]) == {"exponent": 2.0, "stderr": None,
                                                        "points": 2}  # fmt: skip
    assert cost.power_fit([(16, 1.0)]) is None and cost.power_fit([(16, 1.0), (16, 2.0)]) is None
    assert cost.fit_lengths(cost.LENGTHS) == [512, 1024, 2048, 4096]
    assert cost.fit_lengths([8, 16, 32]) == [16, 32] and cost.fit_lengths([8]) == []


def test_saved_bytes_count_activations_not_parameters():
    layer = torch.nn.Linear(100, 10)
    x = torch.randn(7, 100)

    def step() -> None:
        torch.tanh(layer(x)).sum().backward()

    saved = cost.saved_bytes(step, layer)
    assert saved == x.numel() * 4 + 7 * 10 * 4  # the input and tanh's output; the weight is
    # saved too (for the input's gradient) but is a parameter, the same at every T


def test_bad_lengths_are_refused_before_any_work():
    with pytest.raises(ConfigError, match="must be >= 1"):
        cost.measure(lengths=[0, 16])
    with pytest.raises(ConfigError, match="max_len=8192"):
        cost.measure(lengths=[16, 10000], models=("transformer",))


def _made_up(exponents: dict[str, float], lengths: list[int], wobble: float = 0.02) -> dict:
    """A cost.json whose step times follow T^k per model, with a small seeded wobble."""
    rows = []
    for i, (model, k) in enumerate(exponents.items()):
        for j, t in enumerate(lengths):
            noise = 1 + wobble * math.sin(7 * i + 3 * j)
            rows.append({"model": model, "T": t, "step_ms": 0.01 * t**k * noise,
                         "memory_bytes": 1000 * t, "num_parameters": 50000})  # fmt: skip
    return {"device": "cpu", "threads": 1, "batch_size": 2, "timed_steps": 5,
            "warmup_steps": 1, "lengths": lengths, "rows": rows}  # fmt: skip


def _reading(tmp_path: Path, found: dict) -> str:
    (tmp_path / "cost.json").write_text(json.dumps(found))
    return "\n".join(section_lines(cost_section.section([], tmp_path)))


LONG = [64, 128, 256, 512, 1024, 2048, 4096]


def test_the_report_does_not_call_attention_steeper_when_it_is_not(tmp_path):
    text = _reading(tmp_path, _made_up({"rnn": 1.3, "lstm": 1.05, "transformer": 1.0}, LONG))
    said = r"step time exponent 1\.0\d ± 0\.0\d is not measurably larger than that of rnn, lstm "
    assert re.search(said + r"\(rnn 1\.[23]\d ± 0\.0\d, lstm 1\.0\d ± 0\.0\d\)", text), text
    assert "measurably larger than every" not in text and "grows faster" not in text
    assert "memory exponent 1.00 ± 0.00 is not measurably larger" in text
    assert "T = 512, 1024, 2048, 4096" in text and "median of 5 timed steps" in text


def test_the_report_calls_attention_steeper_when_it_is(tmp_path):
    text = _reading(tmp_path, _made_up({"gru": 1.0, "transformer": 1.8}, LONG))
    assert "step time exponent 1.80 ± 0.00 is measurably larger than every recurrent" in text
    assert "step time grows faster with T" in text
    two = _reading(tmp_path, _made_up({"gru": 1.0, "transformer": 1.8}, [64, 128]))
    assert "carry no error estimate, so they are not compared" in two and "grows" not in two


def test_each_attention_model_is_judged_against_the_recurrent_ones(tmp_path):
    exponents = {"gru": 1.0, "mingru/sequential": 1.02, "transformer": 1.8, "transformer_pp": 1.0}
    text = _reading(tmp_path, _made_up(exponents, LONG))
    said = r"The step time exponent of transformer, 1\.8\d ± 0\.0\d, is measurably larger"
    assert re.search(said, text), text
    said = r"The step time exponent of transformer_pp, 1\.0\d ± 0\.0\d, is not measurably larger"
    assert re.search(said, text), text
    assert re.search(r"\(gru 0\.99 ± 0\.0\d, mingru/sequential 1\.02 ± 0\.0\d\)", text), text
    assert text.count("A fused attention kernel") == 1


def test_a_model_in_its_sequential_form_is_built_with_it_and_others_are_refused():
    from seqbench.lessons.streaming.measure import backbone_of

    sequential = [
        n for n in BACKBONES if "sequential" in inspect.signature(BACKBONES[n]).parameters
    ]
    for name in sequential:
        assert backbone_of(f"{name}/sequential")[1]["sequential"] is True
        assert backbone_of(name)[1]["sequential"] is False
    with pytest.raises(ConfigError, match="`/sequential` is the one form"):
        backbone_of("gru/sequential")
    with pytest.raises(ConfigError, match="unknown model 'mambo'; choose from rnn, lstm"):
        backbone_of("mambo")


def test_the_report_shows_the_figure_and_builds_without_the_file(tmp_path):
    run = tmp_path / "runs" / "adding" / "rnn" / "0"
    run.mkdir(parents=True)
    metrics = {"data": "adding", "model": "rnn", "seed": 0, "status": "failed", "reason": "x"}
    (run / "metrics.json").write_text(json.dumps(metrics))
    lessons = tmp_path / "reports" / "lessons"
    without = write_report(tmp_path / "runs", tmp_path / "reports", tmp_path / "raw")
    assert "cost" not in without["lessons"]
    lessons.mkdir()
    for broken in ("{not json", '{"rows": [{"model": "rnn", "T": "64"}]}'):
        (lessons / "cost.json").write_text(broken)
        assert "cost" not in write_report(tmp_path / "runs", tmp_path / "reports", None)["lessons"]
    found = _made_up({"rnn": 1.0, "transformer": 1.8}, LONG)
    (lessons / "cost.json").write_text(json.dumps(found))
    summary = write_report(tmp_path / "runs", tmp_path / "reports", None)
    assert summary["lessons"][-1] == "cost"
    html = summary["html"].read_text()
    assert '<figure class="lesson" data-lesson="cost"' in html
    assert "transformer (T^1.80 ± 0.00)" in html and "rnn (T^1.00 ± 0.00)" in html
