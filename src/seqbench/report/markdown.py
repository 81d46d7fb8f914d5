"""The comparison as Markdown: the same tables and readings as the HTML, for a pull request
or a terminal, laid out with the page kit's Markdown renderer (:mod:`seqbench.page.markdown`).
Figures stay in the HTML; this file says where to find them."""

from seqbench.page.markdown import section_lines, table_lines
from seqbench.page.safe import md_block, md_code, md_text
from seqbench.report.output import MARKDOWN_MARK
from seqbench.report.page import FIGURES_ELSEWHERE, DatasetPage, Page


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
        lines += section_lines(lesson)
    return "\n".join(lines).rstrip() + "\n"
