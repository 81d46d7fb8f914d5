"""The long-memory tasks. Adding: regress the sum of the two marked values from the last
step (predicting the mean scores MSE 1/6). Copy: emit blanks, then the 10 symbols seen
T steps earlier (a memoryless model scores cross-entropy 10 ln 8 / (T + 20)); the baselines
live in :mod:`seqbench.data.baselines`."""

from torch import Tensor, nn
from torch.nn import functional as F
from torchmetrics import MeanMetric, MeanSquaredError, MetricCollection

from seqbench.data.sources.synthetic import COPY_LENGTH, COPY_SYMBOLS
from seqbench.tasks.base import SequenceTask
from seqbench.tasks.metrics import CrossEntropy


class Adding(SequenceTask):
    kind = "adding"
    monitor, mode = "val/mse", "min"
    per_step_targets = False

    def build_inputs(self, embed_dim: int) -> nn.Module:
        return nn.Linear(2, embed_dim)

    def build_head(self, hidden: int) -> nn.Module:
        return nn.Linear(hidden, 1)

    def build_metrics(self) -> MetricCollection:
        return MetricCollection({"mse": MeanSquaredError()})

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        return F.mse_loss(outputs.squeeze(-1), targets)

    def update_metrics(
        self, metrics: MetricCollection, outputs: Tensor, targets: Tensor, **extra: Tensor
    ) -> None:
        metrics.update(outputs.squeeze(-1), targets, **extra)


class _RecallAccuracy(MeanMetric):
    """Share of the recall segment (the last 10 steps) predicted exactly."""

    def update(self, logits: Tensor, targets: Tensor) -> None:
        hits = logits[:, -COPY_LENGTH:].argmax(-1) == targets[:, -COPY_LENGTH:]
        super().update(hits.float())


class Copy(SequenceTask):
    kind = "copy"
    monitor, mode = "val/loss", "min"

    def build_inputs(self, embed_dim: int) -> nn.Module:
        return nn.Embedding(COPY_SYMBOLS + 2, embed_dim)

    def build_head(self, hidden: int) -> nn.Module:
        return nn.Linear(hidden, COPY_SYMBOLS + 2)

    def build_metrics(self) -> MetricCollection:
        return MetricCollection({"loss": CrossEntropy(), "recall_acc": _RecallAccuracy()})

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        return F.cross_entropy(outputs.flatten(0, -2), targets.flatten())
