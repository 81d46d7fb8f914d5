"""Character language modelling data: next-character prediction over windows of text."""

from typing import Any

import numpy as np
from datasets import DatasetDict

from seqbench.data import snapshot
from seqbench.data.batches import TokenWindows
from seqbench.data.datamodule import SPLITS, SnapshotDataModule, check_range, check_windows

UNKNOWN = 0  # id of any character not in the train split's vocabulary


def encode(text: str, vocab: list[str]) -> np.ndarray:
    """Character ids (1 + position in ``vocab``); unseen characters map to UNKNOWN."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    known = np.array([ord(c) for c in vocab], dtype=np.uint32)
    order = np.argsort(known)
    pos = np.searchsorted(known[order], codes).clip(0, len(known) - 1)
    hit = known[order][pos] == codes
    ids = np.where(hit, order[pos] + 1, UNKNOWN)
    return ids.astype(np.uint8 if len(vocab) < 255 else np.int32)


def decode(ids: list[int], vocab: list[str]) -> str:
    return "".join(vocab[i - 1] if 0 < i <= len(vocab) else "\ufffd" for i in ids)


class CharLMDataModule(SnapshotDataModule):
    """Each split's documents joined by a blank line, cut into windows of ``seq_len``; the
    target is the input shifted by one character. Windows never cross a split."""

    kind = "text"

    def __init__(
        self,
        name: str,
        raw_dir: str,
        seq_len: int = 128,
        stride: int | None = None,
        **loading: Any,
    ) -> None:
        """``loading``: batch_size, num_workers, steps_per_epoch, seed (SnapshotDataModule)."""
        super().__init__(name, raw_dir, **loading)
        self.stride = check_windows("seq_len", seq_len, stride)
        self.seq_len = seq_len
        self.vocab: list[str] = []

    @property
    def vocab_size(self) -> int:
        """Known characters plus the unknown id 0."""
        return len(self.vocab) + 1

    def build(self, splits: DatasetDict) -> dict[str, TokenWindows]:
        self.vocab = snapshot.load_vocab(self.name, self.raw_dir)
        ids = {
            s: encode("\n".join(splits[s].data.column("text").to_pylist()), self.vocab)
            for s in SPLITS
        }
        shortest = min(len(a) for a in ids.values())
        check_range("data.seq_len", self.seq_len, 1, shortest - 1)
        return {s: TokenWindows(a, self.seq_len, self.stride) for s, a in ids.items()}

    def info(self) -> dict:
        """Baseline: the unigram entropy of the train text (nats/char), what a model that
        ignores context entirely would score."""
        counts = np.bincount(self.datasets["train"].ids, minlength=self.vocab_size)
        p = counts[counts > 0] / counts.sum()
        return {
            "kind": self.kind,
            "vocab_size": self.vocab_size,
            "vocab": self.vocab,
            "seq_len": self.seq_len,
            "baseline": float(-(p * np.log(p)).sum()),
            "baseline_metric": "loss",
        }
