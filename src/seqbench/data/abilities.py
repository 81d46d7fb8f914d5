"""Ability probes (selective copy, induction, MQAR, parity): token rows of varying length,
answers only where the task asks for one (:mod:`seqbench.data.sources.abilities`)."""

import numpy as np
from datasets import DatasetDict

from seqbench.data.batches import Pairs
from seqbench.data.datamodule import SPLITS, SnapshotDataModule
from seqbench.data.sources.abilities import NO_ANSWER, PAD


def padded(rows: list[list[int]], fill: int) -> np.ndarray:
    """Rows of any length as one (n, longest) int64 array, ``fill`` after each row's end.

    Padding goes after the row: every model is causal, so an output at or before a row's last
    token never sees it, and padded positions are never scored."""
    out = np.full((len(rows), max(map(len, rows))), fill, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


class AbilityDataModule(SnapshotDataModule):
    """Inputs and answers as the probe built them, padded to each split's longest row."""

    kind = "ability"

    def build(self, splits: DatasetDict) -> dict[str, Pairs]:
        columns = {s: splits[s][:] for s in SPLITS}
        return {
            s: Pairs(padded(c["x"], PAD), padded(c["y"], NO_ANSWER)) for s, c in columns.items()
        }

    def info(self) -> dict:
        """The vocabulary, the test groups and how to tell them apart, and chance accuracy
        (what a model that learned the ability not at all scores)."""
        p = self.provenance
        return {
            "kind": self.kind,
            "task": p["task"],
            "vocab_size": int(p["vocab_size"]),
            "length": int(p["train_length"]),
            "group_by": p["group_by"],
            "groups": [int(g) for g in p["groups"]],
            "baseline": float(p["chance"]),
            "baseline_metric": "acc",
        }
