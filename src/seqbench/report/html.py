"""The comparison as one self-contained HTML page: the page kit's document rules (inline
CSS, inline SVG, no script, no URL: :mod:`seqbench.page.html`) around the comparison's own
parts, its summary and one section per dataset. Tables and figures carry classes and
data-attributes (``table.results[data-dataset]``, ``figure.plot[data-kind]``) so tests can
find them.
"""

from seqbench.page.html import CSP, CSS, figure, row_cells, section_html, table_html
from seqbench.page.parts import Table
from seqbench.page.safe import html_text, identifier
from seqbench.report.output import HTML_MARK as MARK
from seqbench.report.page import DatasetPage, Page


def summary_table(table: Table) -> str:
    rows = [f"<tr>{row_cells(row, table.numeric)}</tr>" for row in table.rows]
    return table_html(table, 'class="summary" id="summary-table"', rows)


def results_table(table: Table, data: str) -> str:
    """Best and failed models marked by class, the baseline row set apart."""
    rows = []
    for row, state, model in zip(table.rows, table.states, table.models, strict=True):
        if state == "baseline":
            rows.append(f'<tr class="baseline">{row_cells(row, table.numeric)}</tr>')
            continue
        status = {len(row) - 1: f"status-{'failed' if state == 'failed' else 'ok'}"}
        css = state if state in ("best", "failed") else ""
        tds = row_cells(row, table.numeric, status)
        rows.append(f'<tr class="{css}" data-model="{html_text(model)}">{tds}</tr>')
    return table_html(table, f'class="results" data-dataset="{html_text(data)}"', rows)


def runs_table(table: Table, data: str) -> str:
    """Each run's status as a class; a failure's reason in prose, a directory in mono."""
    rows = []
    for row, status in zip(table.rows, table.states, strict=True):
        why = "why mono" if status == "finished" else "why"
        classes = {2: f"status-{html_text(status)}", len(row) - 1: why}
        tds = row_cells(row, table.numeric, classes)
        rows.append(f'<tr data-status="{html_text(status)}">{tds}</tr>')
    return table_html(table, f'class="runs" data-dataset="{html_text(data)}"', rows)


def provenance_table(section: DatasetPage) -> str:
    rows = "".join(
        f'<tr><th scope="row">{html_text(k)}</th>'
        f'<td class="{"mono" if k == "content hash" else ""}">{html_text(v)}</td></tr>'
        for k, v in section.provenance
    )
    return f'<table class="provenance" data-dataset="{html_text(section.data)}">{rows}</table>'


def config_block(section: DatasetPage) -> str:
    table = section.config
    if table is None:
        return '<p class="note">No run recorded its configuration.</p>'
    rows = [f"<tr>{row_cells(row, frozenset(), {1: 'mono'})}</tr>" for row in table.rows]
    shared = "\n".join(f"{k}: {v}" for k, v in section.shared.items())
    return (
        table_html(table, f'class="config" data-dataset="{html_text(section.data)}"', rows)
        + f"<details><summary>{html_text(section.shared_title)} ({len(section.shared)})</summary>"
        f"<pre>{html_text(shared)}</pre></details>"
    )


def dataset_section(section: DatasetPage, runs_dir: str) -> str:
    data = html_text(section.data)
    slug = identifier(section.data)
    plots = "".join(
        figure(fig, "plot", f'data-kind="{html_text(fig.kind)}" data-dataset="{data}"')
        for fig in section.figures
    )
    return f"""
<section class="dataset" id="data-{slug}" data-dataset="{data}">
<h2>{data} <small>{html_text(section.subtitle)}</small></h2>
<p class="reading">{html_text(" ".join(section.reading))}</p>
{results_table(section.results, section.data)}
<div class="plots">{plots}</div>
<h3>Runs <small class="note">(directories under {html_text(runs_dir)})</small></h3>
{runs_table(section.runs, section.data)}
<h3>Data provenance</h3>
{provenance_table(section)}
<h3>Configuration</h3>
{config_block(section)}
</section>"""


def render_html(page: Page) -> str:
    sections = "".join(dataset_section(section, page.runs_dir) for section in page.datasets)
    sections += "".join(section_html(lesson) for lesson in page.lessons)
    note = html_text(page.reference)
    reference = f'<p class="note" id="reference">{note}</p>' if page.reference else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
{MARK}
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html_text(page.title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>{html_text(page.title)}</h1>
<p class="meta">Runs from <code>{html_text(page.runs_dir)}</code>: {html_text(page.tally)}.
Generated {html_text(page.generated)}.</p>
</header>
<section id="summary">
<h2>Summary</h2>
{summary_table(page.summary)}
<p class="note">{html_text(page.note)}</p>
{reference}
</section>
{sections}
</main>
</body>
</html>
"""
