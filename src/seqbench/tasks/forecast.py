"""Multi-step forecasting: the last hidden state of the context predicts the next ``horizon``
steps of every channel at once (a direct multi-output head: no forecast is fed back, so an
error at one step cannot compound into the next).

Scored on the normalised scale (train statistics): MSE (the loss) and MAE, and on the test
split the MSE per horizon step (``test_extra.mse_by_horizon`` in metrics.json) beside the
baselines' numbers on the same windows (``test_extra.baselines``)."""

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torchmetrics import MeanAbsoluteError, MeanSquaredError, Metric, MetricCollection

from seqbench.tasks.base import SequenceTask


class MSEByHorizon(Metric):
    """Mean squared error at each horizon step, averaged over windows and channels."""

    def __init__(self, horizon: int) -> None:
        super().__init__()
        self.add_state("total", torch.zeros(horizon, dtype=torch.float64), "sum")
        self.add_state("count", torch.zeros((), dtype=torch.float64), "sum")

    def update(self, predicted: Tensor, targets: Tensor) -> None:
        squared = (predicted.double() - targets.double()) ** 2  # (B, horizon, C)
        self.total += squared.sum(dim=(0, 2))
        self.count += squared.shape[0] * squared.shape[2]

    def compute(self) -> Tensor:
        return self.total / self.count


class _Flat(Metric):
    """A torchmetrics regression metric over every forecast value, whatever its shape."""

    def __init__(self, metric: Metric) -> None:
        super().__init__()
        self.metric = metric

    def update(self, predicted: Tensor, targets: Tensor) -> None:
        self.metric.update(predicted.reshape(-1).float(), targets.reshape(-1).float())

    def compute(self) -> Tensor:
        return self.metric.compute()

    def reset(self) -> None:
        self.metric.reset()
        super().reset()


class Forecast(SequenceTask):
    kind = "forecast"
    monitor, mode = "val/mse", "min"
    per_step_targets = False

    def build_inputs(self, embed_dim: int) -> nn.Module:
        return nn.Linear(self.data_info["channels"], embed_dim)

    def build_head(self, hidden: int) -> nn.Module:
        """hidden -> (horizon, channels) at every step; the task reads the last one."""
        horizon, channels = self.data_info["horizon"], self.data_info["channels"]
        return nn.Sequential(
            nn.Linear(hidden, horizon * channels), nn.Unflatten(-1, (horizon, channels))
        )

    def build_metrics(self) -> MetricCollection:
        return MetricCollection(
            {
                "mse": _Flat(MeanSquaredError()),
                "mae": _Flat(MeanAbsoluteError()),
                "mse_by_horizon": MSEByHorizon(self.data_info["horizon"]),
            },
            compute_groups=False,
        )

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        return F.mse_loss(outputs, targets)

    def on_test_epoch_start(self) -> None:
        self._tested = 0

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._tested += len(batch[0])
        super().test_step(batch, batch_idx)

    def on_test_epoch_end(self) -> None:
        """The baselines' numbers on the same test windows, beside the model's."""
        super().on_test_epoch_end()
        info = self.data_info
        self.extra_results |= {
            "baselines": info.get("baselines", {}),
            "baseline_windows": info.get("test_windows"),  # every test window
            "test_windows": self._tested,  # the model's: fewer under budget.test_batches < 1
            "horizon": info["horizon"],
            "context": info["context"],
            "season": info.get("season"),
        }


class ForecastAutoregressive(Forecast):
    """One step ahead, rolled out: trained to predict every next value of the window and its
    horizon (teacher forcing), evaluated by feeding each forecast back through the backbone's
    ``step()`` for the ``horizon`` steps, so its errors can compound as a deployed recurrent
    forecaster's do. val/mse scores the rolled-out forecast, as the direct task's does."""

    per_step_targets = True

    def build_head(self, hidden: int) -> nn.Module:
        return nn.Linear(hidden, self.data_info["channels"])

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        x, y = batch
        sequence = torch.cat([x, y], dim=1)
        super().training_step((sequence[:, :-1], sequence[:, 1:]), batch_idx)

    def rollout(self, x: Tensor) -> Tensor:
        """(B, context, C) -> (B, horizon, C). A backbone whose ``forward`` state continues
        into ``step`` reads the context in parallel; an attending one (its cache is built by
        ``step`` alone) steps through the context too."""
        if self.backbone.attends:
            state = None
            for t in range(x.shape[1]):
                hidden, state = self.backbone.step(self.inputs(x[:, t]), state)
            forecast = [self.head(hidden)]
        else:
            outputs, state = self(x)
            forecast = [outputs[:, -1]]
        for _ in range(self.data_info["horizon"] - 1):
            hidden, state = self.backbone.step(self.inputs(forecast[-1]), state)
            forecast.append(self.head(hidden))
        return torch.stack(forecast, dim=1)

    def _evaluate(self, batch: tuple[Tensor, Tensor], metrics: MetricCollection) -> None:
        x, y = batch
        metrics.update(self.rollout(x), y)
