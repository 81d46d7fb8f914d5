"""Character-level language modelling with teacher forcing: predict character t+1 from the
true characters up to t. Loss in nats per character; bpc = loss / ln 2."""

import math

from torch import Tensor, nn
from torch.nn import functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy

from seqbench.tasks.base import SequenceTask
from seqbench.tasks.metrics import CrossEntropy


class LanguageModel(SequenceTask):
    kind = "text"
    monitor, mode = "val/loss", "min"

    def build_inputs(self, embed_dim: int) -> nn.Module:
        return nn.Embedding(self.data_info["vocab_size"], embed_dim)

    def build_head(self, hidden: int) -> nn.Module:
        return nn.Linear(hidden, self.data_info["vocab_size"])

    def build_metrics(self) -> MetricCollection:
        vocab = self.data_info["vocab_size"]
        return MetricCollection(
            {"loss": CrossEntropy(), "acc": _FlatAccuracy(num_classes=vocab, average="micro")}
        )

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        return F.cross_entropy(outputs.flatten(0, -2), targets.flatten())

    def summarise(self, values: dict[str, Tensor]) -> dict[str, Tensor]:
        loss = values["loss"]
        return values | {"bpc": loss / math.log(2), "perplexity": loss.exp()}


class _FlatAccuracy(MulticlassAccuracy):
    """Accuracy over every position of (B, T, C) logits."""

    def update(self, logits: Tensor, targets: Tensor) -> None:
        super().update(logits.flatten(0, -2), targets.flatten())
