"""The documents stay usable: the README is a short front page (at most 250 lines), every
relative link in it and in docs/ leads to a file that exists, and its command table names
every `seqbench` subcommand and every installed script, so a new command cannot go unlisted."""

import re
import tomllib
from pathlib import Path

from helpers.cli import ROOT

from seqbench.cli.main import build_parser

README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")  # [text](target)
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def relative_links(document: Path) -> list[str]:
    """The link targets outside code blocks that are not URLs or same-page anchors."""
    text = FENCE.sub("", document.read_text())
    targets = (m.group(1) for m in LINK.finditer(text))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]


def test_the_readme_is_a_front_page_of_at_most_250_lines():
    lines = README.read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move detail to docs/"


def test_the_documents_exist_and_link_somewhere():
    names = {p.name for p in DOCUMENTS}
    for name in ("data.md", "pipeline.md", "lessons.md", "training.md", "guarantees.md",
                 "scaling.md", "measurements.md", "development.md", "architecture.md"):  # fmt: skip
        assert name in names, f"docs/{name} is missing"
    assert len(relative_links(README)) >= 9  # the README points at every document


def test_every_relative_link_leads_to_an_existing_file():
    broken = []
    for document in DOCUMENTS:
        for target in relative_links(document):
            path = target.split("#", 1)[0]
            if not (document.parent / path).exists():
                broken.append(f"{document.relative_to(ROOT)}: {target}")
    assert not broken, "links to missing files: " + ", ".join(broken)


def test_the_relative_link_check_sees_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[ok](page.md) [web](https://x.org) [here](#top) [gone](nope.md#a)\n"
                    "```\n[in code](ignored.md)\n```\n")  # fmt: skip
    assert relative_links(page) == ["page.md", "nope.md#a"]


def test_the_readme_command_table_lists_every_command_and_script():
    text = README.read_text()
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    missing = [f"seqbench {c}" for c in subparsers.choices if f"| `seqbench {c}" not in text]
    missing += [s for s in scripts if s != "seqbench" and f"| `{s}" not in text]
    missing += [] if "| `dvc repro`" in text else ["dvc repro"]
    assert not missing, f"README's command table lacks {missing}"
