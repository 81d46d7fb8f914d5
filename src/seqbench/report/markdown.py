"""The page model as Markdown: the same tables and readings as the HTML, for a pull request
or a terminal. Figures stay in the HTML; this file says where to find them."""

from seqbench.report.page import FIGURES_ELSEWHERE, DatasetPage, Lesson, Page
from seqbench.report.tables import Table


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table_lines(table: Table) -> list[str]:
    header = table.header
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def _caption(table: Table) -> list[str]:
    return [f"**{table.caption}**", ""] if table.caption else []


def _config_lines(section: DatasetPage) -> list[str]:
    table = section.config
    if table is None:
        return ["No run recorded its configuration.", ""]
    shared = [f"{k}: {v}" for k, v in section.shared.items()]
    lines = ["Settings that differ between runs:", "", *table_lines(table)]
    return [*lines, f"{section.shared_title}:", "", "```", *shared, "```", ""]


def dataset_lines(section: DatasetPage) -> list[str]:
    data = section.data
    return [
        f"## {data}",
        "",
        f"*{section.subtitle}.*",
        "",
        " ".join(section.reading),
        "",
        *table_lines(section.results),
        f"### Runs ({data})",
        "",
        *table_lines(section.runs),
        f"### Data provenance ({data})",
        "",
        *[f"- **{key}**: {value}" for key, value in section.provenance],
        "",
        f"### Configuration ({data})",
        "",
        *_config_lines(section),
    ]


def lesson_lines(lesson: Lesson) -> list[str]:
    """A lesson's reading, tables and samples; its figures are in the HTML."""
    lines = [f"## {lesson.title}", "", *(f"{line}\n" for line in lesson.reading if line)]
    for table in lesson.tables:
        lines += _caption(table) + table_lines(table)
    for label, text in lesson.samples:
        lines += [f"**{label}**", "", "```text", text, "```", ""]
    return lines


def render_markdown(page: Page) -> str:
    lines = [
        f"# {page.title}",
        "",
        f"Runs from `{page.runs_dir}`: {page.tally}. Generated {page.generated}. "
        + FIGURES_ELSEWHERE,
        "",
        "## Summary",
        "",
        *table_lines(page.summary),
        page.note,
        "",
        *([page.reference, ""] if page.reference else []),
    ]
    for section in page.datasets:
        lines += dataset_lines(section)
    for lesson in page.lessons:
        lines += lesson_lines(lesson)
    return "\n".join(lines).rstrip() + "\n"
