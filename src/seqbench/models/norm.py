"""RMSNorm (Zhang & Sennrich 2019), the normalisation of the second-generation models.

x / sqrt(mean(x^2) + eps) * weight, computed in float32 whatever the input's precision and
returned in it: under bf16 autocast PyTorch's fused ``nn.RMSNorm`` falls back (and warns on
every run) when input and weight dtypes differ, and the mean of squares in bf16 loses the
small-magnitude channels.
"""

import torch
from torch import Tensor, nn


class RMSNorm(nn.Module):
    def __init__(self, size: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(size))

    def forward(self, x: Tensor) -> Tensor:
        wide = x.to(torch.promote_types(x.dtype, torch.float32))  # float64 stays float64
        normed = wide * torch.rsqrt(wide.pow(2).mean(-1, keepdim=True) + self.eps)
        return normed.type_as(x) * self.weight
