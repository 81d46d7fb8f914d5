"""Text classification data: each text (a tweet, a sentence, a review) is one example of
character or UTF-8 byte ids with one label, padded at the end within its batch.

The ids are encoded here, once per run, from the snapshot's text: these corpora are small
(tens of thousands of short texts) and the character vocabulary is the train split's, so
nothing of validation or test decides an id.
"""

from typing import Any

import numpy as np
from datasets import DatasetDict

from seqbench.data.batches import PaddedTokens
from seqbench.data.datamodule import SPLITS, SnapshotDataModule, check_range
from seqbench.data.vocab import BYTE, KINDS, UNKNOWN, Vocab, encode, size
from seqbench.errors import ConfigError


def train_vocab(texts: list[str]) -> list[str]:
    """The characters of the train split, sorted: ids 1.. (0 is any other character)."""
    return sorted(set("".join(texts)))


class TextClassesDataModule(SnapshotDataModule):
    """``vocab``: ``char`` (the train split's characters) or ``byte`` (256 ids). ``max_len``
    keeps each text's first ``max_len`` tokens (long reviews), null keeps all."""

    kind = "text_classify"

    def __init__(
        self,
        name: str,
        raw_dir: str,
        vocab: str = "char",
        max_len: int | None = None,
        **loading: Any,
    ) -> None:
        """``loading``: batch_size, num_workers, steps_per_epoch, seed (SnapshotDataModule)."""
        super().__init__(name, raw_dir, **loading)
        if vocab not in KINDS:
            raise ConfigError(f"data.vocab={vocab!r} is not a vocabulary; valid: char, byte")
        if max_len is not None:
            check_range("data.max_len", max_len, 1)
        self.vocab_kind, self.max_len = vocab, max_len
        self.vocab: Vocab = []
        self.classes: list[str] = []
        self.longest = 0

    def build(self, splits: DatasetDict) -> dict[str, PaddedTokens]:
        self.classes = splits["train"].features["label"].names
        texts = {s: splits[s]["text"] for s in SPLITS}
        self.vocab = BYTE if self.vocab_kind == BYTE else train_vocab(texts["train"])
        built = {s: self._encode(texts[s], splits[s]["label"]) for s in SPLITS}
        self.longest = max(int(d.lengths.max()) for d in built.values())
        return built

    def _encode(self, texts: list[str], labels: list[int]) -> PaddedTokens:
        pieces = [encode(text, self.vocab)[: self.max_len] for text in texts]
        lengths = np.array([len(p) for p in pieces], dtype=np.int64)
        ids = np.concatenate(pieces).astype(np.int64) if pieces else np.zeros(0, np.int64)
        return PaddedTokens(ids, lengths, np.asarray(labels, dtype=np.int64), pad=UNKNOWN)

    def info(self) -> dict:
        """Baseline: the validation accuracy of always answering the train split's most
        frequent class; ``window`` is the longest text (what a batch can hold)."""
        counts = np.bincount(self.datasets["train"].labels, minlength=len(self.classes))
        majority = counts.argmax()
        return {
            "kind": self.kind,
            "vocab_size": size(self.vocab),
            "vocab": self.vocab,
            "classes": list(self.classes),
            "class_counts": counts.tolist(),
            "window": self.longest,
            "variable_length": True,
            "baseline": float((self.datasets["validation"].labels == majority).mean()),
            "baseline_metric": "acc",
        }
