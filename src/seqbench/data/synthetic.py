"""Long-memory tasks: adding (regression on the last step) and copy (per-step symbols)."""

from datasets import DatasetDict

from seqbench.data.batches import Pairs
from seqbench.data.datamodule import SPLITS, SnapshotDataModule


class SyntheticDataModule(SnapshotDataModule):
    """Inputs and targets exactly as the task defines them, one example per row.

    adding: x (T, 2) float, y scalar float.  copy: x (T+20,) ids, y (T+20,) ids.
    """

    def __init__(
        self,
        name: str,
        raw_dir: str,
        task: str = "adding",
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(name, raw_dir, batch_size, num_workers)
        self.kind = task
        self.length = 0

    def build(self, splits: DatasetDict) -> dict[str, Pairs]:
        self.length = int(self.provenance["length"])
        dtype = "int64" if self.kind == "copy" else "float32"
        columns = {s: splits[s].with_format("numpy")[:] for s in SPLITS}
        return {s: Pairs(c["x"].astype(dtype), c["y"].astype(dtype)) for s, c in columns.items()}
