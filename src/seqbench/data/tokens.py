"""Token ids built once, at fetch time: ``ids/<vocab>/<split>.npy`` in the text snapshot.

Each split's documents, joined by a newline, are encoded both ways (characters of the train
split and UTF-8 bytes) into ``.npy`` files that training memory-maps: start-up neither reads
the documents back as Python strings nor re-encodes the corpus, and its memory does not grow
with it. Both vocabularies are stored so ``data.vocab`` is a training choice, not a re-fetch
(the cost is disk: about one byte per byte each for ASCII-like text). The arrays are written
a few MB at a time from Arrow record batches, so fetch memory does not grow either.
``ids/meta.json`` holds each array's length and the train split's unigram counts (the
baseline), so start-up need not read the arrays through. All of it is in the snapshot's md5s.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
from datasets import Dataset, DatasetDict

from seqbench.data import vocab as vocabulary
from seqbench.errors import DataError
from seqbench.safety import atomic

IDS = "ids"
META = f"{IDS}/meta.json"
CHUNK_BYTES = 1 << 20  # text encoded per step (a longer single document is one step)


def _batches(dataset: Dataset) -> Iterator[list[str]]:
    """The split's documents, a few MB of them at a time, in order."""
    rows = len(dataset)
    per = max(1, int(rows * CHUNK_BYTES / max(1, dataset.data.nbytes)))
    for table in dataset.with_format("arrow").iter(batch_size=per):
        yield table.column("text").to_pylist()


def _chunks(dataset: Dataset) -> Iterator[str]:
    """The split's text, documents joined by a newline, as consecutive pieces."""
    first = True
    for texts in _batches(dataset):
        if texts:
            yield ("" if first else "\n") + "\n".join(texts)
            first = False


def _lengths(dataset: Dataset) -> tuple[int, int]:
    """(characters, UTF-8 bytes) of the joined text, without decoding it."""
    chars = size = 0
    for table in dataset.with_format("arrow").iter(batch_size=65536):
        column = table.column("text")
        chars += pc.sum(pc.utf8_length(column)).as_py() or 0
        size += pc.sum(pc.binary_length(column)).as_py() or 0
    separators = max(0, len(dataset) - 1)
    return chars + separators, size + separators


def char_vocab(train: Dataset) -> list[str]:
    """Characters of the train split, sorted: the vocabulary every char model shares."""
    seen: set[str] = set()
    for chunk in _chunks(train):
        seen.update(chunk)
    return sorted(seen)


class _NpyWriter:
    """A 1-D ``.npy`` file of known length, written piece by piece (never held whole)."""

    def __init__(self, path: Path, dtype: np.dtype, length: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle, self.dtype, self.left = path.open("wb"), dtype, length
        header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False}
        np.lib.format.write_array_header_1_0(self.handle, header | {"shape": (length,)})

    def write(self, ids: np.ndarray) -> None:
        self.handle.write(ids.astype(self.dtype, copy=False).tobytes())
        self.left -= len(ids)

    def close(self) -> None:
        self.handle.close()
        if self.left:
            raise DataError(f"{self.handle.name}: token count off by {self.left}; fetch again")


def write(splits: DatasetDict, folder: Path) -> list[str]:
    """Write every split's ids both ways and ``ids/meta.json``; returns the char vocabulary."""
    chars = char_vocab(splits["train"])
    dtypes = {"char": vocabulary.char_dtype(chars), vocabulary.BYTE: np.dtype(np.uint8)}
    vocabs: dict[str, vocabulary.Vocab] = {"char": chars, vocabulary.BYTE: vocabulary.BYTE}
    meta: dict[str, dict] = {kind: {"length": {}} for kind in vocabs}
    for split, dataset in splits.items():
        lengths = dict(zip(vocabs, _lengths(dataset), strict=True))
        writers = {
            kind: _NpyWriter(folder / IDS / kind / f"{split}.npy", dtypes[kind], lengths[kind])
            for kind in vocabs
        }
        counts = {kind: np.zeros(vocabulary.size(v), np.int64) for kind, v in vocabs.items()}
        for chunk in _chunks(dataset):
            for kind, vocab in vocabs.items():
                ids = vocabulary.encode(chunk, vocab)
                writers[kind].write(ids)
                counts[kind] += np.bincount(ids, minlength=len(counts[kind]))
        for kind, writer in writers.items():
            writer.close()
            meta[kind]["length"][split] = lengths[kind]
            if split == "train":
                meta[kind]["train_counts"] = counts[kind].tolist()
    atomic.write_text(folder / META, json.dumps(meta, sort_keys=True))
    return chars


def load(folder: Path, name: str, kind: str) -> tuple[dict[str, np.ndarray], list[int]]:
    """Each split's ids, memory-mapped read-only, and the train unigram counts."""
    if not (folder / META).is_file():
        raise DataError(
            f"snapshot {folder} has no token ids (built by an older seqbench); rebuild it "
            f"with `seqbench fetch {name}`"
        )
    meta = json.loads((folder / META).read_text())[kind]
    ids = {
        split: np.load(folder / IDS / kind / f"{split}.npy", mmap_mode="r")
        for split in meta["length"]
    }
    return ids, meta["train_counts"]
