"""Rotary position embeddings (RoPE, Su et al. 2021), the one implementation RetNet and
Transformer++ share.

Channel pair j of a query or key is turned by position * theta_j, so the product of a query
at n and a key at m depends on n - m only. Two layouts of the pairs are in use and each
model keeps the one its paper (and its tests) write down: interleaved pairs (2j, 2j+1)
(RetNet's complex numbers) or the two halves (j, j + r/2) (LLaMA's, Transformer++). A dot
product of two vectors laid out alike is the same number in either; the layout only decides
where a turned channel sits, which RetNet's carried state shows.
"""

import torch
from torch import Tensor

BASE = 10_000.0


def working_dtype(dtype: torch.dtype) -> torch.dtype:
    """At least float32: bfloat16 counts positions exactly only to 256 and its angles drift."""
    return torch.promote_types(dtype, torch.float32)


def frequencies(pairs: int, dims: int, dtype: torch.dtype, device=None) -> Tensor:
    """theta_j = BASE^(-2j / dims) for j < ``pairs``, in ``dtype``."""
    return BASE ** (-2 * torch.arange(pairs, device=device, dtype=dtype) / dims)


def rotate(x: Tensor, start: int, theta: Tensor, *, interleaved: bool) -> Tensor:
    """``x`` (..., T, d) at positions start..start+T-1 with its first 2 * len(theta)
    channels turned in pairs (the rest, e.g. an odd last channel, left as they are).
    Computed and returned in :func:`working_dtype`: the caller decides where to round."""
    pairs = 2 * theta.shape[0]
    exact = working_dtype(x.dtype)
    positions = torch.arange(x.shape[-2], device=x.device, dtype=exact) + start  # start: int or 0-d
    angle = positions[:, None] * theta.to(exact)  # (T, pairs / 2)
    cos, sin = angle.cos(), angle.sin()
    if interleaved:
        first, second = x[..., 0:pairs:2], x[..., 1:pairs:2]
    else:
        first, second = x[..., : pairs // 2], x[..., pairs // 2 : pairs]
    turned = (first * cos - second * sin, first * sin + second * cos)
    body = torch.stack(turned, dim=-1).flatten(-2) if interleaved else torch.cat(turned, dim=-1)
    return torch.cat([body, x[..., pairs:]], dim=-1)
