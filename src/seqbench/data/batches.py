"""Map-style datasets that hand out whole batches with one vectorised gather.

The DataLoader calls ``__getitems__`` with a batch of indices, so a batch costs one numpy
fancy-index over arrays loaded once from the memory-mapped Arrow snapshot, not B Python
calls and a collate. Samplers (including Lightning's DistributedSampler) work unchanged.
"""

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler


def as_batch(batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """collate_fn for datasets whose ``__getitems__`` already returns a batch."""
    return batch


class _Gather(Dataset):
    def __len__(self) -> int:
        raise NotImplementedError

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        return tuple(part[0] for part in self.__getitems__([index]))


class TokenWindows(_Gather):
    """Windows of ``seq_len`` token ids with next-token targets, ``stride`` apart. Window i
    starts at ``i * stride``: no table of starts, so a memory-mapped corpus of any size costs
    nothing until a batch reads its windows."""

    def __init__(self, ids: np.ndarray, seq_len: int, stride: int) -> None:
        self.ids, self.stride = ids, stride
        self.count = max(0, (len(ids) - seq_len - 1) // stride + 1)
        self.offsets = np.arange(seq_len + 1)

    def __len__(self) -> int:
        return self.count

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        starts = np.asarray(indices, dtype=np.int64)[:, None] * self.stride
        window = torch.from_numpy(self.ids[starts + self.offsets].astype(np.int64))
        return window[:, :-1], window[:, 1:]


class SignalWindows(_Gather):
    """Fixed-length windows cut from concatenated recordings, one label per window."""

    def __init__(self, signal: np.ndarray, starts: np.ndarray, labels: np.ndarray, length: int):
        self.signal, self.starts, self.labels = signal, starts, labels
        self.offsets = np.arange(length)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.from_numpy(self.signal[self.starts[indices, None] + self.offsets])
        return x, torch.from_numpy(self.labels[indices])


class PaddedRecordings(_Gather):
    """Whole recordings of different lengths, one label each: a batch is ``(x, y, lengths)``
    with x zero-padded at the END to the batch's longest recording. Outputs of a causal model
    at or before a recording's true last step never see its padding, and the task reads each
    label there (``lengths - 1``), so padding reaches neither the loss nor the prediction."""

    def __init__(self, signal: np.ndarray, lengths: np.ndarray, labels: np.ndarray) -> None:
        self.signal, self.lengths, self.labels = signal, lengths, labels
        self.offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        lengths = self.lengths[indices]
        steps = np.arange(lengths.max())
        real = steps < lengths[:, None]  # (B, T): True on a recording's own steps
        rows = np.where(real, self.offsets[indices, None] + steps, 0)
        x = np.where(real[:, :, None], self.signal[rows], 0).astype(np.float32)
        return (
            torch.from_numpy(x),
            torch.from_numpy(self.labels[indices]),
            torch.from_numpy(lengths.astype(np.int64)),
        )


class PaddedTokens(_Gather):
    """Token sequences of different lengths, one label each: a batch is ``(x, y, lengths)``
    with x an int64 (B, T) of ids padded at the END with ``pad`` to the batch's longest
    sequence. As with :class:`PaddedRecordings`, the task reads each label at the sequence's
    own last step, which a causal model computes without seeing the padding."""

    def __init__(self, ids: np.ndarray, lengths: np.ndarray, labels: np.ndarray, pad: int = 0):
        self.ids, self.lengths, self.labels, self.pad = ids, lengths, labels, pad
        self.offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        lengths = self.lengths[indices]
        steps = np.arange(lengths.max())
        real = steps < lengths[:, None]  # (B, T): True on a sequence's own tokens
        rows = np.where(real, self.offsets[indices, None] + steps, 0)
        x = np.where(real, self.ids[rows], self.pad).astype(np.int64)
        return (
            torch.from_numpy(x),
            torch.from_numpy(self.labels[indices]),
            torch.from_numpy(lengths.astype(np.int64)),
        )


class Pairs(_Gather):
    """Inputs and targets that are already one example per row."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.from_numpy(self.x[indices]), torch.from_numpy(self.y[indices])


class EpochSampler(Sampler[int]):
    """``length`` indices per epoch, read from a stream of seeded permutations of the data.

    Epoch ``e`` covers positions ``[e * length, (e + 1) * length)`` of that stream, so the
    order depends only on (seed, epoch): a run resumed from an end-of-epoch checkpoint sees
    exactly the batches an uninterrupted run sees. With ``world`` ranks each rank takes a
    strided share, as DistributedSampler does.

    ``epoch_of`` reads the epoch when iteration starts (the DataModule passes the trainer's
    ``current_epoch``): the value Lightning hands to :meth:`set_epoch` counts processed epochs
    and is one ahead after resuming from a checkpoint written at validation time.
    """

    def __init__(
        self,
        size: int,
        length: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
        epoch_of: Callable[[], int] | None = None,
    ):
        self.size, self.length, self.seed = size, length, seed
        self.rank, self.world, self.epoch_of = rank, world, epoch_of
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _permutation(self, index: int) -> np.ndarray:
        return np.random.default_rng([self.seed, index]).permutation(self.size)

    def __iter__(self) -> Iterator[int]:
        epoch = self.epoch_of() if self.epoch_of is not None else self.epoch
        start = epoch * self.length
        first, offset = divmod(start, self.size)
        stream, index = [], first
        needed = offset + self.length
        while sum(len(p) for p in stream) < needed:
            stream.append(self._permutation(index))
            index += 1
        picked = np.concatenate(stream)[offset:needed]
        return iter(picked[self.rank :: self.world].tolist())

    def __len__(self) -> int:
        return self.length // self.world


class SubsetSampler(Sampler[int]):
    """These indices, in this order (evaluation shards on several ranks)."""

    def __init__(self, indices: list[int]) -> None:
        self.indices = indices

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)
