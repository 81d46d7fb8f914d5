"""The page kit's HTML renderer, for one self-contained page: inline CSS, inline SVG, no
script, no URL.

A Content-Security-Policy forbids every fetch, so the page provably works offline: if a
future change added an external reference, the browser would refuse it and log an error,
which the browser test catches. It also forbids every script and inline event handler, and
every <style> element but the page's own (by its hash): the names on the page come from run
folders that may have been shared, and are escaped (page/safe.py), so this is the second
wall. Style attributes stay allowed: matplotlib's SVG draws with them. A lesson's section
carries ``data-lesson`` on its section, tables and figures so tests can find them.
"""

import base64
import hashlib

from seqbench.page.parts import Figure, Section, Table
from seqbench.page.safe import html_text

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
svg * { stroke-linejoin: round; stroke-linecap: butt; }
"""
STYLE_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
CSP = (
    "default-src 'none'; script-src 'none'; img-src data:; base-uri 'none'; "
    f"form-action 'none'; style-src-elem 'sha256-{STYLE_HASH}'; style-src-attr 'unsafe-inline'; "
    "style-src 'unsafe-inline'"
)


def row_cells(
    row: list[str], numeric: frozenset[int], classes: dict[int, str] | None = None
) -> str:
    """<td>s; a column's class from `classes`, else "num" for numeric columns."""
    cells = []
    for i, text in enumerate(row):
        css = (classes or {}).get(i) or ("num" if i in numeric else "")
        cells.append(
            f'<td class="{css}">{html_text(text)}</td>' if css else f"<td>{html_text(text)}</td>"
        )
    return "".join(cells)


def _head(header: list[str], numeric: frozenset[int]) -> str:
    cells = "".join(
        f'<th class="num" scope="col">{html_text(h)}</th>'
        if i in numeric
        else f'<th scope="col">{html_text(h)}</th>'
        for i, h in enumerate(header)
    )
    return f"<thead><tr>{cells}</tr></thead>"


def table_html(table: Table, attributes: str, rows: list[str]) -> str:
    """A <table> with ``attributes``, its header row and the body ``rows`` given."""
    head = _head(table.header, table.numeric)
    return f"<table {attributes}>{head}<tbody>{''.join(rows)}</tbody></table>"


def figure(fig: Figure, css: str, attributes: str) -> str:
    """A <figure> with its inline SVG and caption; ``data-wide`` where it takes the full width."""
    wide = " data-wide" if fig.wide else ""
    return (
        f'<figure class="{css}" {attributes}{wide}>{fig.svg}'
        f"<figcaption>{html_text(fig.caption)}</figcaption></figure>"
    )


def section_html(lesson: Section) -> str:
    """A lesson's section: its reading, tables, figures and text samples."""
    key = html_text(lesson.key)
    tables = "".join(
        (f"<h3>{html_text(table.caption)}</h3>" if table.caption else "")
        + table_html(
            table,
            f'class="lesson" data-lesson="{key}"',
            [f"<tr>{row_cells(row, table.numeric)}</tr>" for row in table.rows],
        )
        for table in lesson.tables
    )
    figures = "".join(figure(fig, "lesson", f'data-lesson="{key}"') for fig in lesson.figures)
    samples = "".join(
        f'<h3>{html_text(label)}</h3><pre class="sample">{html_text(text)}</pre>'
        for label, text in lesson.samples
    )
    lines = [line for line in lesson.reading if line]
    reading = "".join(f'<p class="reading">{html_text(line)}</p>' for line in lines)
    return f"""
<section class="lesson" id="lesson-{key}" data-lesson="{key}">
<h2>{html_text(lesson.title)}</h2>
{reading}{tables}<div class="plots">{figures}</div>{samples}
</section>"""
