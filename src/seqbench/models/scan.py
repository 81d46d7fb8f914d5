"""Parallel forms of the diagonal linear recurrence h_t = a_t * h_{t-1} + b_t.

The second-generation recurrent models (minGRU, minLSTM, LRU, Mamba) train through this
recurrence over the whole sequence at once instead of one step at a time. Two forms:

- :func:`linear_scan`: the associative scan by doubling (Hillis & Steele 1986): log2(T)
  rounds of elementwise work, for any ``a`` (real, negative or complex);
- :func:`log_space_scan`: Heinsen (2023)'s scan in log space, for ``a`` in (0, 1) and
  ``b`` > 0 as minGRU and minLSTM use it: a cumulative sum and a ``logcumsumexp``.

Both take time as dimension 1, (B, T, ...), and an optional start state ``h0`` (B, ...);
:func:`loop_scan` is the recurrence itself, the sequential form a model's ``sequential``
option trains through.
"""

from __future__ import annotations

import torch
from torch import Tensor


def loop_scan(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """h_t = a_t * h_{t-1} + b_t one step at a time (h_{-1} = ``h0``, or zeros)."""
    h = torch.zeros_like(b[:, 0]) if h0 is None else h0
    out = []
    for a_t, b_t in zip(a.unbind(1), b.unbind(1), strict=True):  # not a[:, t]: its backward
        h = a_t * h + b_t  # fills a full-size zero tensor per step, quadratic in T
        out.append(h)
    return torch.stack(out, dim=1)


def linear_scan(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """Every h_t of h_t = a_t * h_{t-1} + b_t at once: after round k, position t holds the
    composition of the 2^k steps ending at t, so log2(T) rounds reach the start."""
    if h0 is not None:
        b = torch.cat([a[:, :1] * h0.unsqueeze(1) + b[:, :1], b[:, 1:]], dim=1)
    shift = 1
    while shift < b.shape[1]:
        b = torch.cat([b[:, :shift], a[:, shift:] * b[:, :-shift] + b[:, shift:]], dim=1)
        a = torch.cat([a[:, :shift], a[:, shift:] * a[:, :-shift]], dim=1)
        shift *= 2
    return b


def log_space_scan(log_a: Tensor, log_b: Tensor, log_h0: Tensor | None = None) -> Tensor:
    """Every h_t of h_t = a_t * h_{t-1} + b_t from log a_t and log b_t (Heinsen 2023):
    h_t = exp(A_t + logcumsumexp_{s<=t}(log b_s - A_s)) with A_t = sum_{s<=t} log a_s, the
    start state entering as one more term (log b_{-1} = log h0, A_{-1} = 0)."""
    if log_h0 is not None:
        log_a = torch.cat([torch.zeros_like(log_a[:, :1]), log_a], dim=1)
        log_b = torch.cat([log_h0.unsqueeze(1), log_b], dim=1)
    a_star = torch.cumsum(log_a, dim=1)
    h = torch.exp(a_star + torch.logcumsumexp(log_b - a_star, dim=1))
    return h if log_h0 is None else h[:, 1:]
