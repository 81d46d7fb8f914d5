"""Parameter budgets: pick each model's hidden size so all models get the same capacity.

A fair comparison fixes the number of trainable parameters, not the hidden size (an LSTM has
four times the recurrent weights of a vanilla RNN at the same H).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters (shared parameters counted once)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def hidden_size_for_budget(
    build: Callable[[int], nn.Module],
    budget: int,
    lo: int = 4,
    hi: int = 4096,
    multiple: int = 4,
) -> int:
    """Hidden size in ``[lo, hi]`` (a multiple of ``multiple``) whose model is closest to budget.

    ``build(h)`` must return the full module to count (backbone plus whatever embedding and head
    the caller wants included); its parameter count must be non-decreasing in ``h``, which makes
    bisection valid. For the Transformer pass a ``multiple`` divisible by ``num_heads``.

    Candidates are built on the ``meta`` device, so probing a huge size allocates no memory and
    runs no real initialisation. Ties go to the smaller size.
    """
    if budget < 1:
        raise ValueError(f"budget must be >= 1, got {budget}")
    if multiple < 1:
        raise ValueError(f"multiple must be >= 1, got {multiple}")
    first = -(-max(lo, 1) // multiple)  # candidates are multiple * k for k in [first, last]
    last = hi // multiple
    if first > last:
        raise ValueError(f"no multiple of {multiple} in [lo={lo}, hi={hi}]")

    def params(k: int) -> int:
        with torch.device("meta"):
            return count_parameters(build(k * multiple))

    # Smallest k whose count reaches the budget (or `last` if none does).
    left, right = first, last
    while left < right:
        mid = (left + right) // 2
        if params(mid) >= budget:
            right = mid
        else:
            left = mid + 1
    if left > first and budget - params(left - 1) <= params(left) - budget:
        left -= 1
    return left * multiple
