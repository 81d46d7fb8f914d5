"""Metrics more than one task uses."""

from torch import Tensor
from torch.nn import functional as F
from torchmetrics import MeanMetric


class CrossEntropy(MeanMetric):
    """Mean cross-entropy over every predicted position of (B, T, C) logits (synced across
    ranks): the language model's and the copy task's loss metric."""

    def update(self, logits: Tensor, targets: Tensor) -> None:
        loss = F.cross_entropy(logits.flatten(0, -2), targets.flatten(), reduction="none")
        super().update(loss)
