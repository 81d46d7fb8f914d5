"""A small decoder-only (causal) Transformer backbone, nanoGPT style.

Maps features ``(B, T, F)`` to hidden features ``(B, T, H)`` like the recurrent backbones; the
task module owns the embedding and the head. Positions use a fixed sinusoidal encoding
(Vaswani et al. 2017) rather than learned embeddings, so streaming far past the training chunk
length (position 4096 and beyond) still sees meaningful positions, up to ``max_len``.

Blocks are pre-norm (LayerNorm before attention and MLP, residual around each, final
LayerNorm), which trains stably without warm-up tricks at this size. Weights keep PyTorch's
default init, as the recurrent backbones do.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqbench.models.base import Backbone, Shapes


class KVCache(NamedTuple):
    """Streaming state for :meth:`Transformer.step`.

    ``layers[i]`` is ``(k, v)`` for block ``i``, each ``(B, num_heads, t, head_dim)`` for the
    ``t`` positions seen so far; ``pos`` is the next position, indexing the encoding.
    """

    layers: tuple[tuple[Tensor, Tensor], ...]
    pos: int


def sinusoidal_encoding(max_len: int, dim: int) -> Tensor:
    """Fixed sin/cos position table ``(max_len, dim)``: sin on even, cos on odd channels."""
    position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(max_len, dim)
    pe[:, 0::2] = torch.sin(position * freq)
    pe[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return pe


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t only sees positions <= t."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = hidden_size // num_heads
        self.dropout = dropout
        self.qkv = nn.Linear(hidden_size, 3 * hidden_size)
        self.proj = nn.Linear(hidden_size, hidden_size)
        self.resid_drop = nn.Dropout(dropout)

    def _heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Project ``x`` (B, T, C) to q, k, v, each (B, num_heads, T, head_dim)."""
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        return tuple(t.view(B, T, self.num_heads, self.head_dim).transpose(1, 2) for t in (q, k, v))

    def _out(self, y: Tensor) -> Tensor:
        """Merge heads (B, h, T, d) -> (B, T, C) and project back into the residual stream."""
        B, _, T, _ = y.shape
        y = y.transpose(1, 2).reshape(B, T, self.num_heads * self.head_dim)
        return self.resid_drop(self.proj(y))

    def forward(self, x: Tensor) -> Tensor:
        q, k, v = self._heads(x)
        p = self.dropout if self.training else 0.0
        return self._out(F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True))

    def step(
        self, x_t: Tensor, cache: tuple[Tensor, Tensor] | None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """One position ``x_t`` (B, 1, C): append its k, v to the cache, attend to all of it.

        No mask is needed: the cache holds only the past and the current position.
        """
        q, k, v = self._heads(x_t)
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        p = self.dropout if self.training else 0.0
        return self._out(F.scaled_dot_product_attention(q, k, v, dropout_p=p)), (k, v)


class MLP(nn.Module):
    """Position-wise feed-forward: expand by ``ffn_mult``, GELU, project back."""

    def __init__(self, hidden_size: int, ffn_mult: int, dropout: float):
        super().__init__()
        self.fc = nn.Linear(hidden_size, ffn_mult * hidden_size)
        self.proj = nn.Linear(ffn_mult * hidden_size, hidden_size)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-norm Transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float, ffn_mult: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(hidden_size)
        self.attn = CausalSelfAttention(hidden_size, num_heads, dropout)
        self.ln_2 = nn.LayerNorm(hidden_size)
        self.mlp = MLP(hidden_size, ffn_mult, dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

    def step(
        self, x_t: Tensor, cache: tuple[Tensor, Tensor] | None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        a, cache = self.attn.step(self.ln_1(x_t), cache)
        x_t = x_t + a
        return x_t + self.mlp(self.ln_2(x_t)), cache


class Transformer(Backbone):
    """Causal Transformer backbone with the same ``forward``/``step`` interface as the RNNs.

    ``forward(x, state=None)`` treats each call as its own context: it accepts ``state`` only
    for interface compatibility (it must be None) and returns ``None`` as the state, so
    truncated-BPTT loops written for the RNNs run unchanged but nothing is carried between
    chunks. ``step`` streams one position at a time with a :class:`KVCache`, so each step costs
    attention over the cache only, and matches ``forward`` on the same prefix.
    """

    name = "transformer"
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
        max_len: int = 8192,
    ):
        sizes = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers}
        sizes |= {"num_heads": num_heads, "ffn_mult": ffn_mult, "max_len": max_len}
        super().__init__(dropout, **sizes)
        if hidden_size % num_heads != 0:
            raise ValueError(
                f"hidden_size ({hidden_size}) must be divisible by num_heads ({num_heads})"
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.max_len = max_len
        self.in_proj = nn.Linear(input_size, hidden_size)
        # Fixed, not a parameter; non-persistent so checkpoints don't depend on max_len.
        self.register_buffer("pos_enc", sinusoidal_encoding(max_len, hidden_size), persistent=False)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            Block(hidden_size, num_heads, dropout, ffn_mult) for _ in range(num_layers)
        )
        self.ln_f = nn.LayerNorm(hidden_size)

    @classmethod
    def sizes_in(cls, shapes: Shapes) -> dict[str, int] | None:
        """input_size, hidden_size, num_layers and ffn_mult, from ``in_proj`` and the blocks
        (num_heads and max_len shape no weight: the constructor and the buffer check bound
        them)."""
        projection, fc = shapes.get("in_proj.weight", ()), shapes.get("blocks.0.mlp.fc.weight", ())
        layers = len({name.split(".")[1] for name in shapes if name.startswith("blocks.")})
        if len(projection) != 2 or len(fc) != 2 or not projection[0]:
            return None
        hidden, inputs = projection
        sizes = {"input_size": inputs, "hidden_size": hidden, "num_layers": layers}
        return sizes | {"ffn_mult": fc[0] // hidden}

    @property
    def max_positions(self) -> int:
        """The positional table's length: no sequence or stream may go past it."""
        return self.max_len

    def state_size(self, positions: int = 1) -> int:
        """The key/value cache: a key and a value of ``hidden_size`` per layer for every
        position seen, so it grows linearly with the stream."""
        return 2 * self.num_layers * self.hidden_size * positions

    def _check_len(self, end: int | Tensor) -> None:
        """Refuse a position past the table; an exported step's position is a tensor, which
        its runtime checks instead (see seqbench.lessons.deploy.export)."""
        if isinstance(end, int) and end > self.max_len:
            raise ValueError(
                f"position {end - 1} is past the positional encoding (max_len={self.max_len}); "
                f"build the Transformer with max_len >= {end}"
            )

    def forward(self, x: Tensor, state: None = None) -> tuple[Tensor, None]:
        """Encode ``x`` (B, T, F) causally to (B, T, H); positions start at 0 on every call.

        ``state`` must be None and None is returned: each chunk is its own context.
        """
        if state is not None:
            raise ValueError(
                "Transformer.forward carries no state between chunks; pass state=None "
                "(use step() with a KVCache for streaming)"
            )
        T = x.shape[1]
        self._check_len(T)
        h = self.drop(self.in_proj(x) + self.pos_enc[:T])
        for block in self.blocks:
            h = block(h)
        return self.ln_f(h), None

    def step(self, x_t: Tensor, state: KVCache | None = None) -> tuple[Tensor, KVCache]:
        """Advance one position: ``x_t`` (B, F) -> (B, H) and the grown :class:`KVCache`.

        ``state=None`` starts a new stream at position 0.
        """
        pos = 0 if state is None else state.pos
        self._check_len(pos + 1)
        h = self.drop(self.in_proj(x_t.unsqueeze(1)) + self.pos_enc[pos])
        caches = []
        for i, block in enumerate(self.blocks):
            h, cache = block.step(h, None if state is None else state.layers[i])
            caches.append(cache)
        return self.ln_f(h).squeeze(1), KVCache(tuple(caches), pos + 1)
