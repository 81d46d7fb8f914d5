"""minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"): the LSTM with gates that read
x_t alone, no output gate and no tanh, its forget and input gates normalised to sum to 1:

    f_t = sigmoid(Linear_f(x_t)),   i_t = sigmoid(Linear_i(x_t)),   h~_t = g(Linear_h(x_t)),
    f'_t = f_t / (f_t + i_t),       i'_t = i_t / (f_t + i_t),
    h_t = f'_t * h_{t-1} + i'_t * h~_t.

Normalised, h_t is a convex combination of h_{t-1} and h~_t, so its scale does not grow with
the sequence's length (the paper's time-independent scaling) and, h~ being positive, it stays
positive. The block, the stack, the scans and the state are minGRU's (``mingru.py``); only
the coefficients of h_t = a_t * h_{t-1} + b_t differ.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqbench.models.mingru import MinRNN, g, log_g, wide


class MinLSTMCell(nn.Module):
    """The minLSTM's coefficients of h_t = a_t * h_{t-1} + b_t: a = f', b = i' * h~."""

    gates: ClassVar[tuple[str, ...]] = ("to_f", "to_i", "to_h")  # its Linear layers

    def __init__(self, in_size: int, state_size: int):
        super().__init__()
        self.to_f = nn.Linear(in_size, state_size)
        self.to_i = nn.Linear(in_size, state_size)
        self.to_h = nn.Linear(in_size, state_size)

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """a_t = f'_t and b_t = i'_t * g(h), the gates normalised by their sum."""
        f, i = torch.sigmoid(wide(self.to_f(x))), torch.sigmoid(wide(self.to_i(x)))
        return f / (f + i), i / (f + i) * g(wide(self.to_h(x)))

    def log_coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """log f'_t = -log(1 + i/f) = -softplus(d) and log i'_t = -softplus(-d), where
        d = log i - log f = softplus(-k_f) - softplus(-k_i) (log sigmoid(k) = -softplus(-k));
        plus log g(h) for b."""
        d = F.softplus(-wide(self.to_f(x))) - F.softplus(-wide(self.to_i(x)))
        return -F.softplus(d), -F.softplus(-d) + log_g(wide(self.to_h(x)))


class MinLSTM(MinRNN):
    """minLSTM: normalised forget and input gates and a positive candidate, from x_t alone."""

    name = "minlstm"
    cell_type = MinLSTMCell
