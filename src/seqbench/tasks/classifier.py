"""Sequence classification (sensor windows): read the label from the last hidden state,
so the recurrent models must carry what they saw across the whole window."""

from torch import Tensor, nn
from torch.nn import functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
)

from seqbench.tasks.base import SequenceTask


class Classifier(SequenceTask):
    kind = "sensor"
    monitor, mode = "val/acc", "max"
    per_step_targets = False

    def build_inputs(self, embed_dim: int) -> nn.Module:
        return nn.Linear(self.data_info["channels"], embed_dim)

    def build_head(self, hidden: int) -> nn.Module:
        return nn.Linear(hidden, len(self.data_info["classes"]))

    def build_metrics(self) -> MetricCollection:
        classes = len(self.data_info["classes"])
        return MetricCollection(
            {
                "acc": MulticlassAccuracy(num_classes=classes, average="micro"),
                "f1": MulticlassF1Score(num_classes=classes, average="macro"),
                "confusion": MulticlassConfusionMatrix(num_classes=classes),
            }
        )

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        return F.cross_entropy(outputs, targets)
