"""Language modelling data: next-token prediction (characters or UTF-8 bytes) over windows."""

from typing import Any

import numpy as np
from datasets import DatasetDict

from seqbench.data import snapshot, tokens
from seqbench.data.batches import TokenWindows
from seqbench.data.datamodule import SPLITS, SnapshotDataModule, check_range, check_windows
from seqbench.data.vocab import BYTE, KINDS, UNKNOWN, Vocab, decode, encode, size
from seqbench.errors import ConfigError

__all__ = ["BYTE", "UNKNOWN", "CharLMDataModule", "decode", "encode"]


class CharLMDataModule(SnapshotDataModule):
    """Each split's documents joined by a newline, cut into windows of ``seq_len``; the
    target is the input shifted by one token. Windows never cross a split. The ids were
    encoded at fetch time and are memory-mapped here: ``vocab`` picks the characters of the
    train split (``char``) or UTF-8 bytes (``byte``: 256 ids, no unknown characters)."""

    kind = "text"

    def __init__(
        self,
        name: str,
        raw_dir: str,
        seq_len: int = 128,
        stride: int | None = None,
        vocab: str = "char",
        **loading: Any,
    ) -> None:
        """``loading``: batch_size, num_workers, steps_per_epoch, seed (SnapshotDataModule)."""
        super().__init__(name, raw_dir, **loading)
        if vocab not in KINDS:
            raise ConfigError(f"data.vocab={vocab!r} is not a vocabulary; valid: char, byte")
        self.stride = check_windows("seq_len", seq_len, stride)
        self.seq_len, self.vocab_kind = seq_len, vocab
        self.vocab: Vocab = []
        self.train_counts: list[int] = []

    @property
    def vocab_size(self) -> int:
        """256 bytes, or the known characters plus the unknown id 0."""
        return size(self.vocab)

    def build(self, splits: DatasetDict) -> dict[str, TokenWindows]:
        folder = self.raw_dir / self.name
        ids, self.train_counts = tokens.load(folder, self.name, self.vocab_kind)
        byte = self.vocab_kind == BYTE
        self.vocab = BYTE if byte else snapshot.load_vocab(self.name, self.raw_dir)
        shortest = min(len(ids[s]) for s in SPLITS)
        check_range("data.seq_len", self.seq_len, 1, shortest - 1)
        return {s: TokenWindows(ids[s], self.seq_len, self.stride) for s in SPLITS}

    def info(self) -> dict:
        """Baseline: the unigram entropy of the train text (nats/token), what a model that
        ignores context entirely would score; counted at fetch time."""
        counts = np.asarray(self.train_counts, dtype=np.float64)
        p = counts[counts > 0] / counts.sum()
        return {
            "kind": self.kind,
            "vocab_size": self.vocab_size,
            "vocab": self.vocab,
            "seq_len": self.seq_len,
            "baseline": float(-(p * np.log(p)).sum()),
            "baseline_metric": "loss",
        }
