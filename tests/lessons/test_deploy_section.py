"""The deploy lesson's report section: absent without deploy.json; per dataset a table of the
costs as measured beside the quality over seeds, simplest first, the Pareto marks as a
brute-force search finds them, the figure, and a sentence that names a model only when the
results are settled."""

import json
import statistics

from helpers.deploy_runs import BOARD, brute_front, make_board, write_run

from seqbench.lessons.deploy.section import section
from seqbench.lessons.registry import sections
from seqbench.page.html import section_html
from seqbench.page.markdown import section_lines
from seqbench.report.collect import find_runs


def test_no_deploy_json_no_section(tmp_path):
    runs = make_board(tmp_path / "runs", deploy=False)
    assert section(find_runs(runs), tmp_path) is None
    keys = [part.key for part in sections(find_runs(runs), tmp_path)]
    assert "deploy" not in keys


def test_the_table_shows_what_was_measured_with_the_pareto_fronts(tmp_path):
    runs = make_board(tmp_path / "runs", onnx=0.03)
    for seed, score in enumerate([0.60, 0.61, 0.62]):  # results, but never measured
        where = runs / "watch" / "rnn_large" / str(seed)
        write_run(where, "rnn_large", seed, score, 90_000, deploy=False)
    shown = section(find_runs(runs), tmp_path)
    assert shown is not None and shown.key == "deploy"
    [table] = shown.tables
    models = [row[0] for row in table.rows]
    simplest = sorted(BOARD, key=lambda m: (BOARD[m][0], BOARD[m][1]))
    assert models == [*simplest, "rnn_large"]  # measured simplest first, then the unmeasured
    rows = {row[0]: row for row in table.rows}
    for model, (params, state, step, scores) in BOARD.items():
        row = rows[model]
        assert row[1] == f"{params:,}" and row[3] == f"{state:,}"
        assert row[2] == f"{4 * params / 1000:.3f}"  # weights: 4 bytes a parameter, in kB
        median = statistics.median(step * (1 + 0.01 * s) for s in range(len(scores)))
        assert row[4].startswith(f"{median:.3f} / ")
        assert row[6].startswith(f"{statistics.fmean(scores):.3f} ± ")
    assert rows["rnn_large"][-1] == "not measured"
    means = {m: statistics.fmean(v[3]) for m, v in BOARD.items()}
    step = brute_front({m: (means[m], statistics.median(
        BOARD[m][2] * (1 + 0.01 * s) for s in range(3))) for m in BOARD}, "max")  # fmt: skip
    memory = brute_front({m: (means[m], 4 * BOARD[m][0] + BOARD[m][1]) for m in BOARD}, "max")
    for model in BOARD:
        marks = rows[model][-1]
        assert ("time" in marks) == (model in step), (model, marks, step)
        assert ("memory" in marks) == (model in memory), (model, marks, memory)
    said = " ".join(shown.reading)
    assert "watch: gru is the simplest model whose test accuracy is not separable" in said
    assert "gru 0.800 ± 0.010 (n=3) against lstm 0.810 ± 0.010 (n=3)" in said
    assert "not measured on a device (no deploy.json): rnn_large" in said
    [figure] = shown.figures
    assert figure.svg.startswith("<svg") and "Pareto front" in figure.svg
    assert "$" not in figure.svg  # tick labels written out, no TeX
    html = section_html(shown)
    assert 'id="lesson-deploy"' in html and html.count("<svg") == 1
    assert any("| gru |" in line for line in section_lines(shown))


def test_a_growing_state_and_a_model_that_does_not_export_read_as_such(tmp_path):
    runs = make_board(tmp_path / "runs", {"transformer": BOARD["transformer"]})
    for seed in range(3):
        path = runs / "watch" / "transformer" / str(seed) / "deploy.json"
        record = json.loads(path.read_text())
        path.write_text(json.dumps(record | {"state_growth_bytes": 512}))
    [table] = section(find_runs(runs), tmp_path).tables
    [row] = table.rows
    assert row[3] == "65,536 +512/step"
    assert row[5] == "not exported"  # onnx: null in every run


def test_unsettled_results_name_no_model_in_the_section(tmp_path):
    runs = make_board(tmp_path / "runs", falling=True)
    said = " ".join(section(find_runs(runs), tmp_path).reading)
    assert "cannot be named yet" in said and "still improving" in said
    assert "gru is the simplest" not in said


def test_a_damaged_deploy_json_is_named_not_used(tmp_path):
    runs = make_board(tmp_path / "runs", {"gru": BOARD["gru"]})
    (runs / "watch" / "gru" / "2" / "deploy.json").write_text('{"parameters": -5}')
    shown = section(find_runs(runs), tmp_path)
    said = " ".join(shown.reading)
    assert "Unreadable deploy.json, left out:" in said and "parameters is -5" in said
    [row] = shown.tables[0].rows
    assert row[1] == f"{BOARD['gru'][0]:,}"  # the two good files still count
