"""Sensor classification data: sliding windows over recordings, one label per window."""

from typing import Any

import numpy as np
from datasets import DatasetDict

from seqbench.data.batches import SignalWindows
from seqbench.data.datamodule import SPLITS, SnapshotDataModule, check_range, check_windows


class SensorDataModule(SnapshotDataModule):
    """Windows of ``window`` samples every ``stride`` samples, within one recording.

    Channels are standardised with the train split's mean and std only, so nothing about
    the validation or test subjects leaks into training.
    """

    kind = "sensor"

    def __init__(
        self,
        name: str,
        raw_dir: str,
        window: int = 128,
        stride: int | None = None,
        **loading: Any,
    ) -> None:
        """``loading``: batch_size, num_workers, steps_per_epoch, seed (SnapshotDataModule)."""
        super().__init__(name, raw_dir, **loading)
        self.stride = check_windows("window", window, stride, overlap=2)
        self.window = window
        self.classes: list[str] = []
        self.channels = 0
        self.mean = self.std = np.zeros(0, dtype=np.float32)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def build(self, splits: DatasetDict) -> dict[str, SignalWindows]:
        self.classes = splits["train"].features["label"].names
        rows = {s: splits[s].with_format("numpy")[:] for s in SPLITS}
        shortest = min(len(r) for s in SPLITS for r in rows[s]["signal"])
        check_range("data.window", self.window, 1, shortest)
        train = np.concatenate(list(rows["train"]["signal"]))
        self.channels = train.shape[1]
        self.mean, self.std = train.mean(axis=0), train.std(axis=0) + 1e-6
        return {s: self._windows(rows[s]["signal"], rows[s]["label"]) for s in SPLITS}

    def info(self) -> dict:
        """Baseline: validation accuracy of always predicting the most common train class."""
        majority = np.bincount(self.datasets["train"].labels).argmax()
        return {
            "kind": self.kind,
            "channels": self.channels,
            "classes": list(self.classes),
            "window": self.window,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "baseline": float((self.datasets["validation"].labels == majority).mean()),
            "baseline_metric": "acc",
        }

    def _windows(self, recordings: list[np.ndarray], labels: np.ndarray) -> SignalWindows:
        signal = ((np.concatenate(list(recordings)) - self.mean) / self.std).astype(np.float32)
        lengths = np.array([len(r) for r in recordings])
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        starts, owners = [], []
        for i, (offset, length) in enumerate(zip(offsets, lengths, strict=True)):
            first = np.arange(0, length - self.window + 1, self.stride)
            starts.append(offset + first)
            owners.append(np.full(len(first), i))
        owner = np.concatenate(owners)
        return SignalWindows(
            signal, np.concatenate(starts), labels[owner].astype(np.int64), self.window
        )
