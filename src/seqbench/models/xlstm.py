"""xLSTM (Beck et al. 2024, arXiv 2405.04517): a stack of mLSTM and sLSTM blocks.

Both cells replace the LSTM's sigmoid input gate by an exponential one, kept finite by a
stabiliser state ``m`` (the running maximum of the log gates, eqs. 15-17): every stored
memory is the true one times ``exp(-m)``, so the outputs (ratios of memory to normaliser)
are exactly the unstabilised ones.

- **sLSTM** (eqs. 8-17): scalar memory ``c``, normaliser ``n``, stabiliser ``m`` and hidden
  ``h``, with recurrent weights ``R`` block-diagonal over heads. ``h`` feeds back into the
  gates, so it has no parallel form: it always runs through the loop.
- **mLSTM** (eqs. 19-27): a matrix memory ``C_t = f_t C_{t-1} + i_t v_t k_t^T`` per head with no
  hidden-to-hidden weights, so it has a parallel (attention-like) form: the decay matrix ``D``
  from cumulative log forget gates plus log input gates, stabilised row-wise (appendix). A
  carried state ``(C, n, m)`` enters that form as one more, decayed, term (the chunkwise form),
  so two chunks give the same numbers as one pass and as the step loop.

Blocks (paper Figs. 9-10), pre-norm residual: the mLSTM block projects up (factor 2) into a
cell branch and a SiLU gate branch, with a learnable skip around the cell and head-wise norm;
the sLSTM block runs the cell at model width, head-wise norm, then a GeLU-gated MLP (factor
4/3). Simplifications, for readability and a state that is exactly what the cells carry: no
causal convolution before the gates (the paper's conv4), and dense q/k/v projections instead
of the paper's block-diagonal ones (block size 4).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqbench.models.base import Backbone, Shapes, through_layers

MLSTM_PROJ = 2  # mLSTM block: pre-up-projection factor (paper Fig. 10)
SLSTM_MLP = (4, 3)  # sLSTM block: post-up-projection (gated MLP) factor (paper Fig. 9)
FORGET_GATES = ("sigmoid", "exp")
FORGET_BIAS = (3.0, 6.0)  # forget-gate biases spread over this range: remember at init


class MLSTMState(NamedTuple):
    """One mLSTM layer: memory ``C`` (B, heads, d, d) (value x key), normaliser ``n``
    (B, heads, d) and stabiliser ``m`` (B, heads), ``C`` and ``n`` scaled by ``exp(-m)``."""

    C: Tensor
    n: Tensor
    m: Tensor


class SLSTMState(NamedTuple):
    """One sLSTM layer: cell ``c``, normaliser ``n``, stabiliser ``m``, hidden ``h``, (B, H)."""

    c: Tensor
    n: Tensor
    m: Tensor
    h: Tensor


LayerState = MLSTMState | SLSTMState


class HeadNorm(nn.Module):
    """Layer norm within each head, then one affine over all channels (the paper's GN):
    heads stay independent, as their memories are."""

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: Tensor) -> Tensor:
        heads = x.unflatten(-1, (self.num_heads, -1))
        return F.layer_norm(heads, heads.shape[-1:]).flatten(-2) * self.weight + self.bias


def mlstm_parallel(
    q: Tensor, k: Tensor, v: Tensor, i: Tensor, log_f: Tensor, state: MLSTMState
) -> tuple[Tensor, MLSTMState]:
    """The stabilised parallel mLSTM over a chunk, from the carried ``state``.

    q, k, v (B, heads, T, d) with k already scaled by 1/sqrt(d); i, log_f (B, heads, T) the
    log input and log forget gates. log D[t, s] = b_t - b_s + i_s for s <= t, with b the
    cumulative log forget gate; the carried memory enters with log weight b_t + m_prev. Each
    row is stabilised by its maximum m_t, which is the step loop's m_t exactly.
    """
    T = q.shape[2]
    b = log_f.cumsum(-1)
    log_d = b.unsqueeze(-1) - b.unsqueeze(-2) + i.unsqueeze(-2)  # (B, heads, T, T)
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    log_d = log_d.masked_fill(~causal, -math.inf)
    log_prior = b + state.m.unsqueeze(-1)  # (B, heads, T): the carried memory's weight
    m = torch.maximum(log_d.amax(-1), log_prior)
    d = torch.exp(log_d - m.unsqueeze(-1))
    prior = torch.exp(log_prior - m)
    scores = (q @ k.transpose(-1, -2)) * d  # C~ = (Q K^T / sqrt d) * D'
    num = scores @ v + prior.unsqueeze(-1) * torch.einsum("bhvk,bhtk->bhtv", state.C, q)
    den = scores.sum(-1) + prior * torch.einsum("bhk,bhtk->bht", state.n, q)
    h = num / torch.maximum(den.abs(), torch.exp(-m)).unsqueeze(-1)
    last, w = prior[..., -1], d[..., -1, :]  # the last row's weights build the next state
    C = last[..., None, None] * state.C + torch.einsum("bhs,bhsv,bhsk->bhvk", w, v, k)
    n = last.unsqueeze(-1) * state.n + torch.einsum("bhs,bhsk->bhk", w, k)
    return h, MLSTMState(C, n, m[..., -1])


def mlstm_step(
    q: Tensor, k: Tensor, v: Tensor, i: Tensor, log_f: Tensor, state: MLSTMState
) -> tuple[Tensor, MLSTMState]:
    """One stabilised mLSTM step (eqs. 19-27 with eqs. 15-17's stabiliser): q, k, v (B,
    heads, d), i and log_f (B, heads)."""
    m = torch.maximum(log_f + state.m, i)
    f_ = torch.exp(log_f + state.m - m)
    i_ = torch.exp(i - m)
    C = f_[..., None, None] * state.C + i_[..., None, None] * v.unsqueeze(-1) * k.unsqueeze(-2)
    n = f_.unsqueeze(-1) * state.n + i_.unsqueeze(-1) * k
    num = torch.einsum("bhvk,bhk->bhv", C, q)
    den = torch.maximum((n * q).sum(-1).abs(), torch.exp(-m))
    return num / den.unsqueeze(-1), MLSTMState(C, n, m)


class MLSTMBlock(nn.Module):
    """Pre-up-projection block: x + down(cell(a) * silu(z)), (a, z) = up(norm(x))."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float, chunk_size: int):
        super().__init__()
        inner = MLSTM_PROJ * hidden_size
        self.chunk_size = chunk_size
        self.num_heads, self.head_dim = num_heads, inner // num_heads
        self.norm = nn.LayerNorm(hidden_size)
        self.up = nn.Linear(hidden_size, 2 * inner)
        self.q = nn.Linear(inner, inner)
        self.k = nn.Linear(inner, inner)
        self.v = nn.Linear(inner, inner)
        self.igate = nn.Linear(inner, num_heads)  # i~ per head (eq. 25), exponential
        self.fgate = nn.Linear(inner, num_heads)  # f~ per head (eq. 26), sigmoid
        self.ogate = nn.Linear(inner, inner)  # o (eq. 27)
        self.cell_norm = HeadNorm(inner, num_heads)
        self.skip = nn.Parameter(torch.ones(inner))  # learnable skip around the cell
        self.down = nn.Linear(inner, hidden_size)
        self.drop = nn.Dropout(dropout)
        with torch.no_grad():
            self.fgate.bias.copy_(torch.linspace(*FORGET_BIAS, num_heads))
            self.igate.bias.normal_(0.0, 0.1)

    def zero_state(self, x: Tensor) -> MLSTMState:
        B, nh, d = x.shape[0], self.num_heads, self.head_dim
        return MLSTMState(x.new_zeros(B, nh, d, d), x.new_zeros(B, nh, d), x.new_zeros(B, nh))

    def forward(
        self, x: Tensor, state: MLSTMState | None, sequential: bool
    ) -> tuple[Tensor, MLSTMState]:
        """x (B, T, H): the parallel form over T, or the step loop when ``sequential``."""
        state = self.zero_state(x) if state is None else state
        a, z = self.up(self.norm(x)).chunk(2, dim=-1)

        def heads(t: Tensor) -> Tensor:  # (B, T, heads*d) -> (B, heads, T, d)
            return t.unflatten(-1, (self.num_heads, self.head_dim)).transpose(1, 2)

        k = F.linear(a, self.k.weight) / math.sqrt(self.head_dim) + self.k.bias  # eq. 23
        q, k, v = heads(self.q(a)), heads(k), heads(self.v(a))
        i = self.igate(a).transpose(1, 2)
        log_f = F.logsigmoid(self.fgate(a)).transpose(1, 2)
        if sequential:
            outs = []
            for t in range(x.shape[1]):
                at_t = (q[:, :, t], k[:, :, t], v[:, :, t], i[..., t], log_f[..., t])
                h_t, state = mlstm_step(*at_t, state)
                outs.append(h_t)
            h = torch.stack(outs, dim=2)
        else:  # chunkwise: parallel within a chunk, the state carried between chunks
            outs = []
            for s in range(0, x.shape[1], self.chunk_size):
                at_s = (t[:, :, s : s + self.chunk_size] for t in (q, k, v, i, log_f))
                h_s, state = mlstm_parallel(*at_s, state)
                outs.append(h_s)
            h = torch.cat(outs, dim=2)
        h = torch.sigmoid(self.ogate(a)) * h.transpose(1, 2).flatten(-2)  # h = o * h~ (eq. 21)
        h = self.cell_norm(h) + self.skip * a
        return x + self.drop(self.down(h * F.silu(z))), state


class SLSTMBlock(nn.Module):
    """Post-up-projection block: x + norm(sLSTM(ln(x))), then x + gated MLP(ln(x))."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float, forget_gate: str):
        super().__init__()
        self.num_heads, self.head_dim = num_heads, hidden_size // num_heads
        self.exp_forget = forget_gate == "exp"
        self.norm = nn.LayerNorm(hidden_size)
        self.W = nn.Linear(hidden_size, 4 * hidden_size)  # z, i, f, o from the input
        d = self.head_dim  # R[g, head]: block-diagonal recurrent weights of gate g (no bias)
        self.R = nn.Parameter(torch.empty(4, num_heads, d, d).uniform_(-(d**-0.5), d**-0.5))
        self.cell_norm = HeadNorm(hidden_size, num_heads)
        self.mlp_norm = nn.LayerNorm(hidden_size)
        inner = -(-SLSTM_MLP[0] * hidden_size // SLSTM_MLP[1])  # ceil(4H / 3)
        self.mlp_gate = nn.Linear(hidden_size, inner)
        self.mlp_up = nn.Linear(hidden_size, inner)
        self.mlp_down = nn.Linear(inner, hidden_size)
        self.drop = nn.Dropout(dropout)
        with torch.no_grad():
            f_bias = self.W.bias[2 * hidden_size : 3 * hidden_size]
            if self.exp_forget:  # f = exp(0) = 1 at init: no decay, as the sigmoid's ~0.95-1
                f_bias.zero_()
            else:
                f_bias.copy_(torch.linspace(*FORGET_BIAS, hidden_size))

    def zero_state(self, x: Tensor) -> SLSTMState:
        zeros = x.new_zeros(x.shape[0], self.R.shape[1] * self.head_dim)
        return SLSTMState(zeros, zeros, zeros, zeros)

    def cell(self, pre: Tensor, state: SLSTMState) -> SLSTMState:
        """One stabilised sLSTM step (eqs. 8-17) from the input part ``pre`` = W x + b
        (B, 4, H): adds R h_{t-1}, head by head."""
        h = state.h.unflatten(-1, (self.num_heads, self.head_dim))
        rec = torch.einsum("bnd,gnde->bgne", h, self.R).flatten(-2)
        z_, i_, f_, o_ = (pre + rec).unbind(1)
        log_f = f_ if self.exp_forget else F.logsigmoid(f_)
        m = torch.maximum(log_f + state.m, i_)  # eq. 15
        i = torch.exp(i_ - m)  # eq. 16
        f = torch.exp(log_f + state.m - m)  # eq. 17
        c = f * state.c + i * torch.tanh(z_)
        n = f * state.n + i
        return SLSTMState(c, n, m, torch.sigmoid(o_) * c / n)

    def forward(
        self, x: Tensor, state: SLSTMState | None, sequential: bool = True
    ) -> tuple[Tensor, SLSTMState]:
        """x (B, T, H) through the loop (there is no parallel form)."""
        state = self.zero_state(x) if state is None else state
        pre = self.W(self.norm(x)).unflatten(-1, (4, -1))  # (B, T, 4, H)
        outs = []
        for t in range(x.shape[1]):
            state = self.cell(pre[:, t], state)
            outs.append(state.h)
        x = x + self.drop(self.cell_norm(torch.stack(outs, dim=1)))
        y = self.mlp_norm(x)
        return x + self.drop(self.mlp_down(F.gelu(self.mlp_gate(y)) * self.mlp_up(y))), state


XLSTMState = tuple[LayerState, ...]


class XLSTM(Backbone):
    """xLSTM backbone: ``in_proj``, ``num_layers`` mLSTM/sLSTM blocks, a final LayerNorm.

    ``slstm_at`` lists the sLSTM layers (None: every other layer from layer 1, the paper's
    xLSTM[1:1]; ``[]``: all mLSTM). ``sequential=True`` trains the mLSTM through its step loop
    instead of the parallel form (same numbers). The parallel form runs ``chunk_size``
    positions at a time (quadratic within a chunk, the state carried between chunks), so
    memory grows linearly with the sequence. The state is one ``MLSTMState`` or
    ``SLSTMState`` per layer.
    """

    name = "xlstm"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 2,
        dropout: float = 0.0,
        sequential: bool = False,
        num_heads: int = 4,
        slstm_at: list | None = None,
        slstm_forget: str = "sigmoid",
        chunk_size: int = 64,
    ):
        sizes = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers}
        super().__init__(dropout, **sizes, num_heads=num_heads, chunk_size=chunk_size)
        if hidden_size % num_heads != 0:
            raise ValueError(
                f"hidden_size ({hidden_size}) must be divisible by num_heads ({num_heads})"
            )
        if slstm_forget not in FORGET_GATES:
            raise ValueError(f"slstm_forget must be one of {FORGET_GATES}, got {slstm_forget!r}")
        if slstm_at is None:
            slstm_at = list(range(1, num_layers, 2))
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in slstm_at) or any(
            not 0 <= i < num_layers for i in slstm_at
        ):
            raise ValueError(
                f"slstm_at must list layer indices in [0, num_layers={num_layers}), "
                f"got {list(slstm_at)!r}"
            )
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.num_heads, self.sequential, self.chunk_size = num_heads, sequential, chunk_size
        self.slstm_at = tuple(sorted(set(slstm_at)))
        self.in_proj = nn.Linear(input_size, hidden_size)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            SLSTMBlock(hidden_size, num_heads, dropout, slstm_forget)
            if i in self.slstm_at
            else MLSTMBlock(hidden_size, num_heads, dropout, chunk_size)
            for i in range(num_layers)
        )
        self.ln_f = nn.LayerNorm(hidden_size)

    @classmethod
    def sizes_in(cls, shapes: Shapes) -> dict[str, int] | None:
        """input_size, hidden_size and num_layers from ``in_proj`` and the blocks (each an
        mLSTM's ``up`` or an sLSTM's ``R``), and num_heads from the first block's gates: an
        mLSTM's ``igate`` (heads, 2H) or an sLSTM's ``R`` (4, heads, d, d)."""
        projection = shapes.get("in_proj.weight", ())
        layers = {name.split(".")[1] for name in shapes if name.startswith("blocks.")}
        kinds = [f"blocks.{i}.up.weight" in shapes or f"blocks.{i}.R" in shapes for i in layers]
        if len(projection) != 2 or not projection[0] or not layers or not all(kinds):
            return None
        hidden, inputs = projection
        sizes = {"input_size": inputs, "hidden_size": hidden, "num_layers": len(layers)}
        block = shapes.get("blocks.0.igate.weight") or shapes.get("blocks.0.R") or ()
        heads = block[0] if len(block) == 2 else block[1] if len(block) == 4 else 0
        return (sizes | {"num_heads": heads}) if heads else None

    def state_size(self, positions: int = 1) -> int:
        """Per mLSTM layer heads * (d*d + d + 1) for (C, n, m), d = 2H / heads; per sLSTM
        layer 4H for (c, n, m, h); fixed whatever the position."""
        d = MLSTM_PROJ * self.hidden_size // self.num_heads
        slstm = len(self.slstm_at)
        mlstm = self.num_layers - slstm
        return mlstm * self.num_heads * (d * d + d + 1) + slstm * 4 * self.hidden_size

    def forward(self, x: Tensor, state: XLSTMState | None = None) -> tuple[Tensor, XLSTMState]:
        """Encode ``x`` (B, T, F) to (B, T, H) from ``state`` (zeros when None), handing on
        the state after the last position for the next chunk."""
        h, states = through_layers(
            self.blocks, self.drop(self.in_proj(x)), state, lambda b, h, s: b(h, s, self.sequential)
        )
        return self.ln_f(h), tuple(states)

    def step(self, x_t: Tensor, state: XLSTMState | None = None) -> tuple[Tensor, XLSTMState]:
        """One position ``x_t`` (B, F) -> (B, H) through the recurrent form of every cell."""
        h = self.drop(self.in_proj(x_t.unsqueeze(1)))
        h, states = through_layers(self.blocks, h, state, lambda b, h, s: b(h, s, True))
        return self.ln_f(h).squeeze(1), tuple(states)
