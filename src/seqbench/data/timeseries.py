"""Windows over real-valued series, split by time: the pieces a forecasting and an anomaly
task share, as small functions with no DataModule around them.

Every series is cut into contiguous parts in time order (:func:`time_split`); windows are
cut inside one part only (:func:`window_starts`), so no window crosses a split boundary;
per-channel statistics come from the train parts alone (:func:`fit_scale`) and are applied
to every part (:func:`apply_scale`), so nothing about the future leaks into training.
"""

import itertools
from collections.abc import Sequence

import numpy as np
import torch

from seqbench.data.batches import _Gather
from seqbench.errors import DataError

SPLITS = ("train", "validation", "test")


def time_split(length: int, sizes: Sequence[float], where: str = "series") -> list[slice]:
    """The train/validation/test parts of a series of ``length`` steps, in time order.

    ``sizes``: three fractions summing to 1 (the last part takes the rounding rest) or three
    row counts (ETTh1's 8640/2880/2880; rows after their sum are left out, as the standard
    split does)."""
    if len(sizes) != 3 or any(s <= 0 for s in sizes):
        raise DataError(f"{where}: the time split needs three sizes above 0, got {list(sizes)}")
    if all(isinstance(s, int) and not isinstance(s, bool) for s in sizes):
        counts = [int(s) for s in sizes]
        if sum(counts) > length:
            raise DataError(
                f"{where}: the split asks for {sum(counts)} rows but the series has {length}; "
                "choose smaller counts or fractions"
            )
    else:
        if abs(sum(sizes) - 1) > 1e-6:
            raise DataError(f"{where}: split fractions must sum to 1, got {list(sizes)}")
        train, validation = (round(f * length) for f in sizes[:2])
        counts = [train, validation, length - train - validation]
    edges = np.cumsum([0, *counts])
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def window_starts(length: int, span: int, stride: int = 1) -> np.ndarray:
    """Starts of the windows of ``span`` steps that fit inside ``length`` steps, ``stride``
    apart (none when the part is shorter than a window)."""
    return np.arange(0, max(0, length - span + 1), stride, dtype=np.int64)


def fit_scale(train_parts: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std over the train parts only (a flat channel gets std 1)."""
    values = np.concatenate([np.asarray(p, dtype=np.float64) for p in train_parts])
    std = values.std(axis=0)
    return values.mean(axis=0), np.where(std > 1e-8, std, 1.0)


def apply_scale(values: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return ((np.asarray(values, dtype=np.float64) - mean) / std).astype(np.float32)


class SeriesWindows(_Gather):
    """(context, horizon) pairs from parts laid end to end in one array: window i reads
    ``values[starts[i] : starts[i] + context]`` and predicts the ``horizon`` steps after it.
    ``starts`` never lets a window reach into the next part (:func:`part_windows`)."""

    def __init__(self, values: np.ndarray, starts: np.ndarray, context: int, horizon: int):
        self.values, self.starts = values, starts
        self.context, self.horizon = context, horizon
        self.offsets = np.arange(context + horizon)

    def __len__(self) -> int:
        return len(self.starts)

    def arrays(self, indices: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """Contexts (N, context, C) and targets (N, horizon, C) as numpy arrays."""
        window = self.values[self.starts[indices, None] + self.offsets]
        return window[:, : self.context], window[:, self.context :]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.arrays(np.asarray(indices, dtype=np.int64))
        return torch.from_numpy(x), torch.from_numpy(y)


def part_windows(
    parts: Sequence[np.ndarray], context: int, horizon: int, stride: int = 1
) -> SeriesWindows:
    """Windows of ``context + horizon`` steps within each part, the parts laid end to end."""
    lengths = [len(p) for p in parts]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    span = context + horizon
    starts = [o + window_starts(n, span, stride) for o, n in zip(offsets, lengths, strict=True)]
    values = np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 1), np.float32)
    return SeriesWindows(values, np.concatenate(starts), context, horizon)
