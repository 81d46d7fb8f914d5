"""Transformer++: the attention baseline the modern recurrent papers compare against.

Mamba, RetNet, xLSTM and minGRU all measure themselves against this recipe (LLaMA's, Touvron
et al. 2023) rather than the 2017 Transformer: rotary position embeddings (RoPE, Su et al.
2021) instead of an added position table, RMSNorm (Zhang & Sennrich 2019) instead of
LayerNorm, a SwiGLU feed-forward (Shazeer 2020) instead of GELU, and no biases. Pre-norm
blocks, causal, streaming with a key/value cache like :class:`~seqbench.models.Transformer`.

RoPE rotates each query and key by its absolute position, so attention scores depend only on
the distance between positions; there is no table to run past (``max_positions`` is None),
though a model trained on windows of T positions has never seen distances beyond T.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqbench.models import rope
from seqbench.models.base import Backbone, Shapes
from seqbench.models.norm import RMSNorm
from seqbench.models.transformer import KVCache


def rotate(x: Tensor, start: int) -> Tensor:
    """RoPE (:mod:`seqbench.models.rope`) on ``x`` (B, heads, T, d) at positions start..:
    LLaMA's layout, channel pair (i, i + r/2) of the first r = 2*floor(d/2) channels turned by
    pos * base^(-2i/r); an odd last channel (a head size the parameter budget made odd) is
    left as it is. Rounded back to ``x``'s dtype: the key/value cache and attention take one."""
    half = x.shape[-1] // 2
    theta = rope.frequencies(half, 2 * half, rope.working_dtype(x.dtype), x.device)
    return rope.rotate(x, start, theta, interleaved=False).to(x.dtype)


class RotaryAttention(nn.Module):
    """Causal multi-head attention with RoPE on queries and keys, no biases."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float):
        super().__init__()
        self.num_heads = num_heads
        self.dropout = dropout
        self.qkv = nn.Linear(hidden_size, 3 * hidden_size, bias=False)
        self.proj = nn.Linear(hidden_size, hidden_size, bias=False)
        self.resid_drop = nn.Dropout(dropout)

    def forward(
        self, x: Tensor, start: int = 0, cache: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """``x`` (B, T, C) at positions start..; with ``cache`` (the earlier positions' keys
        and values, rotated already) a stream's next positions. Returns the output and the
        keys and values including these positions."""
        B, T, C = x.shape
        q, k, v = (
            t.view(B, T, self.num_heads, C // self.num_heads).transpose(1, 2)
            for t in self.qkv(x).split(C, dim=2)
        )
        q, k = rotate(q, start), rotate(k, start)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=cache is None)
        y = y.transpose(1, 2).reshape(B, T, C)
        return self.resid_drop(self.proj(y)), (k, v)


class SwiGLU(nn.Module):
    """w_out(silu(w_gate x) * w_up x): the inner width 2/3 of ``ffn_mult`` x hidden keeps the
    parameters of a GELU MLP of ``ffn_mult`` (three matrices instead of two)."""

    def __init__(self, hidden_size: int, ffn_mult: int, dropout: float):
        super().__init__()
        inner = 2 * ffn_mult * hidden_size // 3
        self.gate = nn.Linear(hidden_size, inner, bias=False)
        self.up = nn.Linear(hidden_size, inner, bias=False)
        self.out = nn.Linear(inner, hidden_size, bias=False)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.out(F.silu(self.gate(x)) * self.up(x)))


class Block(nn.Module):
    """x + attn(rmsnorm(x)), then x + swiglu(rmsnorm(x))."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float, ffn_mult: int):
        super().__init__()
        self.norm_1 = RMSNorm(hidden_size)
        self.attn = RotaryAttention(hidden_size, num_heads, dropout)
        self.norm_2 = RMSNorm(hidden_size)
        self.mlp = SwiGLU(hidden_size, ffn_mult, dropout)

    def forward(
        self, x: Tensor, start: int = 0, cache: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        a, cache = self.attn(self.norm_1(x), start, cache)
        x = x + a
        return x + self.mlp(self.norm_2(x)), cache


class TransformerPP(Backbone):
    """Causal Transformer++ with the backbones' ``forward``/``step`` interface.

    As for :class:`~seqbench.models.Transformer`, ``forward`` treats each call as its own
    context (``state`` must be None) and ``step`` streams with a :class:`KVCache` that grows
    by one key and one value per layer and position.
    """

    name = "transformer_pp"
    attends = True
    streams_with_cache = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 2,
        num_heads: int = 4,
        dropout: float = 0.0,
        ffn_mult: int = 4,
    ):
        sizes = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers}
        super().__init__(dropout, **sizes, num_heads=num_heads, ffn_mult=ffn_mult)
        if hidden_size % num_heads != 0:
            raise ValueError(
                f"hidden_size ({hidden_size}) must be divisible by num_heads ({num_heads})"
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.in_proj = nn.Linear(input_size, hidden_size, bias=False)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            Block(hidden_size, num_heads, dropout, ffn_mult) for _ in range(num_layers)
        )
        self.norm_f = RMSNorm(hidden_size)

    @classmethod
    def sizes_in(cls, shapes: Shapes) -> dict[str, int] | None:
        """input_size, hidden_size, num_layers and ffn_mult, from ``in_proj`` and the blocks'
        SwiGLU (whose inner width is 2 * ffn_mult * hidden // 3)."""
        projection, gate = shapes.get("in_proj.weight", ()), shapes.get("blocks.0.mlp.gate.weight")
        layers = len({name.split(".")[1] for name in shapes if name.startswith("blocks.")})
        if len(projection) != 2 or gate is None or len(gate) != 2 or not projection[0]:
            return None
        hidden, inputs = projection
        mult = next((m for m in range(1, 65) if 2 * m * hidden // 3 == gate[0]), 0)
        sizes = {"input_size": inputs, "hidden_size": hidden, "num_layers": layers}
        return sizes | {"ffn_mult": mult}

    def state_size(self, positions: int = 1) -> int:
        """The key/value cache: a key and a value of ``hidden_size`` per layer and position
        seen, so it grows linearly with the stream."""
        return 2 * self.num_layers * self.hidden_size * positions

    def forward(self, x: Tensor, state: None = None) -> tuple[Tensor, None]:
        """Encode ``x`` (B, T, F) causally to (B, T, H); positions start at 0 on every call."""
        if state is not None:
            raise ValueError(
                "TransformerPP.forward carries no state between chunks; pass state=None "
                "(use step() with a KVCache for streaming)"
            )
        h = self.drop(self.in_proj(x))
        for block in self.blocks:
            h, _ = block(h)
        return self.norm_f(h), None

    def step(self, x_t: Tensor, state: KVCache | None = None) -> tuple[Tensor, KVCache]:
        """Advance one position: ``x_t`` (B, F) -> (B, H) and the grown :class:`KVCache`."""
        pos = 0 if state is None else state.pos
        h = self.drop(self.in_proj(x_t.unsqueeze(1)))
        caches = []
        for i, block in enumerate(self.blocks):
            h, cache = block(h, pos, None if state is None else state.layers[i])
            caches.append(cache)
        return self.norm_f(h).squeeze(1), KVCache(tuple(caches), pos + 1)
