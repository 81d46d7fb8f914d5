"""The hashes a snapshot is checked by, in a module light enough for the pre-run checks.

A snapshot's content hash covers its whole provenance record: the md5 of every file and
every fact beside them (kind, length, rows, source, split rule, licence, ...). So a fact the
code reads (a synthetic task's length sets the baseline, the row counts an empty split) is
as bound to data.dvc's pin as the files are: editing one is refused like editing a file.
One fact stays outside: a Hub source's commit ``sha``, which an offline rebuild from the
client's cache cannot know (it records none) though its files are the same bytes; it is
shown by the report, never used to build or judge a run.
"""

import hashlib
import json
from pathlib import Path

CONTENT_HASH = "content_hash"


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_hash(record: dict) -> str:
    """md5 of a provenance record (its ``files`` md5s and every other fact), without the
    content hash it is stored beside."""
    facts = {key: value for key, value in record.items() if key != CONTENT_HASH}
    source = facts.get("source")
    if isinstance(source, dict) and source.get("type") == "hub":
        facts["source"] = {key: value for key, value in source.items() if key != "sha"}
    return hashlib.md5(json.dumps(facts, sort_keys=True).encode()).hexdigest()
