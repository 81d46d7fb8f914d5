"""The report as one self-contained HTML page: inline CSS, inline SVG, no script, no URL.

A Content-Security-Policy forbids every fetch, so the page provably works offline: if a
future change added an external reference, the browser would refuse it and log an error,
which the browser test catches. Tables and figures carry classes and data-attributes
(``table.results[data-dataset]``, ``figure.plot[data-kind]``) so tests can find them.
"""

from html import escape
from pathlib import Path

from seqbench.report import markdown as words
from seqbench.report.collect import DatasetResult
from seqbench.report.lessons import Section
from seqbench.report.plots import bars_svg, curves_svg

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --bad: #b00020; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 6px; padding-top: 14px; border-top: 2px solid var(--line); }
h2 small { font-size: 14px; font-weight: normal; color: var(--muted); margin-left: 8px; }
h3 { font-size: 16px; margin: 22px 0 6px; }
.meta, figcaption, .note { color: var(--muted); font-size: 13px; }
.reading { background: var(--soft); border-left: 4px solid #0072B2; padding: 10px 14px;
  margin: 12px 0; max-width: 980px; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left;
  vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.best td { font-weight: 600; background: #eef7ee; }
tr.baseline td { color: var(--muted); font-style: italic; }
.status-failed, .status-interrupted, .status-running, .status-unknown { color: var(--bad);
  font-weight: 600; }
table.runs td.why { max-width: 520px; word-break: break-word; font-size: 13px; }
table.config td { font-size: 13px; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre { background: var(--soft); padding: 10px; overflow-x: auto; max-height: 360px; }
.plots { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; margin: 14px 0; }
figure.plot { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px;
  background: #fff; }
figure.plot[data-kind="bars"] { flex: 0 1 560px; }
figure.plot[data-kind="curves"] { flex: 1 1 100%; }
figure.plot svg, figure.lesson svg { display: block; width: 100%; height: auto; }
figure.lesson { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px;
  flex: 0 1 560px; }
figure.lesson[data-wide] { flex: 1 1 100%; }
pre.sample { white-space: pre-wrap; max-width: 980px; }
details summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
"""


def _cells(row: list[str], numeric: set[int]) -> str:
    return "".join(
        f'<td class="num">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>"
        for i, c in enumerate(row)
    )


def _head(header: list[str], numeric: set[int]) -> str:
    cells = "".join(
        f'<th class="num" scope="col">{escape(h)}</th>'
        if i in numeric
        else f'<th scope="col">{escape(h)}</th>'
        for i, h in enumerate(header)
    )
    return f"<thead><tr>{cells}</tr></thead>"


def summary_table(results: list[DatasetResult]) -> str:
    numeric = {4, 5}
    body = "".join(f"<tr>{_cells(r, numeric)}</tr>" for r in words.summary_rows(results))
    head = _head(words.SUMMARY_HEADER, numeric)
    return f'<table class="summary" id="summary-table">{head}<tbody>{body}</tbody></table>'


def results_table(result: DatasetResult) -> str:
    numeric = {1, 2, 3, 4, 5}
    best = words.winner(result) if len(result.ranked) > 1 else None
    body = []
    for model, row in zip(result.models, words.results_rows(result), strict=True):
        css = "best" if model is best else ("failed" if model.mean is None else "")
        status = f'<td class="status-{"failed" if model.mean is None else "ok"}">'
        cells = _cells(row[:-1], numeric) + f"{status}{escape(row[-1])}</td>"
        body.append(f'<tr class="{css}" data-model="{escape(model.model)}">{cells}</tr>')
    if result.baseline_applies:
        row = ["trivial baseline", words.number(result.baseline), "", "", "", "", ""]
        body.append(f'<tr class="baseline">{_cells(row, numeric)}</tr>')
    head = _head(words.results_header(result), numeric)
    data = escape(result.data)
    return (
        f'<table class="results" data-dataset="{data}">{head}<tbody>{"".join(body)}</tbody></table>'
    )


def runs_table(result: DatasetResult, base: Path) -> str:
    numeric = {1, 3, 4, 5, 6}
    body = []
    for run, row in zip(result.runs, words.run_rows(result, base), strict=True):
        status = f'<td class="status-{escape(run.status)}">{escape(row[2])}</td>'
        why = f'<td class="why{"" if run.reason else " mono"}">{escape(row[7])}</td>'
        cells = _cells(row[:2], {1}) + status + _cells(row[3:7], {0, 1, 2, 3}) + why
        body.append(f'<tr data-status="{escape(run.status)}">{cells}</tr>')
    head = _head(words.RUN_HEADER, numeric)
    return (
        f'<table class="runs" data-dataset="{escape(result.data)}">{head}'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def provenance_table(result: DatasetResult) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td class="{"mono" if k == "content hash" else ""}"'
        f">{escape(v)}</td></tr>"
        for k, v in words.provenance_rows(result.provenance)
    )
    return f'<table class="provenance" data-dataset="{escape(result.data)}">{rows}</table>'


def config_block(result: DatasetResult) -> str:
    shared, differs = words.config_split(result.runs)
    if not shared and not differs:
        return '<p class="note">No run recorded its configuration.</p>'
    rows = "".join(
        f"<tr><td>{escape(words.run_label(run))}</td><td class='mono'>"
        + escape(", ".join(f"{k}={v}" for k, v in diff.items()) or "(same as shared)")
        + "</td></tr>"
        for run, diff in differs.items()
    )
    head = '<thead><tr><th scope="col">run</th><th scope="col">settings that differ</th></tr>'
    table = f'<table class="config" data-dataset="{escape(result.data)}">{head}</thead>{rows}'
    shared_text = "\n".join(f"{k}: {v}" for k, v in shared.items())
    return (
        f"{table}</table><details><summary>settings all {len(differs)} runs share "
        f"({len(shared)})</summary><pre>{escape(shared_text)}</pre></details>"
    )


def figure(kind: str, result: DatasetResult, svg: str, caption: str) -> str:
    return (
        f'<figure class="plot" data-kind="{kind}" data-dataset="{escape(result.data)}">'
        f"{svg}<figcaption>{escape(caption)}</figcaption></figure>"
    )


def dataset_section(result: DatasetResult, runs_dir: Path) -> str:
    kind = words.KIND_WORDS.get(result.kind, result.kind or "task")
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in result.data)
    bars = figure(
        "bars",
        result,
        bars_svg(result),
        f"Test {words.metric_words(result.monitor, result.kind)} per model: mean over seeds, "
        "error bars ±1 std; dashed: the trivial baseline.",
    )
    curves = figure(
        "curves",
        result,
        curves_svg(result),
        f"Validation {words.metric_words(result.monitor, result.kind)} during training, "
        "against optimiser steps and wall-clock seconds; thin lines are single seeds.",
    )
    return f"""
<section class="dataset" id="data-{slug}" data-dataset="{escape(result.data)}">
<h2>{escape(result.data)} <small>{escape(kind)} · main metric: {escape(result.label())},
{escape(result.better)}</small></h2>
<p class="reading">{escape(" ".join(words.reading(result)))}</p>
{results_table(result)}
<div class="plots">{bars}{curves}</div>
<h3>Runs <small class="note">(directories under {escape(str(runs_dir))})</small></h3>
{runs_table(result, runs_dir)}
<h3>Data provenance</h3>
{provenance_table(result)}
<h3>Configuration</h3>
{config_block(result)}
</section>"""


def lesson_section(section: Section) -> str:
    """A lesson: its reading, tables, figures and text samples."""
    tables = "".join(
        (f"<h3>{escape(caption)}</h3>" if caption else "")
        + f'<table class="lesson" data-lesson="{section.key}">{_head(header, set())}<tbody>'
        + "".join(f"<tr>{_cells(row, set())}</tr>" for row in rows)
        + "</tbody></table>"
        for caption, header, rows in section.tables
    )
    wide = " data-wide" if section.key == "streaming" else ""
    figures = "".join(
        f'<figure class="lesson" data-lesson="{section.key}"{wide}>{svg}'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
        for svg, caption in section.figures
    )
    samples = "".join(
        f'<h3>{escape(label)}</h3><pre class="sample">{escape(text)}</pre>'
        for label, text in section.samples
    )
    reading = "".join(f'<p class="reading">{escape(line)}</p>' for line in section.reading if line)
    return f"""
<section class="lesson" id="lesson-{section.key}" data-lesson="{section.key}">
<h2>{escape(section.title)}</h2>
{reading}{tables}<div class="plots">{figures}</div>{samples}
</section>"""


def render_html(
    results: list[DatasetResult], runs_dir: Path, generated: str, lessons: list[Section] = ()
) -> str:
    runs = [run for result in results for run in result.runs]
    good = sum(run.ok for run in runs)
    sections = "".join(dataset_section(result, runs_dir) for result in results)
    sections += "".join(lesson_section(section) for section in lessons)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>seqbench: model comparison</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>seqbench: model comparison</h1>
<p class="meta">Runs from <code>{escape(str(runs_dir))}</code>: {len(runs)} runs, {good} finished,
{len(runs) - good} failed or unfinished. Generated {escape(generated)}.</p>
</header>
<section id="summary">
<h2>Summary</h2>
{summary_table(results)}
<p class="note">Main metric: the test value of the metric that picked each run's best
checkpoint. Mean ± sample standard deviation over seeds; failed runs are listed, never
averaged.</p>
</section>
{sections}
</main>
</body>
</html>
"""
