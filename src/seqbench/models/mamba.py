"""Mamba (Gu & Dao 2023, arXiv 2312.00752): the selective state space model (S6) in plain
PyTorch, written from the paper's equations (no mamba_ssm, causal_conv1d or Triton kernels).

One Mamba block (the paper's Figure 3) maps u (B, T, H) to (B, T, H):

    x, z     = in_proj(u)                      two branches of d_inner = expand * H
    x        = SiLU(causal depthwise Conv1d(x))   kernel d_conv over time, per channel
    Delta    = softplus(dt_proj(x W_dt) + dt_bias)   (B, T, d_inner)       Algorithm 2, s_Delta
    B_t, C_t = x W_B, x W_C                    (B, T, d_state): the selection, Algorithm 2
    A        = -exp(A_log)                     (d_inner, d_state), S4D-real init A_log = log n
    A_bar    = exp(Delta A)                    ZOH, eq. (4)
    B_bar x  = Delta B_t x_t                   the simplified ZOH of the paper's code (below)
    h_t      = A_bar_t h_{t-1} + B_bar_t x_t   eq. (2a), one diagonal recurrence per channel
    y_t      = C_t h_t + D x_t                 eq. (2b) with the D skip
    out      = out_proj(y * SiLU(z))

Simplification, as in the authors' code: ZOH gives B_bar = (Delta A)^-1 (exp(Delta A) - I)
Delta B (eq. 4); it is replaced by Delta B (Euler for B, exact for A), which is what the
reference selective scan computes too; for small Delta A they agree to first order.

Training form: the recurrence h_t = A_bar_t h_{t-1} + B_bar_t x_t is elementwise in
(d_inner, d_state), so :func:`seqbench.models.scan.linear_scan` computes it over the whole
(B, T, d_inner, d_state) tensor at once. ``sequential=True`` runs the same a and b through
:func:`seqbench.models.scan.loop_scan` instead, and ``step`` is the streaming recurrence, whose
state is the SSM's h and the convolution's window (the last d_conv - 1 inputs of the x branch).
The whole-sequence scan, not a chunked one: at this project's lengths (T <= ~128, hidden ~64-128)
its memory (each doubling round's a and b kept for backward, about 2 log2(T) tensors of
(B, T, d_inner, d_state)) fits; on one CPU thread it is slower than the loop in the forward
pass (memory-bound: log2(T) sweeps over a tensor larger than the cache; alxndrTL/mamba.py #57).

Blocks are pre-norm with RMSNorm and a residual around each, then a final RMSNorm, as in the
paper's language models. Linear and Conv1d weights keep PyTorch's default init, as the other
backbones here do; dt_proj's weight is uniform in +-dt_rank^-1/2 as in the paper's code.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqbench.models.base import Backbone, Shapes
from seqbench.models.norm import RMSNorm
from seqbench.models.scan import linear_scan, loop_scan

MIXER_VECTORS = 8  # (B, T, d_inner) tensors a mixer keeps for backward, at least (~15 measured)


class MambaState(NamedTuple):
    """What Mamba carries between chunks and steps, every layer stacked on dimension 0.

    ``conv``: (num_layers, B, d_inner, d_conv - 1), the last inputs of the x branch the causal
    convolution still needs; ``ssm``: (num_layers, B, d_inner, d_state), the state h.
    """

    conv: Tensor
    ssm: Tensor


def sample_dt_bias(d_inner: int, dt_min: float, dt_max: float) -> Tensor:
    """The paper's Delta init: dt log-uniform in [dt_min, dt_max] per channel, stored as its
    inverse softplus, so softplus(bias) = dt when dt_proj's input is zero."""
    log_dt = torch.rand(d_inner) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
    dt = torch.exp(log_dt)
    return dt + torch.log(-torch.expm1(-dt))  # softplus^-1(dt) = log(exp(dt) - 1)


class SelectiveSSM(nn.Module):
    """The Mamba mixer: gated branch, causal conv, input-dependent (selective) SSM."""

    def __init__(
        self,
        hidden_size: int,
        d_inner: int,
        d_state: int,
        d_conv: int,
        dt_min: float,
        dt_max: float,
    ):
        super().__init__()
        self.d_inner, self.d_state, self.d_conv = d_inner, d_state, d_conv
        self.dt_rank = math.ceil(hidden_size / 16)
        self.in_proj = nn.Linear(hidden_size, 2 * d_inner, bias=False)
        # depthwise: one length-d_conv filter per channel; causal through the carried window
        self.conv1d = nn.Conv1d(d_inner, d_inner, d_conv, groups=d_inner, bias=True)
        self.x_proj = nn.Linear(d_inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, d_inner, bias=False)
        nn.init.uniform_(self.dt_proj.weight, -(self.dt_rank**-0.5), self.dt_rank**-0.5)
        self.dt_bias = nn.Parameter(sample_dt_bias(d_inner, dt_min, dt_max))
        # S4D-real: A_n = -(n + 1) for every channel, learnt through its log (stays negative)
        a = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(d_inner, 1)
        self.A_log = nn.Parameter(torch.log(a))
        self.D = nn.Parameter(torch.ones(d_inner))
        self.out_proj = nn.Linear(d_inner, hidden_size, bias=False)

    def _select(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """From the conv branch x (..., d_inner): Delta (..., d_inner), B and C
        (..., d_state) (Algorithm 2's s_B, s_C, s_Delta), and A = -exp(A_log)."""
        dt, b, c = self.x_proj(x).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt) + self.dt_bias)
        return delta, b, c, -torch.exp(self.A_log)

    def forward(
        self, u: Tensor, conv: Tensor, h0: Tensor, sequential: bool = False
    ) -> tuple[Tensor, Tensor, Tensor]:
        """u (B, T, H) from the carried window ``conv`` and state ``h0`` -> output (B, T, H),
        the new window and the last h."""
        x, z = self.in_proj(u).chunk(2, dim=-1)
        # causal conv: the window stands in for the d_conv - 1 inputs before this chunk
        padded = torch.cat([conv, x.transpose(1, 2)], dim=-1)  # (B, d_inner, d_conv-1+T)
        window = padded[..., padded.shape[-1] - (self.d_conv - 1) :]
        x = F.silu(self.conv1d(padded).transpose(1, 2))  # (B, T, d_inner)
        delta, b, c, A = self._select(x)
        a_bar = torch.exp(delta.unsqueeze(-1) * A)  # (B, T, d_inner, d_state)
        bx = (delta * x).unsqueeze(-1) * b.unsqueeze(2)  # Delta_t B_t x_t
        h = (loop_scan if sequential else linear_scan)(a_bar, bx, h0)
        y = (h @ c.unsqueeze(-1)).squeeze(-1) + self.D * x  # C_t h_t + D x_t
        return self.out_proj(y * F.silu(z)), window, h[:, -1]

    def step(self, u_t: Tensor, conv: Tensor, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """One position u_t (B, H): shift x_t into the window, convolve it, advance h once."""
        x_t, z_t = self.in_proj(u_t).chunk(2, dim=-1)
        full = torch.cat([conv, x_t.unsqueeze(-1)], dim=-1)  # (B, d_inner, d_conv)
        x_t = F.silu((full * self.conv1d.weight.squeeze(1)).sum(-1) + self.conv1d.bias)
        delta, b, c, A = self._select(x_t)
        h = torch.exp(delta.unsqueeze(-1) * A) * h + (delta * x_t).unsqueeze(-1) * b.unsqueeze(1)
        y = (h @ c.unsqueeze(-1)).squeeze(-1) + self.D * x_t
        return self.out_proj(y * F.silu(z_t)), full[..., 1:], h


class MambaBlock(nn.Module):
    """Pre-norm residual block: u + dropout(mixer(RMSNorm(u)))."""

    def __init__(self, hidden_size: int, dropout: float, **mixer: int | float):
        super().__init__()
        self.norm = RMSNorm(hidden_size, eps=1e-5)
        self.mixer = SelectiveSSM(hidden_size, **mixer)
        self.drop = nn.Dropout(dropout)

    def forward(
        self, u: Tensor, conv: Tensor, h: Tensor, sequential: bool
    ) -> tuple[Tensor, Tensor, Tensor]:
        y, conv, h = self.mixer(self.norm(u), conv, h, sequential)
        return u + self.drop(y), conv, h

    def step(self, u_t: Tensor, conv: Tensor, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        y, conv, h = self.mixer.step(self.norm(u_t), conv, h)
        return u_t + self.drop(y), conv, h


class Mamba(Backbone):
    """Mamba backbone: in_proj, ``num_layers`` Mamba blocks, final RMSNorm; a fixed-size state
    (:class:`MambaState`) carried exactly across chunks and steps."""

    name = "mamba"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 2,
        dropout: float = 0.0,
        sequential: bool = False,
        d_state: int = 16,
        d_conv: int = 4,
        expand: int = 2,
        dt_min: float = 0.001,
        dt_max: float = 0.1,
    ):
        for option, value in (("d_state", d_state), ("d_conv", d_conv), ("expand", expand)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{option} must be a whole number >= 1, got {value!r}")
        sizes = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers}
        sizes |= {"d_state": d_state, "d_conv": d_conv, "expand": expand}
        super().__init__(dropout, **sizes)
        if not isinstance(sequential, bool):
            raise ValueError(f"sequential must be true or false, got {sequential!r}")
        if not (isinstance(dt_min, int | float) and isinstance(dt_max, int | float)) or not (
            0.0 < dt_min <= dt_max < math.inf
        ):
            raise ValueError(
                f"dt_min and dt_max must satisfy 0 < dt_min <= dt_max (finite), "
                f"got dt_min={dt_min!r}, dt_max={dt_max!r}"
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.sequential = sequential
        self.d_state, self.d_conv, self.expand = d_state, d_conv, expand
        self.d_inner = expand * hidden_size
        self.in_proj = nn.Linear(input_size, hidden_size)
        mixer = {"d_inner": self.d_inner, "d_state": d_state, "d_conv": d_conv}
        mixer |= {"dt_min": float(dt_min), "dt_max": float(dt_max)}
        self.blocks = nn.ModuleList(
            MambaBlock(hidden_size, dropout, **mixer) for _ in range(num_layers)
        )
        self.norm_f = RMSNorm(hidden_size, eps=1e-5)

    def state_size(self, positions: int = 1) -> int:
        """Per layer the SSM state (d_inner x d_state) and the conv window (d_inner x
        (d_conv - 1)), whatever the position."""
        return self.num_layers * self.d_inner * (self.d_state + self.d_conv - 1)

    def kept_for_backward(self, steps: int) -> int:
        """Per layer and position, tensors of (d_inner, d_state) dominate: the loop keeps
        a_bar, every h_{t-1} and the stacked h (3 of them), the doubling scan a_bar, the a
        and b of each of its ceil(log2 steps) rounds and h (2 rounds + 1; both counted with
        saved-tensor hooks, tests/unit/test_memory_estimate.py). Plus at least
        ``MIXER_VECTORS`` of d_inner floats (the branches, the conv, Delta, the gates)."""
        rounds = (steps - 1).bit_length()  # ceil(log2 steps)
        wide = 3 if self.sequential else max(3, 2 * rounds + 1)
        return self.num_layers * self.d_inner * (wide * self.d_state + MIXER_VECTORS)

    @classmethod
    def sizes_in(cls, shapes: Shapes) -> dict[str, int] | None:
        """input_size, hidden_size, num_layers, d_state, d_conv and expand, from ``in_proj``
        and the first block's mixer (in_proj, A_log and conv1d)."""
        projection = shapes.get("in_proj.weight", ())
        mixer = shapes.get("blocks.0.mixer.in_proj.weight", ())
        a_log = shapes.get("blocks.0.mixer.A_log", ())
        conv = shapes.get("blocks.0.mixer.conv1d.weight", ())
        if len(projection) != 2 or len(mixer) != 2 or len(a_log) != 2 or len(conv) != 3:
            return None
        hidden, inputs = projection
        if not hidden or mixer[0] % (2 * hidden):
            return None
        layers = {m[1] for name in shapes if (m := re.match(r"blocks\.(\d+)\.", name))}
        sizes = {"input_size": inputs, "hidden_size": hidden, "num_layers": len(layers)}
        return sizes | {"d_state": a_log[1], "d_conv": conv[2], "expand": mixer[0] // (2 * hidden)}

    def initial_state(self, batch: int, like: Tensor) -> MambaState:
        """Zeros: an empty window (as if the sequence were preceded by zeros) and h = 0."""
        zeros = like.new_zeros
        return MambaState(
            zeros(self.num_layers, batch, self.d_inner, self.d_conv - 1),
            zeros(self.num_layers, batch, self.d_inner, self.d_state),
        )

    def forward(self, x: Tensor, state: MambaState | None = None) -> tuple[Tensor, MambaState]:
        """x (B, T, F) from ``state`` (zeros when None) -> (B, T, H) and the state after the
        last position, to hand to the next chunk (truncated BPTT detaches it)."""
        state = self.initial_state(x.shape[0], x) if state is None else MambaState(*state)
        u, convs, hs = self.in_proj(x), [], []
        for i, block in enumerate(self.blocks):
            u, conv, h = block(u, state.conv[i], state.ssm[i], self.sequential)
            convs.append(conv)
            hs.append(h)
        return self.norm_f(u), MambaState(torch.stack(convs), torch.stack(hs))

    def step(self, x_t: Tensor, state: MambaState | None = None) -> tuple[Tensor, MambaState]:
        """One position x_t (B, F) -> (B, H) and the advanced state (the recurrent form)."""
        state = self.initial_state(x_t.shape[0], x_t) if state is None else MambaState(*state)
        u, convs, hs = self.in_proj(x_t), [], []
        for i, block in enumerate(self.blocks):
            u, conv, h = block.step(u, state.conv[i], state.ssm[i])
            convs.append(conv)
            hs.append(h)
        return self.norm_f(u), MambaState(torch.stack(convs), torch.stack(hs))
