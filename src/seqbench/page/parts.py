"""What a page is made of: tables of text cells, figures as inline SVG, and sections that hold
them with their reading. Built once; the HTML and Markdown renderers only lay them out, so
both show the same numbers and sentences."""

from dataclasses import dataclass, field


@dataclass
class Table:
    """Rows of text cells. `states` (per row, or empty) say what a row is: "best", "failed",
    "ok" or "baseline" in a results table, the run's status in a runs table; `models` name
    each results row's model. Renderers style by them; the cells already say it in words."""

    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: frozenset[int] = frozenset()  # columns of numbers (right-aligned in HTML)
    states: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)


@dataclass
class Figure:
    """An inline SVG and what it shows; `wide` lesson figures take the page's full width."""

    kind: str
    svg: str
    caption: str
    wide: bool = False


@dataclass
class Section:
    """One section of a page, as a lesson gives it (gradient flow, long memory, ...): its
    reading, tables, figures and text samples; ``key`` names it in ids and attributes."""

    key: str
    title: str
    reading: list[str]
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    samples: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
