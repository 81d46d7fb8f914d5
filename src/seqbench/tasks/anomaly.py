"""Anomaly detection by forecast error: forecast the next sample, score each step by how far
the forecast missed, flag steps whose score reaches a threshold chosen on validation.

Trained on normal data only (the loss ignores every step labelled anomalous), as a detector
is deployed: anomalies are rare and unlabelled when it is trained. Threshold-free quality is
AUROC and AUPRC; at the threshold with the best F1 on validation, the test's point-wise
precision, recall and F1, and the detection delay of each anomalous segment (its first flagged
step minus its start). ``val/loss`` (forecast error on normal validation steps) picks the
checkpoint, so no label chooses the weights; labels choose only the threshold.

The test split is also run as the deployed detector runs: one sample at a time through the
backbone's ``step()``, its state carried. The streamed forecasts are compared with the whole-
sequence ones (``test/stream_max_diff``) and each step is timed (``test/step_ms``, the median
over the split's steps, on the device the test ran on).
"""

import math
import statistics
import time

import numpy as np
import torch
from torch import Tensor, nn
from torchmetrics import CatMetric, MeanMetric, Metric, MetricCollection

from seqbench.data.anomaly_scores import threshold_free
from seqbench.tasks.base import SequenceTask


def split_targets(targets: Tensor) -> tuple[Tensor, Tensor]:
    """Target rows hold the next values per channel, then that step's label: 0 normal,
    1 anomalous, -1 a context step read before the split starts (never scored)."""
    return targets[..., :-1], targets[..., -1]


def step_scores(outputs: Tensor, values: Tensor) -> Tensor:
    """Each step's anomaly score: the squared forecast error, averaged over channels."""
    return ((outputs - values) ** 2).mean(-1)


def segments(labels: np.ndarray) -> list[tuple[int, int]]:
    """The anomalous segments [start, end) of a 0/1 label sequence."""
    padded = np.concatenate([[0], np.asarray(labels, dtype=np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def detection_delays(flags: np.ndarray, labels: np.ndarray) -> list[int | None]:
    """Per anomalous segment: its first flagged step minus its start; None where no step of
    the segment is flagged (a missed segment)."""
    delays: list[int | None] = []
    for start, end in segments(labels):
        hits = np.flatnonzero(flags[start:end])
        delays.append(int(hits[0]) if len(hits) else None)
    return delays


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score threshold (flag: score >= threshold) with the best F1 on these steps; of
    equal F1s the highest threshold (fewest flags)."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], labels[order]
    tp, flagged = np.cumsum(hits), np.arange(1, len(hits) + 1)
    last = np.r_[ranked[1:] != ranked[:-1], True]  # a cut only between distinct scores
    f1 = 2 * tp / (flagged + max(1, hits.sum()))
    f1 = np.where(last, f1, -1.0)
    return float(ranked[int(np.argmax(f1))])


def at_threshold(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    """Point-wise precision, recall and F1 of flagging score >= threshold, and the segments'
    mean detection delay (steps) and share detected."""
    flags = np.asarray(scores) >= threshold
    labels = np.asarray(labels).astype(bool)
    tp = int((flags & labels).sum())
    precision = tp / flags.sum() if flags.any() else 0.0
    recall = tp / labels.sum() if labels.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    delays = detection_delays(flags, labels)
    found = [d for d in delays if d is not None]
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "delay": float(np.mean(found)) if found else math.nan,
        "detected": len(found) / len(delays) if delays else math.nan,
    }


class _StepScores(Metric):
    """Every scored step's score and label, gathered in order (synced across ranks)."""

    def __init__(self) -> None:
        super().__init__()
        self.scores, self.labels = CatMetric(), CatMetric()

    def update(self, scores: Tensor, labels: Tensor) -> None:
        self.scores.update(scores.flatten().double())
        self.labels.update(labels.flatten().double())

    def compute(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            self.scores.compute().cpu().numpy(),
            self.labels.compute().cpu().numpy().astype(np.int64),
        )

    def reset(self) -> None:
        self.scores.reset()
        self.labels.reset()


class Anomaly(SequenceTask):
    kind = "anomaly"
    monitor, mode = "val/loss", "min"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # chosen on validation, saved in the checkpoint that test loads
        self.register_buffer("threshold", torch.full((), math.nan, dtype=torch.float64))

    @torch.inference_mode()
    def stream(self, x: Tensor) -> tuple[Tensor, list[float]]:
        """Head outputs for ``x`` (B, T, C) pushed one step at a time through the backbone's
        ``step()``, and the seconds each step took (the device synchronised around it)."""
        sync = torch.cuda.synchronize if x.device.type == "cuda" else (lambda: None)
        state, outputs, seconds = None, [], []
        for t in range(x.shape[1]):
            sync()
            start = time.perf_counter()
            hidden, state = self.backbone.step(self.inputs(x[:, t]), state)
            outputs.append(self.head(hidden))
            sync()
            seconds.append(time.perf_counter() - start)
        return torch.stack(outputs, 1), seconds

    def on_test_epoch_start(self) -> None:
        self._stream_diffs: list[float] = []
        self._step_seconds: list[float] = []

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        x, y = batch
        outputs, _ = self(x)
        self.update_metrics(self.test_metrics, outputs, y)
        streamed, seconds = self.stream(x)
        self._stream_diffs.append(float((streamed - outputs).abs().max()))
        self._step_seconds += seconds

    def build_inputs(self, embed_dim: int) -> nn.Module:
        return nn.Linear(self.data_info["channels"], embed_dim)

    def build_head(self, hidden: int) -> nn.Module:
        return nn.Linear(hidden, self.data_info["channels"])

    def build_metrics(self) -> MetricCollection:
        return MetricCollection({"loss": MeanMetric(), "scores": _StepScores()})

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        """Mean squared forecast error over the normal steps only."""
        values, labels = split_targets(targets)
        errors, normal = step_scores(outputs, values), labels == 0
        return errors[normal].sum() / normal.sum().clamp(min=1)

    def update_metrics(self, metrics: MetricCollection, outputs: Tensor, targets: Tensor):
        """Context steps (label -1: read before the split starts) are never scored."""
        values, labels = split_targets(targets)
        scores, scored = step_scores(outputs, values), labels >= 0
        metrics["loss"].update(scores[labels == 0])
        metrics["scores"].update(scores[scored], labels[scored])

    def _streaming(self) -> dict[str, float]:
        """The test's streaming numbers: largest |streamed - whole-sequence| output and the
        median step time in milliseconds (NaN when nothing was streamed)."""
        diffs, seconds = getattr(self, "_stream_diffs", []), getattr(self, "_step_seconds", [])
        return {
            "stream_max_diff": max(diffs) if diffs else math.nan,
            "step_ms": 1000 * statistics.median(seconds) if seconds else math.nan,
        }

    def _log_metrics(self, split: str, metrics: MetricCollection) -> None:
        loss = metrics["loss"].compute()
        scores, labels = metrics["scores"].compute()
        metrics.reset()
        values = {"loss": float(loss)} | threshold_free(scores, labels)
        if split == "val":  # the only place the threshold is set
            self.threshold.fill_(best_threshold(scores, labels))
        values |= at_threshold(scores, labels, float(self.threshold))
        if split == "test":
            values |= self._streaming()
        self.log_dict(
            {f"{split}/{k}": torch.tensor(v, dtype=torch.float32) for k, v in values.items()},
            prog_bar=split == "val",
            sync_dist=True,
        )
        if split == "test":
            flags = scores >= float(self.threshold)
            self.extra_results = {
                "threshold": float(self.threshold),
                "delays": detection_delays(flags, labels),
                "baselines": self.data_info.get("baselines", {}),
                "streamed_steps": len(getattr(self, "_step_seconds", [])),
                "step_device": self.device.type,
            }
