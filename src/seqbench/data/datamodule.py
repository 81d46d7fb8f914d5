"""The LightningDataModule every dataset kind shares: load a verified snapshot, build the
three split datasets once, hand out DataLoaders."""

from pathlib import Path

import lightning as L
from datasets import DatasetDict
from torch.utils.data import DataLoader, Dataset

from seqbench.data import snapshot
from seqbench.data.batches import as_batch
from seqbench.errors import ConfigError

SPLITS = ("train", "validation", "test")


def check_range(key: str, value: int, low: int, high: int | None = None) -> None:
    """Refuse an out-of-range integer setting with the valid range in the message."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        valid = f"{low}..{high}" if high is not None else f">= {low}"
        raise ConfigError(f"{key}={value} is out of range; valid: {valid}")


class SnapshotDataModule(L.LightningDataModule):
    """Subclasses implement :meth:`build` (splits -> datasets) and describe the task."""

    kind: str = ""

    def __init__(self, name: str, raw_dir: str | Path, batch_size: int = 64, num_workers: int = 0):
        super().__init__()
        check_range("data.batch_size", batch_size, 1)
        check_range("data.num_workers", num_workers, 0)
        self.name, self.raw_dir = name, Path(raw_dir)
        self.batch_size, self.num_workers = batch_size, num_workers
        self.datasets: dict[str, Dataset] = {}
        self.provenance: dict = {}

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        splits, self.provenance = snapshot.load(self.name, self.raw_dir)
        if self.provenance.get("kind") != self.kind:
            raise ConfigError(
                f"dataset {self.name!r} is {self.provenance.get('kind')!r} data but "
                f"{type(self).__name__} reads {self.kind!r} data; pick the matching data config"
            )
        self.datasets = self.build(splits)

    def build(self, splits: DatasetDict) -> dict[str, Dataset]:
        raise NotImplementedError

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        return DataLoader(
            self.datasets[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            collate_fn=as_batch,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("validation", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
