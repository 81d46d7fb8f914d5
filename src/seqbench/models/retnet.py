"""The Retentive Network (RetNet) of Sun et al. 2023, "Retentive Network: A Successor to
Transformer for Large Language Models" (arXiv 2307.08621).

Retention is attention without the softmax and with an exponential decay, so the same
numbers come from three forms (the paper's Section 2.1):

- parallel:   Retention(X) = (Q K^T ⊙ D) V,  D_nm = gamma^(n-m) for n >= m, else 0;
- recurrent:  S_n = gamma S_{n-1} + K_n^T V_n,  Retention(X_n) = Q_n S_n;
- chunkwise:  inside a chunk the parallel form, across chunks the carried S:
  o_i = (Q K^T ⊙ D) V + gamma^(i+1) Q_i S_prev,  S = gamma^T S_prev + sum_j gamma^(T-1-j) K_j^T V_j.

``forward`` is the chunkwise form (chunks of ``chunk_size`` positions, from the carried
state), so a long input never builds a T x T matrix and a carried state continues exactly;
``sequential=True`` runs the recurrent form as a loop; ``step`` is one recurrent step.

Q and K are rotated by their position (the paper's Theta_n = e^{i n theta}, the xPos/RoPE
rotation: each pair of channels j turns by n * theta_j, theta_j = 10000^(-2j/d_k)), so Q_n K_m^T
depends on n - m only; the state therefore carries the position. K is scaled by d_k^-0.5. The
paper's other two normalisations (dividing D's rows and the retention scores by their sums)
are left out: each rescales a head's output at one position by one number, which the
GroupNorm that follows removes (up to its epsilon), and they would need extra state.

Multi-scale retention (MSR): head h decays with gamma_h = 1 - 2^(-5-h); the heads are
GroupNorm-ed each on its own and gated: MSR(X) = (swish(X W_G) ⊙ GroupNorm(heads)) W_O.
Block: Y = MSR(LN(X)) + X, X' = FFN(LN(Y)) + Y with FFN(X) = gelu(X W_1) W_2. Following
the paper's sizes, values are ``value_factor`` = 2 times wider than keys and the FFN
``ffn_mult`` = 2 times the hidden size, which makes a block about as large as a Transformer's
(12 H^2). Weights keep PyTorch's default initialisation, as the Transformer backbone's do.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqbench.models import rope
from seqbench.models.base import Backbone, Shapes
from seqbench.models.transformer import MLP  # the paper's FFN: gelu(X W_1) W_2


class RetNetState(NamedTuple):
    """Streaming state: ``S`` (num_layers, B, num_heads, d_k, d_v), one retention state per
    layer and head, and ``pos``, the next position (it sets the rotation of Q and K)."""

    S: Tensor
    pos: int


class MultiScaleRetention(nn.Module):
    """MSR: num_heads retentions with their own decay, GroupNorm per head, swish gate."""

    def __init__(self, hidden_size: int, num_heads: int, value_factor: int, chunk_size: int):
        super().__init__()
        self.num_heads = num_heads
        self.d_k = hidden_size // num_heads
        self.d_v = value_factor * self.d_k
        self.chunk_size = chunk_size
        self.q = nn.Linear(hidden_size, hidden_size, bias=False)
        self.k = nn.Linear(hidden_size, hidden_size, bias=False)
        self.v = nn.Linear(hidden_size, value_factor * hidden_size, bias=False)
        self.g = nn.Linear(hidden_size, value_factor * hidden_size, bias=False)
        self.o = nn.Linear(value_factor * hidden_size, hidden_size, bias=False)
        self.group_norm = nn.GroupNorm(num_heads, value_factor * hidden_size)
        # fixed, not learned: gamma_h = 1 - 2^(-5-h), and the rotation frequencies theta_j
        heads = torch.arange(num_heads, dtype=torch.float64)
        self.register_buffer("log_gamma", torch.log1p(-(2.0 ** (-5.0 - heads))), persistent=False)
        theta = rope.frequencies(self.d_k // 2, self.d_k, torch.float64)
        self.register_buffer("theta", theta, persistent=False)

    def _qkv(self, x: Tensor, start: int) -> tuple[Tensor, Tensor, Tensor]:
        """Q, K (B, h, T, d_k) rotated to positions start.., K scaled by d_k^-0.5, and V
        (B, h, T, d_v)."""
        B, T, _ = x.shape
        q, k = (w(x).view(B, T, self.num_heads, self.d_k).transpose(1, 2) for w in (self.q, self.k))
        v = self.v(x).view(B, T, self.num_heads, self.d_v).transpose(1, 2)
        q, k = (rope.rotate(t, start, self.theta, interleaved=True) for t in (q, k))
        return q, k * self.d_k**-0.5, v

    def _chunk(self, q: Tensor, k: Tensor, v: Tensor, S: Tensor) -> tuple[Tensor, Tensor]:
        """One chunk of the chunkwise form from the state ``S`` before it."""
        T = q.shape[2]
        log_gamma = self.log_gamma.to(S.dtype).view(-1, 1, 1)  # (h, 1, 1)
        n = torch.arange(T, device=q.device, dtype=S.dtype)
        distance = n.view(-1, 1) - n.view(1, -1)
        decay = torch.where(distance >= 0, torch.exp(distance.clamp(min=0) * log_gamma), 0.0)
        inner = (q @ k.transpose(-1, -2) * decay) @ v  # (Q K^T ⊙ D) V
        cross = (q @ S) * torch.exp((n + 1).view(-1, 1) * log_gamma)  # gamma^(i+1) Q_i S_prev
        to_end = torch.exp((T - 1 - n).view(-1, 1) * log_gamma)  # gamma^(T-1-j)
        S = torch.exp(T * log_gamma) * S + (k * to_end).transpose(-1, -2) @ v
        return inner + cross, S

    def _recurrent(self, q: Tensor, k: Tensor, v: Tensor, S: Tensor) -> tuple[Tensor, Tensor]:
        """The recurrent form one position at a time: S_n = gamma S_{n-1} + K_n^T V_n,
        o_n = Q_n S_n."""
        gamma = torch.exp(self.log_gamma.to(S.dtype)).view(-1, 1, 1)
        out = []
        for t in range(q.shape[2]):
            S = gamma * S + k[:, :, t].unsqueeze(-1) * v[:, :, t].unsqueeze(-2)
            out.append((q[:, :, t].unsqueeze(-2) @ S).squeeze(-2))
        return torch.stack(out, dim=2), S

    def forward(self, x: Tensor, S: Tensor, start: int, sequential: bool) -> tuple[Tensor, Tensor]:
        """``x`` (B, T, H) at positions start.. from state ``S`` -> (B, T, H) and the new S."""
        q, k, v = self._qkv(x, start)
        if sequential:
            heads, S = self._recurrent(q, k, v, S)
        else:
            pieces = []
            for i in range(0, x.shape[1], self.chunk_size):
                part = slice(i, i + self.chunk_size)
                out, S = self._chunk(q[:, :, part], k[:, :, part], v[:, :, part], S)
                pieces.append(out)
            heads = torch.cat(pieces, dim=2)
        B, _, T, _ = heads.shape
        heads = heads.transpose(1, 2).reshape(B * T, -1)  # (B T, h d_v), head-major channels
        normed = self.group_norm(heads).view(B, T, -1)
        return self.o(F.silu(self.g(x)) * normed), S

    def zeros(self, batch: int, like: Tensor) -> Tensor:
        """An empty state, at least float32: under bfloat16 autocast the decays (1 - 2^-8 and
        closer to 1) and a long stream's sums need more than bfloat16's 8 bits."""
        dtype = torch.promote_types(like.dtype, torch.float32)
        return like.new_zeros(batch, self.num_heads, self.d_k, self.d_v, dtype=dtype)


class RetNetBlock(nn.Module):
    """Pre-norm block: Y = MSR(LN(X)) + X, then Y + FFN(LN(Y))."""

    def __init__(self, hidden_size: int, num_heads: int, value_factor: int, ffn_mult: int,
                 chunk_size: int, dropout: float) -> None:  # fmt: skip
        super().__init__()
        self.ln_1 = nn.LayerNorm(hidden_size)
        self.retention = MultiScaleRetention(hidden_size, num_heads, value_factor, chunk_size)
        self.ln_2 = nn.LayerNorm(hidden_size)
        self.ffn = MLP(hidden_size, ffn_mult, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, S: Tensor, start: int, sequential: bool) -> tuple[Tensor, Tensor]:
        r, S = self.retention(self.ln_1(x), S, start, sequential)
        y = x + self.drop(r)
        return y + self.ffn(self.ln_2(y)), S


class RetNet(Backbone):
    """Stacked RetNet blocks behind ``in_proj``, with a final LayerNorm.

    The state is a :class:`RetNetState`: every layer's retention state and the position,
    a fixed size whatever the position (``step`` streams in O(1) per position).
    """

    name = "retnet"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 2,
        dropout: float = 0.0,
        sequential: bool = False,
        num_heads: int = 4,
        ffn_mult: int = 2,
        value_factor: int = 2,
        chunk_size: int = 256,
    ):
        """``num_heads``: retention heads (hidden_size must divide by it); ``ffn_mult``: the
        FFN's inner width / hidden_size; ``value_factor``: d_v / d_k; ``chunk_size``:
        positions per chunk of the chunkwise form (memory, not numbers)."""
        sizes = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers}
        sizes |= {"num_heads": num_heads, "ffn_mult": ffn_mult, "value_factor": value_factor}
        super().__init__(dropout, **sizes, chunk_size=chunk_size)
        if hidden_size % num_heads != 0:
            raise ValueError(
                f"hidden_size ({hidden_size}) must be divisible by num_heads ({num_heads})"
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.sequential = sequential
        self.in_proj = nn.Linear(input_size, hidden_size)
        self.blocks = nn.ModuleList(
            RetNetBlock(hidden_size, num_heads, value_factor, ffn_mult, chunk_size, dropout)
            for _ in range(num_layers)
        )
        self.ln_f = nn.LayerNorm(hidden_size)

    def state_size(self, positions: int = 1) -> int:
        """Every layer's S: num_heads matrices of d_k x d_v (the position is an int)."""
        msr = self.blocks[0].retention
        return self.num_layers * self.num_heads * msr.d_k * msr.d_v

    @classmethod
    def sizes_in(cls, shapes: Shapes) -> dict[str, int] | None:
        """input_size, hidden_size, num_layers, ffn_mult and value_factor from ``in_proj`` and
        the blocks (num_heads and chunk_size shape no weight)."""
        projection = shapes.get("in_proj.weight", ())
        fc = shapes.get("blocks.0.ffn.fc.weight", ())
        v = shapes.get("blocks.0.retention.v.weight", ())
        layers = {m[1] for name in shapes if (m := re.match(r"blocks\.(\d+)\.", name))}
        if len(projection) != 2 or len(fc) != 2 or len(v) != 2 or not projection[0]:
            return None
        hidden, inputs = projection
        sizes = {"input_size": inputs, "hidden_size": hidden, "num_layers": len(layers)}
        return sizes | {"ffn_mult": fc[0] // hidden, "value_factor": v[0] // hidden}

    def _run(self, x: Tensor, state: RetNetState | None, sequential: bool):
        h = self.in_proj(x)
        start = 0 if state is None else state.pos
        new = []
        for i, block in enumerate(self.blocks):
            S = block.retention.zeros(x.shape[0], h) if state is None else state.S[i]
            h, S = block(h, S, start, sequential)
            new.append(S)
        return self.ln_f(h), RetNetState(torch.stack(new), start + x.shape[1])

    def forward(self, x: Tensor, state: RetNetState | None = None) -> tuple[Tensor, RetNetState]:
        """``x`` (B, T, F) -> (B, T, H) and the state after it, from ``state`` (a new
        sequence at position 0 when None): the chunkwise form, or the loop if ``sequential``."""
        return self._run(x, state, self.sequential)

    def step(self, x_t: Tensor, state: RetNetState | None = None) -> tuple[Tensor, RetNetState]:
        """One position of the recurrent form: ``x_t`` (B, F) -> (B, H) and the new state."""
        y, state = self._run(x_t.unsqueeze(1), state, sequential=True)
        return y.squeeze(1), state
