"""Untrusted text made safe for the pages: every name, reason and value in a report comes from
run folders (metrics.json, curves.csv, configs, provenance.json) that may have been shared or
pulled, so none of it may become markup, a link, an id or a hidden reordering of the text.

HTML text and attributes are escaped; ids are built from a slug and a hash, never from the raw
text; Markdown gets backslash escapes for what could start a tag, link, image or code span and
loses its line breaks where one would end a table row or heading; invisible direction and
control characters are shown as ``\\u202e`` so what a reader sees is what the file holds.
"""

import hashlib
import html
import re

# bidirectional overrides, embeddings, isolates and marks ("Trojan Source"), plus C0/C1
# controls other than tab and newline: shown as their code, never applied
INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# a backslash, code span, tag, autolink or table cell; a "]" that would close a link text
MARKDOWN_SPECIAL = re.compile(r"([\\`<|]|\](?=[(\[:]))")
LONGEST_SLUG = 40


def visible(text: object) -> str:
    """``text`` as a string with every invisible control character written out as \\uXXXX."""
    return INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def html_text(text: object) -> str:
    """Text for an HTML element or a double- or single-quoted attribute."""
    return html.escape(visible(text), quote=True)


def identifier(text: object) -> str:
    """An id or id prefix for ``text``: letters, digits and dashes, then a short hash, so
    different names never share an id and no name can leave the attribute."""
    raw = str(text)
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", raw).strip("-")[:LONGEST_SLUG].strip("-") or "x"
    return f"{slug}-{hashlib.sha1(raw.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def one_line(text: object) -> str:
    """Line breaks as spaces: a name must not end a Markdown table row, heading or list item."""
    return re.sub(r"\r\n|[\r\n\u2028\u2029\u0085]", " ", visible(text))


def md_text(text: object) -> str:
    """Running Markdown text: no tag, autolink, link, image or code span can start in it (a
    link needs ``](``, ``][`` or a ``]:`` definition, so that ``]`` is escaped; ``[0,1,2]``
    stays as it reads), and a ``|`` cannot split a table cell; emphasis and ``>`` are left
    alone: they only format."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def md_code(text: object) -> str:
    """An inline code span holding ``text`` whatever backticks it contains."""
    text = one_line(text)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_block(text: object, info: str = "") -> list[str]:
    """A fenced code block whose fence is longer than any backtick run in ``text``."""
    text = visible(text)
    fence = "`" * max(3, max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return [f"{fence}{info}", text, fence]
