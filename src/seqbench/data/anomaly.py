"""Anomaly detection data: next-sample forecasting on normal data, every step scored.

Training, as deployed: windows of ``window`` steps from the train split whose inputs and
targets are all normal (a window that touches an anomalous sample is dropped, and the target
column carries the labels so the loss also masks any anomalous step). Validation and test are
each one continuous stream, as a detector running on a live sensor sees it: the stream starts
``window`` samples before the split (the end of the split before it, read as unscored context,
so the split's first sample is not forecast from a cold state) and every sample of the split
is forecast and scored. Statistics (mean, std) come from the train split's normal samples only.

A target row is ``(next value per channel..., label of that next step)``: the task splits it;
context steps carry the label :data:`CONTEXT` and are never scored.
"""

from typing import Any

import numpy as np
from datasets import DatasetDict

from seqbench.data.anomaly_scores import last_value_scores, threshold_free, zscore_scores
from seqbench.data.batches import Pairs
from seqbench.data.datamodule import SPLITS, SnapshotDataModule, check_range, check_windows
from seqbench.data.timeseries import apply_scale, fit_scale

EVAL_SPLITS = ("validation", "test")
BEFORE = {"validation": "train", "test": "validation"}
CONTEXT = -1  # the label of a context step: read, forecast, never scored


class AnomalyDataModule(SnapshotDataModule):
    """Train windows of normal samples; validation and test as one stream each."""

    kind = "anomaly"

    def __init__(
        self,
        name: str,
        raw_dir: str,
        window: int = 256,
        stride: int | None = None,
        **loading: Any,
    ) -> None:
        """``loading``: batch_size, num_workers, steps_per_epoch, seed (SnapshotDataModule)."""
        super().__init__(name, raw_dir, **loading)
        self.stride = check_windows("window", window, stride, overlap=2)
        self.window = window
        self.channels = 0
        self.mean = self.std = np.zeros(0, dtype=np.float32)
        self.series: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # standardised, labels

    def build(self, splits: DatasetDict) -> dict[str, Pairs]:
        rows = {s: splits[s].with_format("numpy")[0] for s in SPLITS}
        raw = {s: (np.asarray(rows[s]["signal"]), np.asarray(rows[s]["label"])) for s in SPLITS}
        check_range("data.window", self.window, 1, len(raw["train"][0]) - 1)
        train, train_labels = raw["train"]
        normal = train[train_labels == 0]
        self.channels = train.shape[1]
        self.mean, self.std = fit_scale([normal])
        self.series = {
            s: (apply_scale(x, self.mean, self.std), y.astype(np.int64))
            for s, (x, y) in raw.items()
        }
        built = {"train": self.train_windows(*self.series["train"])}
        for split in EVAL_SPLITS:
            signal, labels = self.stream_of(split)
            x, y = signal[:-1], targets(signal[1:], labels[1:])
            built[split] = Pairs(x[None], y[None])
        return built

    def stream_of(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """The split's stream: the last ``window`` samples of the split before it (labelled
        :data:`CONTEXT`), then the split's own samples and labels."""
        context = self.series[BEFORE[split]][0][-self.window :]
        signal, labels = self.series[split]
        marks = np.full(len(context), CONTEXT, dtype=np.int64)
        return np.concatenate([context, signal]), np.concatenate([marks, labels])

    def train_windows(self, signal: np.ndarray, labels: np.ndarray) -> Pairs:
        """Windows of ``window`` inputs and their next-sample targets, ``stride`` apart,
        keeping only those whose every input and target sample is normal."""
        starts = np.arange(0, len(signal) - self.window, self.stride)
        span = np.arange(self.window + 1)
        clean = labels[starts[:, None] + span].sum(axis=1) == 0
        starts = starts[clean]
        x = signal[starts[:, None] + span[:-1]]
        y = targets(signal[starts[:, None] + span[1:]], labels[starts[:, None] + span[1:]])
        return Pairs(x.astype(np.float32), y.astype(np.float32))

    def baselines(self) -> dict[str, dict[str, float]]:
        """The z-score and last-value baselines' AUROC and AUPRC on the steps the model is
        scored on (every sample of the split; the first forecast from the context's last)."""
        found: dict[str, dict[str, float]] = {}
        for name, score in (("zscore", zscore_scores), ("last_value", last_value_scores)):
            found[name] = {}
            for split in EVAL_SPLITS:
                signal, labels = self.stream_of(split)
                scored = labels >= 0
                scored = threshold_free(score(signal)[scored], labels[scored])
                found[name] |= {f"{prefix(split)}/{k}": v for k, v in scored.items()}
        return found

    def info(self) -> dict:
        """Baseline: validation AUROC of the last-value forecaster's error."""
        baselines = self.baselines()
        return {
            "kind": self.kind,
            "channels": self.channels,
            "window": self.window,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "steps": {s: len(self.series[s][0]) for s in SPLITS},
            "baselines": baselines,
            "baseline": baselines["last_value"]["val/auroc"],
            "baseline_metric": "auroc",
        }


def prefix(split: str) -> str:
    return "val" if split == "validation" else split


def targets(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Target rows: the next values, then the next step's label as a last column."""
    return np.concatenate([values, labels[..., None].astype(values.dtype)], axis=-1).astype(
        np.float32
    )
