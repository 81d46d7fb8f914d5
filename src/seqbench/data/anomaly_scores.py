"""Scores of every time step and how well they rank the anomalies: the baselines' scores and
the threshold-free measures the task and the baselines share (numpy and torchmetrics only, so
a task can import them without the DataModule)."""

import numpy as np
import torch
from torchmetrics.functional.classification import binary_auroc, binary_average_precision


def zscore_scores(signal: np.ndarray) -> np.ndarray:
    """Baseline: how far each standardised sample lies from the train mean (largest channel)."""
    return np.abs(signal).max(axis=-1)


def last_value_scores(signal: np.ndarray) -> np.ndarray:
    """Baseline: squared error of forecasting each sample by the one before it; step 0 has
    no forecast and scores 0 (the scored steps start at 1, as the model's do)."""
    errors = np.zeros(len(signal), dtype=np.float64)
    errors[1:] = ((signal[1:] - signal[:-1]) ** 2).sum(axis=-1)
    return errors


def threshold_free(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """AUROC and AUPRC (average precision) of scores against 0/1 labels."""
    s, y = torch.as_tensor(scores, dtype=torch.float64), torch.as_tensor(labels).long()
    return {
        "auroc": float(binary_auroc(s, y)),
        "auprc": float(binary_average_precision(s, y)),
    }
