"""Ability probes: answer tokens at the positions the probe asks for, nothing elsewhere.

Scored only at answer positions (cross-entropy and exact-token accuracy); the test split's
accuracy is also kept per group (test length or number of pairs), so a reader sees where an
ability holds and where it breaks (``test_extra.acc_by_group`` in metrics.json)."""

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torchmetrics import MeanMetric, Metric, MetricCollection

from seqbench.data.sources.abilities import NO_ANSWER, PAD
from seqbench.tasks.base import SequenceTask


def answer_losses(logits: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy at every answer position, flattened (padding and non-answers dropped)."""
    scored = targets != NO_ANSWER
    return F.cross_entropy(logits[scored], targets[scored], reduction="none")


class _AnswerLoss(MeanMetric):
    def update(self, logits: Tensor, targets: Tensor) -> None:
        super().update(answer_losses(logits, targets))


class _AnswerAccuracy(MeanMetric):
    """Share of answer tokens predicted exactly."""

    def update(self, logits: Tensor, targets: Tensor) -> None:
        scored = targets != NO_ANSWER
        super().update((logits[scored].argmax(-1) == targets[scored]).float())


class AccuracyByGroup(Metric):
    """Answer accuracy per group; a group no example fell in is NaN (nothing measured)."""

    def __init__(self, groups: list[int]) -> None:
        super().__init__()
        self.register_buffer("groups", torch.tensor(groups), persistent=False)
        self.add_state("hits", torch.zeros(len(groups), dtype=torch.float64), "sum")
        self.add_state("counts", torch.zeros(len(groups), dtype=torch.float64), "sum")

    def update(self, logits: Tensor, targets: Tensor, group: Tensor) -> None:
        """``group``: each example's group value (its length, or its number of answers)."""
        index = torch.searchsorted(self.groups, group).clamp(max=len(self.groups) - 1)
        known = self.groups[index] == group
        scored = (targets != NO_ANSWER) & known[:, None]
        hits = (logits.argmax(-1) == targets) & scored
        self.hits.index_add_(0, index, hits.sum(-1).double())
        self.counts.index_add_(0, index, scored.sum(-1).double())

    def compute(self) -> Tensor:
        return self.hits / self.counts


class Ability(SequenceTask):
    kind = "ability"
    monitor, mode = "val/acc", "max"

    def build_inputs(self, embed_dim: int) -> nn.Module:
        return nn.Embedding(self.data_info["vocab_size"], embed_dim, padding_idx=PAD)

    def build_head(self, hidden: int) -> nn.Module:
        return nn.Linear(hidden, self.data_info["vocab_size"])

    def build_metrics(self) -> MetricCollection:
        metrics: dict[str, Metric] = {"loss": _AnswerLoss(), "acc": _AnswerAccuracy()}
        if len(self.data_info["groups"]) > 1:
            metrics["acc_by_group"] = AccuracyByGroup(self.data_info["groups"])
        return MetricCollection(metrics, compute_groups=False)  # updated one by one

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        """Mean over the answers present; a truncated-BPTT chunk without one gives 0 (and
        no gradient) rather than the NaN of an empty mean."""
        losses = answer_losses(outputs, targets)
        return losses.sum() / max(1, losses.numel())

    def on_test_epoch_end(self) -> None:
        """The test's numbers, and what its groups are: metrics.json describes itself."""
        super().on_test_epoch_end()
        info = self.data_info
        self.extra_results |= {"groups": info["groups"], "group_by": info["group_by"]}
        self.extra_results |= {"train_length": info["length"], "chance": info["baseline"]}

    def group_of(self, x: Tensor, y: Tensor) -> Tensor:
        """Each example's group: its true length (tokens before padding) or its answers."""
        if self.data_info["group_by"] == "answers":
            return (y != NO_ANSWER).sum(-1)
        return (x != PAD).sum(-1)

    def metric_inputs(self, x: Tensor, y: Tensor) -> dict[str, Tensor]:
        """The group :class:`AccuracyByGroup` scores by; the other metrics never get it."""
        return {"group": self.group_of(x, y)}
