"""The records a report is made of: one run, one model's runs, one dataset's models.

They hold the statistics (mean and sample std over the good seeds) and the naming of each
metric, so every view of a result (tables, readings, figures) reads the same numbers.
"""

import statistics
from collections import Counter
from dataclasses import dataclass

from seqbench.rundir.run import Run, finite, main_metric
from seqbench.tasks import TASK_KINDS


@dataclass
class ModelResult:
    """All runs of one model on one dataset; statistics over the good ones."""

    model: str
    runs: list[Run]

    @property
    def good(self) -> list[Run]:
        return [run for run in self.runs if run.ok]

    @property
    def failed(self) -> list[Run]:
        return [run for run in self.runs if not run.ok]

    @property
    def values(self) -> list[float]:
        return [run.score for run in self.good if run.score is not None]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @property
    def std(self) -> float | None:
        """Sample standard deviation over seeds; None with fewer than two seeds."""
        return statistics.stdev(self.values) if len(self.values) > 1 else None

    def average(self, key: str) -> float | None:
        values = [run.metrics.get(key) for run in self.good]
        values = [float(v) for v in values if isinstance(v, int | float) and finite(v)]
        return statistics.fmean(values) if values else None

    @property
    def num_parameters(self) -> int | None:
        counts = [run.metrics.get("num_parameters") for run in self.runs]
        return most_common([c for c in counts if isinstance(c, int)])

    @property
    def state(self) -> tuple[int, bool] | None:
        """The floats one sequence's streaming state holds, and whether that is per position
        (a key/value cache); None for runs from before it was recorded."""
        sizes = [run.metrics.get("state_floats") for run in self.runs]
        size = most_common([s for s in sizes if isinstance(s, int) and not isinstance(s, bool)])
        grows = [run.metrics.get("state_grows") for run in self.runs]
        return None if size is None else (size, True in grows)


@dataclass
class DatasetResult:
    """Every model on one dataset, with what is needed to judge them."""

    data: str
    models: list[ModelResult]
    monitor: str
    mode: str
    baseline: float | None
    baseline_metric: str | None
    task: str | None = None
    provenance: dict | None = None

    @property
    def metric(self) -> str:
        return main_metric(self.monitor)

    @property
    def matched(self) -> str:
        """How the models were sized, in words: equal parameters or equal state."""
        match = most_common([run.metrics.get("match") for run in self.runs]) or "params"
        if match != "state":
            return "models matched by parameters (task.param_budget)"
        budget = most_common([run.metrics.get("state_budget") for run in self.runs])
        return (
            f"models matched by state: each carries at most {budget:,} floats per sequence "
            "over its training length (task.state_budget)"
        )

    @property
    def runs(self) -> list[Run]:
        return [run for model in self.models for run in model.runs]

    @property
    def ranked(self) -> list[ModelResult]:
        """Models with at least one good run, best mean first."""
        scored = [m for m in self.models if m.mean is not None]
        return sorted(scored, key=lambda m: m.mean if self.mode == "min" else -m.mean)

    @property
    def better(self) -> str:
        return "lower is better" if self.mode == "min" else "higher is better"

    def label(self, split: str = "test") -> str:
        """The main metric in words with its unit, e.g. "validation loss (nats/char)"."""
        return f"{SPLIT_WORDS.get(split, split)} {metric_words(self.monitor, self.kind)}"

    @property
    def kind(self) -> str:
        """text, sensor, adding or copy: from the task class, else the data's provenance."""
        task = (self.task or "").rsplit(".", 1)[-1]
        return TASK_KINDS.get(task) or str((self.provenance or {}).get("kind", ""))

    @property
    def kind_words(self) -> str:
        """What the task is, in words ("character language model")."""
        return KIND_WORDS.get(self.kind, self.kind or "task")

    @property
    def baseline_applies(self) -> bool:
        """The trivial baseline is only drawn against the metric it was computed for."""
        suffix = self.monitor.split("/", 1)[-1]
        return self.baseline is not None and self.baseline_metric in (None, suffix)


STEP_AXIS, TIME_AXIS = "training step", "wall-clock time (s)"  # every curve's two x axes
KIND_WORDS = {
    "text": "character language model",
    "sensor": "sequence classification",
    "adding": "adding problem (regression)",
    "copy": "copy memory",
    "ability": "ability probe",
    "anomaly": "anomaly detection (forecast error)",
    "text_classify": "text classification",
}
SPLIT_WORDS = {"test": "test", "val": "validation"}
LOSS_UNITS = {"text": "nats/char", "copy": "nats/step", "ability": "nats/answer"}
METRIC_WORDS = {  # every metric a task logs, main ones first: the order of W&B panels too
    "loss": "loss",
    "acc": "accuracy",
    "mse": "MSE",
    "f1": "macro F1",
    "recall_acc": "recall accuracy",
    "bpc": "bits/char",
    "perplexity": "perplexity",
}


def metric_words(metric: str, kind: str = "") -> str:
    """A metric name ("val/loss") in words with its unit where it has one."""
    name = metric.split("/", 1)[-1]
    if name == "loss":
        return f"loss ({LOSS_UNITS.get(kind, 'nats')})"
    return METRIC_WORDS.get(name, name)


def most_common(values: list) -> object:
    """The majority value (None left out): runs of one dataset may disagree on a detail."""
    values = [v for v in values if v is not None]
    return Counter(values).most_common(1)[0][0] if values else None
