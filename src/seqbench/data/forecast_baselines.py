"""Forecasting baselines scored on the same test windows as the models.

- ``last_value``: repeat the context's last value over the horizon.
- ``seasonal_naive``: repeat the context's last season (``season`` steps) over the horizon.
- ``linear``: one linear map from the context to the horizon, shared by every channel
  (channel-independent, as DLinear, Zeng et al. 2023), fitted by least squares on the train
  windows only. DLinear's trend/seasonal decomposition (moving average, two linear layers)
  spans exactly these linear maps (W_s (I - A) + W_t A is any map when W_s = W_t), so its
  least-squares optimum is this one; the closed form needs no training schedule.

All numbers are on the normalised scale, the scale the models are scored on.
"""

import numpy as np

from seqbench.data.timeseries import SeriesWindows

NAMES = ("last_value", "seasonal_naive", "linear")
MAX_FIT_WINDOWS = 50_000  # train windows the linear fit reads (evenly spaced when more)


def last_value(contexts: np.ndarray, horizon: int) -> np.ndarray:
    return np.repeat(contexts[:, -1:], horizon, axis=1)


def seasonal_naive(contexts: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Step h of the horizon is the value one season (or whole seasons) before it."""
    steps = np.arange(horizon)
    back = season - steps % season  # steps before the context's end, within its last season
    return contexts[:, contexts.shape[1] - back]


def _channel_rows(contexts: np.ndarray) -> np.ndarray:
    """(N, T, C) -> (N*C, T): every channel of every window is one row."""
    return contexts.transpose(0, 2, 1).reshape(-1, contexts.shape[1])


def fit_linear(contexts: np.ndarray, targets: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Weights (T + 1, H) of the shared linear map with a bias, by (lightly ridged) least
    squares."""
    x = _channel_rows(contexts).astype(np.float64)
    y = _channel_rows(targets).astype(np.float64)
    design = np.hstack([x, np.ones((len(x), 1))])
    gram = design.T @ design + ridge * len(x) * np.eye(design.shape[1])
    return np.linalg.solve(gram, design.T @ y)


def apply_linear(weights: np.ndarray, contexts: np.ndarray) -> np.ndarray:
    n, _, channels = contexts.shape
    x = _channel_rows(contexts).astype(np.float64)
    out = np.hstack([x, np.ones((len(x), 1))]) @ weights
    return out.reshape(n, channels, -1).transpose(0, 2, 1)


def errors(predicted: np.ndarray, targets: np.ndarray) -> dict:
    """MSE and MAE over everything, and MSE per horizon step."""
    diff = np.asarray(predicted, dtype=np.float64) - targets
    return {
        "mse": float((diff**2).mean()),
        "mae": float(np.abs(diff).mean()),
        "mse_by_horizon": (diff**2).mean(axis=(0, 2)).tolist(),
    }


def _spread(count: int, limit: int) -> np.ndarray:
    return np.linspace(0, count - 1, min(count, limit)).round().astype(np.int64)


def scores(train: SeriesWindows, test: SeriesWindows, season: int | None) -> dict[str, dict]:
    """Each baseline's errors over every test window; the seasonal one only where a season
    fits in the context."""
    contexts, targets = test.arrays()
    horizon = test.horizon
    found = {"last_value": errors(last_value(contexts, horizon), targets)}
    if season is not None and season <= test.context:
        found["seasonal_naive"] = errors(seasonal_naive(contexts, horizon, season), targets)
    fit_x, fit_y = train.arrays(_spread(len(train), MAX_FIT_WINDOWS))
    weights = fit_linear(fit_x, fit_y)
    found["linear"] = errors(apply_linear(weights, contexts), targets)
    return found
