"""Forecasting data: a context window in, the next ``horizon`` steps of every channel out.

The snapshot already holds each series cut by time into contiguous train/validation/test
parts (one row per part, never shuffled); windows are cut inside a part, so none crosses a
split boundary, and the channels are standardised with the train parts' statistics only.
The baselines (last value, seasonal naive, a linear model fitted on train) are scored here
on exactly the test windows the models see.
"""

from typing import Any

import numpy as np
from datasets import DatasetDict

from seqbench.data import forecast_baselines
from seqbench.data.datamodule import SPLITS, SnapshotDataModule, check_range
from seqbench.data.timeseries import SeriesWindows, apply_scale, fit_scale, part_windows
from seqbench.errors import ConfigError


class SeriesDataModule(SnapshotDataModule):
    """Windows of ``context`` steps followed by ``horizon`` target steps, ``stride`` apart
    within each part (the evaluation splits use ``eval_stride``, by default every step)."""

    kind = "forecast"

    def __init__(
        self,
        name: str,
        raw_dir: str,
        context: int = 96,
        horizon: int = 24,
        stride: int = 1,
        eval_stride: int = 1,
        season: int | None = None,
        **loading: Any,
    ) -> None:
        """``loading``: batch_size, num_workers, steps_per_epoch, seed (SnapshotDataModule)."""
        super().__init__(name, raw_dir, **loading)
        for key, value in (("context", context), ("horizon", horizon), ("stride", stride)):
            check_range(f"data.{key}", value, 1)
        check_range("data.eval_stride", eval_stride, 1)
        if season is not None:
            check_range("data.season", season, 1)
        self.context, self.horizon, self.season = context, horizon, season
        self.stride, self.eval_stride = stride, eval_stride
        self.channels: list[str] = []
        self.mean = self.std = np.zeros(0)
        self.baselines: dict[str, dict] = {}

    def build(self, splits: DatasetDict) -> dict[str, SeriesWindows]:
        parts = {s: list(splits[s].with_format("numpy")["values"]) for s in SPLITS}
        longest_train = max(len(p) for p in parts["train"])
        span = self.context + self.horizon
        if span > longest_train:
            raise ConfigError(
                f"data.context={self.context} + data.horizon={self.horizon} = {span} steps "
                f"is longer than {self.name}'s longest train part ({longest_train} steps); "
                "choose a shorter context or horizon"
            )
        self.channels = list(self.provenance.get("channels") or [])
        self.mean, self.std = fit_scale(parts["train"])
        scaled = {s: [apply_scale(p, self.mean, self.std) for p in parts[s]] for s in SPLITS}
        strides = {"train": self.stride, "validation": self.eval_stride, "test": self.eval_stride}
        windows = {
            s: part_windows(scaled[s], self.context, self.horizon, strides[s]) for s in SPLITS
        }
        if all(len(w) for w in windows.values()):
            self.baselines = forecast_baselines.scores(
                windows["train"], windows["test"], self.season
            )
        return windows

    def info(self) -> dict:
        """Baseline: the validation MSE of repeating the last value (the trivial forecast)."""
        contexts, targets = self.datasets["validation"].arrays()
        last = forecast_baselines.last_value(contexts, self.horizon)
        return {
            "kind": self.kind,
            "channels": int(self.datasets["train"].values.shape[1]),
            "channel_names": self.channels,
            "context": self.context,
            "horizon": self.horizon,
            "season": self.season,
            "window": self.context,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "baseline": forecast_baselines.errors(last, targets)["mse"],
            "baseline_metric": "mse",
            "baselines": self.baselines,
            "test_windows": len(self.datasets["test"]),
        }
