"""The LightningDataModule every dataset kind shares: load a verified snapshot, build the
three split datasets once, hand out DataLoaders."""

from pathlib import Path

import lightning as L
from datasets import DatasetDict
from torch.utils.data import DataLoader, Dataset, Sampler

from seqbench.data import pins, snapshot
from seqbench.data.batches import EpochSampler, SubsetSampler, as_batch
from seqbench.errors import ConfigError, DataError

SPLITS = ("train", "validation", "test")


def check_range(key: str, value: int, low: int, high: int | None = None) -> None:
    """Refuse an out-of-range integer setting with the valid range in the message."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        valid = f"{low}..{high}" if high is not None else f">= {low}"
        raise ConfigError(f"{key}={value} is out of range; valid: {valid}")


def check_windows(key: str, length: int, stride: int | None, overlap: int = 1) -> int:
    """Refuse a window length or stride below 1; returns the stride, by default the length
    over ``overlap`` (1: windows side by side, 2: each overlaps half the next)."""
    check_range(f"data.{key}", length, 1)
    stride = max(1, length // overlap) if stride is None else stride
    check_range("data.stride", stride, 1)
    return stride


def check_splits(name: str, raw_dir: Path, splits: DatasetDict) -> None:
    """Refuse a snapshot without the three splits or with an empty one: training, validation
    and testing each need data, and an empty split only fails later, deep in a library."""
    fix = f"rebuild it with `seqbench fetch {name}` or choose another dataset"
    if missing := [split for split in SPLITS if split not in splits]:
        raise DataError(f"dataset {name!r} ({raw_dir / name}) has no {missing[0]} split; {fix}")
    if empty := [split for split in SPLITS if len(splits[split]) == 0]:
        raise DataError(f"dataset {name!r} ({raw_dir / name}) has an empty {empty[0]} split; {fix}")


class SnapshotDataModule(L.LightningDataModule):
    """Subclasses implement :meth:`build` (splits -> datasets) and describe the task."""

    kind: str = ""

    def __init__(
        self,
        name: str,
        raw_dir: str | Path,
        batch_size: int = 64,
        num_workers: int = 0,
        steps_per_epoch: int | None = None,
        seed: int = 0,
    ):
        super().__init__()
        check_range("data.batch_size", batch_size, 1)
        check_range("data.num_workers", num_workers, 0)
        if steps_per_epoch is not None:
            check_range("budget.val_every", steps_per_epoch, 1)
        self.name, self.raw_dir = name, Path(raw_dir)
        self.batch_size, self.num_workers = batch_size, num_workers
        self.steps_per_epoch, self.seed = steps_per_epoch, seed
        self.datasets: dict[str, Dataset] = {}
        self.provenance: dict = {}

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        self.raw_dir = pins.locate(self.name, self.raw_dir)  # data/raw, or unpinned data/extra
        splits, self.provenance = snapshot.load(self.name, self.raw_dir)
        if self.provenance.get("kind") != self.kind:
            raise ConfigError(
                f"dataset {self.name!r} is {self.provenance.get('kind')!r} data but "
                f"{type(self).__name__} reads {self.kind!r} data; pick the matching data config"
            )
        check_splits(self.name, self.raw_dir, splits)
        datasets = self.build(splits)
        for split, data in datasets.items():
            if len(data) == 0:
                raise ConfigError(
                    f"dataset {self.name!r}: no example fits in its {split} split with these "
                    "settings (window, seq_len or stride too long); choose shorter ones"
                )
        examples = len(datasets["train"])
        if self.batch_size > examples:  # refused here: only the built windows know the count
            raise ConfigError(
                f"data.batch_size={self.batch_size} is larger than the {examples} examples "
                f"(windows) of {self.name}'s train split; set data.batch_size<={examples}"
            )
        self.datasets = datasets

    def build(self, splits: DatasetDict) -> dict[str, Dataset]:
        raise NotImplementedError

    def info(self) -> dict:
        """What a task needs to size its input layer and head, plus the trivial baseline
        (``baseline``, in the units of ``baseline_metric``) a model must beat."""
        raise NotImplementedError

    def _loader(self, split: str, sampler: Sampler | None = None) -> DataLoader:
        # page-locked batches copy to a GPU asynchronously (Lightning moves them non_blocking)
        on_cuda = self.trainer is not None and self.trainer.strategy.root_device.type == "cuda"
        return DataLoader(
            self.datasets[split],
            batch_size=self.batch_size,
            sampler=sampler,
            num_workers=self.num_workers,
            collate_fn=as_batch,
            persistent_workers=self.num_workers > 0,
            pin_memory=on_cuda,
        )

    def train_dataloader(self) -> DataLoader:
        """Shuffled batches. An "epoch" is ``steps_per_epoch`` steps (the interval between
        validations and checkpoints), or one pass over the data when unset. ``batch_size``
        is per device: with N devices a step consumes N * batch_size examples."""
        data, trainer = self.datasets["train"], self.trainer
        world = trainer.world_size if trainer is not None else 1
        rank = trainer.global_rank if trainer is not None else 0
        if self.steps_per_epoch is None:
            length = len(data) - len(data) % world
        else:
            length = self.steps_per_epoch * self.batch_size * world
        epoch_of = (lambda: trainer.current_epoch) if trainer is not None else None
        sampler = EpochSampler(len(data), length, self.seed, rank, world, epoch_of)
        return self._loader("train", sampler)

    def _eval_loader(self, split: str) -> DataLoader:
        """Every rank sees its strided share of the split, in order."""
        trainer = self.trainer
        if trainer is None or trainer.world_size == 1:
            return self._loader(split)
        size = len(self.datasets[split])
        indices = list(range(trainer.global_rank, size, trainer.world_size))
        return self._loader(split, SubsetSampler(indices))

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("validation")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")
