"""Classification of whole recordings of different lengths (JapaneseVowels: 7 to 29 steps).

Windows would cut or drop the short recordings, so each recording is one example, padded at
the end within its batch; batches carry the true lengths (:class:`PaddedRecordings`) and the
classifier reads each label at its recording's own last step.
"""

import numpy as np
from datasets import DatasetDict

from seqbench.data.batches import PaddedRecordings
from seqbench.data.datamodule import SPLITS, SnapshotDataModule


class RecordingsDataModule(SnapshotDataModule):
    """Channels are standardised with the train split's mean and std over its recordings' real
    steps only (padding is added per batch, after), so nothing of validation or test leaks."""

    kind = "sensor"

    def __init__(self, name: str, raw_dir: str, **loading) -> None:
        """``loading``: batch_size, num_workers, steps_per_epoch, seed (SnapshotDataModule)."""
        super().__init__(name, raw_dir, **loading)
        self.classes: list[str] = []
        self.channels = self.longest = 0
        self.mean = self.std = np.zeros(0, dtype=np.float32)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def build(self, splits: DatasetDict) -> dict[str, PaddedRecordings]:
        self.classes = splits["train"].features["label"].names
        rows = {s: splits[s].with_format("numpy")[:] for s in SPLITS}
        train = np.concatenate(list(rows["train"]["signal"]))
        self.channels = train.shape[1]
        self.mean, self.std = train.mean(axis=0), train.std(axis=0) + 1e-6
        self.longest = max(len(r) for s in SPLITS for r in rows[s]["signal"])
        return {s: self._recordings(rows[s]["signal"], rows[s]["label"]) for s in SPLITS}

    def info(self) -> dict:
        """As the sensor windows' info; ``window`` is the longest recording (what a batch can
        hold, for the memory estimate) and ``variable_length`` marks the padded batches."""
        majority = np.bincount(self.datasets["train"].labels).argmax()
        return {
            "kind": self.kind,
            "channels": self.channels,
            "classes": list(self.classes),
            "window": self.longest,
            "variable_length": True,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "baseline": float((self.datasets["validation"].labels == majority).mean()),
            "baseline_metric": "acc",
        }

    def _recordings(self, recordings: list[np.ndarray], labels: np.ndarray) -> PaddedRecordings:
        signal = ((np.concatenate(list(recordings)) - self.mean) / self.std).astype(np.float32)
        lengths = np.array([len(r) for r in recordings], dtype=np.int64)
        return PaddedRecordings(signal, lengths, np.asarray(labels, dtype=np.int64))
