"""The page model as Markdown: the same tables and readings as the HTML, for a pull request
or a terminal. Figures stay in the HTML; this file says where to find them.

Every text from the runs passes report/safe.py first: a name cannot open a tag, a link or an
image where the file is rendered (a pull request, a wiki), nor end a table row or a code block.
"""

from seqbench.report.output import MARKDOWN_MARK
from seqbench.report.page import FIGURES_ELSEWHERE, DatasetPage, Lesson, Page
from seqbench.report.safe import md_block, md_code, md_text
from seqbench.report.tables import Table


def table_lines(table: Table) -> list[str]:
    header = table.header
    lines = ["| " + " | ".join(md_text(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def _caption(table: Table) -> list[str]:
    return [f"**{md_text(table.caption)}**", ""] if table.caption else []


def _config_lines(section: DatasetPage) -> list[str]:
    table = section.config
    if table is None:
        return ["No run recorded its configuration.", ""]
    shared = "\n".join(f"{k}: {v}" for k, v in section.shared.items())
    lines = ["Settings that differ between runs:", "", *table_lines(table)]
    return [*lines, f"{md_text(section.shared_title)}:", "", *md_block(shared), ""]


def dataset_lines(section: DatasetPage) -> list[str]:
    data = md_text(section.data)
    return [
        f"## {data}",
        "",
        f"*{md_text(section.subtitle)}.*",
        "",
        md_text(" ".join(section.reading)),
        "",
        *table_lines(section.results),
        f"### Runs ({data})",
        "",
        *table_lines(section.runs),
        f"### Data provenance ({data})",
        "",
        *[f"- **{md_text(key)}**: {md_text(value)}" for key, value in section.provenance],
        "",
        f"### Configuration ({data})",
        "",
        *_config_lines(section),
    ]


def lesson_lines(lesson: Lesson) -> list[str]:
    """A lesson's reading, tables and samples; its figures are in the HTML."""
    lines = [f"## {md_text(lesson.title)}", ""]
    lines += [f"{md_text(line)}\n" for line in lesson.reading if line]
    for table in lesson.tables:
        lines += _caption(table) + table_lines(table)
    for label, text in lesson.samples:
        lines += [f"**{md_text(label)}**", "", *md_block(text, "text"), ""]
    return lines


def render_markdown(page: Page) -> str:
    lines = [
        MARKDOWN_MARK,
        f"# {md_text(page.title)}",
        "",
        f"Runs from {md_code(page.runs_dir)}: {md_text(page.tally)}. "
        f"Generated {md_text(page.generated)}. " + FIGURES_ELSEWHERE,
        "",
        "## Summary",
        "",
        *table_lines(page.summary),
        md_text(page.note),
        "",
        *([md_text(page.reference), ""] if page.reference else []),
    ]
    for section in page.datasets:
        lines += dataset_lines(section)
    for lesson in page.lessons:
        lines += lesson_lines(lesson)
    return "\n".join(lines).rstrip() + "\n"
