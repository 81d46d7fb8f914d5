"""The Markdown renderer of the page kit: tables and sections as lines of Markdown.

Every text from the runs passes page/safe.py first: a name cannot open a tag, a link or an
image where the file is rendered (a pull request, a wiki), nor end a table row or a code block.
"""

from seqbench.page.parts import Section, Table
from seqbench.page.safe import md_block, md_text


def table_lines(table: Table) -> list[str]:
    """A Markdown table, every cell escaped, then a blank line."""
    header = table.header
    lines = ["| " + " | ".join(md_text(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def _caption(table: Table) -> list[str]:
    return [f"**{md_text(table.caption)}**", ""] if table.caption else []


def section_lines(lesson: Section) -> list[str]:
    """A lesson's section: its reading, tables and samples; its figures are in the HTML."""
    lines = [f"## {md_text(lesson.title)}", ""]
    lines += [f"{md_text(line)}\n" for line in lesson.reading if line]
    for table in lesson.tables:
        lines += _caption(table) + table_lines(table)
    for label, text in lesson.samples:
        lines += [f"**{md_text(label)}**", "", *md_block(text, "text"), ""]
    return lines
