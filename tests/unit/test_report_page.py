"""The report's page model: built once, rendered twice. HTML and Markdown must show the same
verdicts, best model and baseline because both only lay out the same model; the verdict
rules and number formats are checked on hand-made records, where the numbers can be chosen.
"""

import html
import re
from pathlib import Path

import pytest

from seqbench.lessons.long_memory import reading as memory_reading
from seqbench.page import formats as formatting
from seqbench.page.safe import md_text
from seqbench.report import verdicts, wandb_report
from seqbench.report.html import render_html
from seqbench.report.markdown import render_markdown
from seqbench.report.page import MODELS_COMPARED, TITLE, build_page
from seqbench.report.results import DatasetResult, ModelResult, Run


def _result(scores: dict[str, list[float]], mode: str = "max", data: str = "d") -> DatasetResult:
    models = []
    for model, values in scores.items():
        runs = [
            Run(
                path=Path(f"{data}/{model}/{seed}"),
                metrics={
                    "data": data,
                    "model": model,
                    "seed": seed,
                    "monitor": "val/acc",
                    "mode": mode,
                    "status": "finished",
                    "test": {"test/acc": value},
                },
                curves=[{"step": s, "time_s": s, "val/acc": value} for s in (10, 20, 30, 40)],
            )
            for seed, value in enumerate(values)
        ]
        models.append(ModelResult(model, runs))
    return DatasetResult(data, models, "val/acc", mode, 0.2, "acc", "seqbench.tasks.Classifier")


@pytest.fixture(scope="module")
def rendered() -> tuple:
    results = [
        _result({"rnn": [0.5, 0.52], "lstm": [0.6, 0.61], "gru": [0.8, 0.82]}),
        _result({"rnn": [0.1], "gru": [0.15]}, data="e"),
        _result({"lstm": [0.9]}, data="f"),
    ]
    page = build_page(results, Path("runs"), "today")
    return results, page, render_html(page), render_markdown(page)


def test_both_renderings_carry_the_same_readings(rendered):
    _, page, page_html, page_md = rendered
    for section in page.datasets:
        text = " ".join(section.reading)
        assert md_text(text) in page_md
        assert html.escape(text) in page_html
    assert md_text(page.note) in page_md and html.escape(page.note) in page_html


def test_both_renderings_mark_the_same_best_model_and_baseline(rendered):
    results, page, page_html, page_md = rendered
    # e has one seed per model: a leader, but no winner may be named
    assert [s.best for s in page.datasets] == ["gru", None, None]
    assert [verdicts.leader(r).model for r in results] == ["gru", "gru", "lstm"]
    marked_html = re.findall(r'<tr class="best" data-model="(\w+)">', page_html)
    marked_md = re.findall(r"^\| (\w+) \(best\) \|", page_md, re.M)
    assert marked_html == marked_md == ["gru"]  # nor is a lone finisher
    assert page_html.count('<tr class="baseline">') == 3
    assert page_md.count("| trivial baseline | 0.200 |") == 3
    for row in page.summary.rows:
        num = ' class="num"'
        cells = "".join(
            f"<td{num if i > 4 else ''}>{html.escape(c)}</td>" for i, c in enumerate(row)
        )
        assert cells in page_html and "| " + " | ".join(row) + " |" in page_md


def test_the_model_is_built_once_and_rendered_without_rules_of_its_own(rendered):
    _, page, _, _ = rendered
    first = page.datasets[0]
    assert first.results.states == ["ok", "ok", "best", "baseline"]
    assert first.results.rows[-1][:2] == ["trivial baseline", "0.200"]
    assert [fig.kind for fig in first.figures] == ["bars", "curves"]
    assert first.subtitle == (
        "sequence classification; main metric: test accuracy, higher is better; "
        "models matched by parameters (task.param_budget)"
    )


def test_verdict_rules():
    assert verdicts.better(1.0, 2.0, "min") and verdicts.better(2.0, 1.0, "max")
    assert not verdicts.better(1.0, 1.0, "max")
    tie = verdicts.reading(_result({"rnn": [0.5], "gru": [0.5]}))
    assert tie[0] == "rnn and gru tie on d (test accuracy 0.500)."
    alone = _result({"lstm": [0.9, 0.91], "rnn": []})
    assert verdicts.leader(alone).model == "lstm" and verdicts.best_marked(alone) is None
    assert verdicts.reading(alone)[0].startswith("lstm is the only model that finished on d")
    below = verdicts.reading(_result({"rnn": [0.3], "gru": [0.1]}))
    assert "rnn beats it by 0.100. gru does not beat it." in " ".join(below)


def test_memory_verdicts_check_every_seed():
    lines = memory_reading.memory_verdicts("adding", {50: {"lstm": [0.005, 0.02], "rnn": [0.2]}})
    assert lines == [
        "Adding, T=50: LSTM 0.013, below 0.01 on 1 of 2 seeds (target missed); "
        "tanh RNN 0.200, above 0.1 on 1 of 1."
    ]
    assert memory_reading.memory_verdicts("copy", {10: {"gru": [0.5]}}) == [
        "Copy, T=10: recall accuracy gru 0.500; none solved."
    ]


def test_number_formats():
    assert formatting.number(None) == "–" and formatting.number(0) == "0.000"
    assert formatting.number(0.5123) == "0.512" and formatting.number(12345.0) == "1.23e+04"
    assert (
        formatting.spread(0.5, 0.02) == "0.500 ± 0.020" and formatting.spread(0.5, None) == "0.500"
    )
    assert [formatting.seconds(v) for v in (3.21, 600, 9000)] == ["3.2 s", "10.0 min", "2.5 h"]
    assert formatting.names(["a", "b", "c"]) == "a, b and c"


def test_the_wandb_report_takes_its_names_from_the_page_model():
    import wandb_workspaces.reports.v2 as wr

    report = wandb_report.build_report("team", "seqbench", "watch", ["val/acc", "test/acc"])
    (heading,) = [b for b in report.blocks if isinstance(b, wr.H1)]
    assert TITLE in heading.text and MODELS_COMPARED in report.title
    assert MODELS_COMPARED == "rnn vs lstm vs gru vs transformer"
