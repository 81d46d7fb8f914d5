"""Long-memory tasks: adding (regression on the last step) and copy (per-step symbols)."""

from typing import Any

from datasets import DatasetDict

from seqbench.data import baselines
from seqbench.data.batches import Pairs
from seqbench.data.datamodule import SPLITS, SnapshotDataModule
from seqbench.errors import ConfigError

TASKS = ("adding", "copy")


class SyntheticDataModule(SnapshotDataModule):
    """Inputs and targets exactly as the task defines them, one example per row.

    adding: x (T, 2) float, y scalar float.  copy: x (T+20,) ids, y (T+20,) ids.
    """

    def __init__(
        self,
        name: str,
        raw_dir: str,
        task: str = "adding",
        **loading: Any,
    ) -> None:
        """``loading``: batch_size, num_workers, steps_per_epoch, seed (SnapshotDataModule)."""
        super().__init__(name, raw_dir, **loading)
        if task not in TASKS:
            raise ConfigError(f"data.task={task!r} is not a synthetic task; valid: {TASKS}")
        self.kind = task
        self.length = 0

    def build(self, splits: DatasetDict) -> dict[str, Pairs]:
        self.length = int(self.provenance["length"])
        dtype = "int64" if self.kind == "copy" else "float32"
        columns = {s: splits[s].with_format("numpy")[:] for s in SPLITS}
        return {s: Pairs(c["x"].astype(dtype), c["y"].astype(dtype)) for s, c in columns.items()}

    def info(self) -> dict:
        """The task's trivial baseline (:mod:`seqbench.data.baselines`) and its metric."""
        baseline, metric = baselines.for_task(self.kind, self.length)
        return {
            "kind": self.kind,
            "length": self.length,
            "baseline": baseline,
            "baseline_metric": metric,
        }
