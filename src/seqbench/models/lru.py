"""The Linear Recurrent Unit (LRU) of Orvieto et al. 2023, "Resurrecting Recurrent Neural
Networks for Long Sequences" (arXiv 2303.06349).

A deep RNN whose recurrence is linear and diagonal, so the whole sequence is one parallel
scan (:func:`seqbench.models.scan.linear_scan`) while streaming stays a fixed-size state:

    x_k = Lambda * x_{k-1} + gamma * (B u_k)        (complex, diagonal Lambda)
    y_k = Re(C x_k) + D * u_k

with the paper's three ingredients:

- exponential parametrisation: Lambda = exp(-exp(nu_log) + i exp(theta_log)), so |Lambda| < 1
  for every parameter value (stable) and the radius moves finely near 1;
- ring initialisation (the paper's Lemma 3.2): Lambda uniform on the ring of the complex
  plane between radii ``r_min`` and ``r_max`` (|Lambda|^2 uniform on [r_min^2, r_max^2]),
  phase uniform on [0, ``max_phase``];
- normalisation: gamma = sqrt(1 - |Lambda|^2) per state, kept as a trainable ``gamma_log``,
  so a state with |Lambda| near 1 does not blow up the forward pass.

Block (the paper's Figure 1): pre-norm (LayerNorm; the paper also allows BatchNorm, which
streaming cannot use), LRU, GELU, then a GLU (W1 z * sigmoid(W2 z)), dropout, residual; a
final LayerNorm after the last block.
"""

from __future__ import annotations

import math
import re

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqbench.models.base import Backbone, Shapes, through_layers
from seqbench.models.scan import linear_scan, loop_scan


class LRULayer(nn.Module):
    """One LRU: H real inputs -> N complex states -> H real outputs.

    Complex weights are stored as real and imaginary parts (real parameters), so ``.double()``,
    optimisers, gradient clipping and checkpoints treat them like any other weight.
    """

    def __init__(self, hidden_size: int, state_dim: int, r_min: float, r_max: float,
                 max_phase: float) -> None:  # fmt: skip
        super().__init__()
        H, N = hidden_size, state_dim
        self.nu_log = nn.Parameter(torch.empty(N))
        self.theta_log = nn.Parameter(torch.empty(N))
        self.gamma_log = nn.Parameter(torch.empty(N))
        self.B_re = nn.Parameter(torch.empty(N, H))
        self.B_im = nn.Parameter(torch.empty(N, H))
        self.C_re = nn.Parameter(torch.empty(H, N))
        self.C_im = nn.Parameter(torch.empty(H, N))
        self.D = nn.Parameter(torch.empty(H))
        self.reset_parameters(r_min, r_max, max_phase)

    @torch.no_grad()
    def reset_parameters(self, r_min: float, r_max: float, max_phase: float) -> None:
        """The paper's initialisation (Lemma 3.2 and its Appendix A).

        |Lambda|^2 = u1 (r_max^2 - r_min^2) + r_min^2 makes Lambda uniform on the ring's area;
        nu_log = log(-log|Lambda|) and theta_log = log(max_phase u2). gamma_log =
        log sqrt(1 - |Lambda|^2), written with expm1 so |Lambda| near 1 keeps its precision.
        B has Glorot-like variance 1/H per complex entry (1/(2H) per part: the input is
        real), C variance 2/N per complex entry (1/N per part: only Re(C x) is read), D is
        standard normal.
        """
        N, H = self.B_re.shape
        u1, u2 = torch.rand(N), torch.rand(N)
        modulus_sq = u1 * (r_max**2 - r_min**2) + r_min**2
        nu = -0.5 * torch.log(modulus_sq)  # -log|Lambda|
        self.nu_log.copy_(torch.log(nu))
        self.theta_log.copy_(torch.log(max_phase * u2))
        self.gamma_log.copy_(0.5 * torch.log(-torch.expm1(-2.0 * nu)))
        for weight in (self.B_re, self.B_im):
            weight.normal_(0.0, 1.0 / math.sqrt(2 * H))
        for weight in (self.C_re, self.C_im):
            weight.normal_(0.0, 1.0 / math.sqrt(N))
        self.D.normal_()

    def diagonal(self) -> Tensor:
        """Lambda = exp(-exp(nu_log) + i exp(theta_log)), (N,) complex."""
        return torch.exp(torch.complex(-torch.exp(self.nu_log), torch.exp(self.theta_log)))

    def inputs(self, u: Tensor) -> Tensor:
        """gamma * (B u): what each step adds to the state, (..., N) complex."""
        B = torch.complex(self.B_re, self.B_im) * torch.exp(self.gamma_log).unsqueeze(1)
        return F.linear(u.to(B.dtype), B)

    def outputs(self, x: Tensor, u: Tensor) -> Tensor:
        """y = Re(C x) + D * u, (..., H) real: Re(C x) = C_re Re(x) - C_im Im(x)."""
        return F.linear(x.real, self.C_re) - F.linear(x.imag, self.C_im) + self.D * u

    def forward(self, u: Tensor, x0: Tensor | None, sequential: bool) -> tuple[Tensor, Tensor]:
        """``u`` (B, T, H) from state ``x0`` (B, N) -> (B, T, H) and the last state."""
        bu = self.inputs(u)
        a = self.diagonal().expand_as(bu)
        x = (loop_scan if sequential else linear_scan)(a, bu, x0)
        return self.outputs(x, u), x[:, -1]

    def step(self, u_t: Tensor, x: Tensor | None) -> tuple[Tensor, Tensor]:
        """One step of the recurrence: ``u_t`` (B, H), state (B, N)."""
        x_new = self.inputs(u_t) if x is None else self.diagonal() * x + self.inputs(u_t)
        return self.outputs(x_new, u_t), x_new


class LRUBlock(nn.Module):
    """Pre-norm residual block: x + dropout(GLU(dropout(GELU(LRU(LayerNorm(x))))))."""

    def __init__(self, hidden_size: int, state_dim: int, dropout: float, r_min: float,
                 r_max: float, max_phase: float) -> None:  # fmt: skip
        super().__init__()
        self.norm = nn.LayerNorm(hidden_size)
        self.lru = LRULayer(hidden_size, state_dim, r_min, r_max, max_phase)
        self.glu = nn.Linear(hidden_size, 2 * hidden_size)  # W1 and W2 of the GLU, stacked
        self.drop = nn.Dropout(dropout)

    def mix(self, y: Tensor) -> Tensor:
        """The position-wise part after the recurrence: GELU, then GLU (W1 z * sigmoid(W2 z))."""
        return self.drop(F.glu(self.glu(self.drop(F.gelu(y))), dim=-1))

    def forward(self, h: Tensor, x0: Tensor | None, sequential: bool) -> tuple[Tensor, Tensor]:
        y, x_last = self.lru(self.norm(h), x0, sequential)
        return h + self.mix(y), x_last

    def step(self, h_t: Tensor, x: Tensor | None) -> tuple[Tensor, Tensor]:
        y, x = self.lru.step(self.norm(h_t), x)
        return h_t + self.mix(y), x


class LRU(Backbone):
    """Stacked LRU blocks (Orvieto et al. 2023) behind ``in_proj``, with a final LayerNorm.

    The state is complex, (num_layers, B, state_dim): one LRU state per layer, the only thing
    that links positions (everything else in a block is position-wise). ``forward`` runs
    every layer's recurrence as a parallel scan (``sequential=True``: the loop, same
    numbers) from the carried state, so chunked truncated BPTT equals one pass.
    """

    name = "lru"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 2,
        dropout: float = 0.0,
        sequential: bool = False,
        state_dim: int | None = None,
        r_min: float = 0.9,
        r_max: float = 0.999,
        max_phase: float = 2 * math.pi,
    ):
        """``state_dim``: complex states per layer (N), None for hidden_size; ``r_min``,
        ``r_max``: the ring |Lambda| is initialised on; ``max_phase``: the largest initial
        phase of Lambda (2 pi; the paper narrows it to pi/10 for its longest task)."""
        state_dim = hidden_size if state_dim is None else state_dim
        super().__init__(
            dropout, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
            state_dim=state_dim,
        )  # fmt: skip
        if not (0.0 <= r_min <= r_max <= 1.0 and r_min < 1.0 and r_max > 0.0):
            raise ValueError(
                f"r_min and r_max must satisfy 0 <= r_min <= r_max <= 1 with r_min < 1 and "
                f"r_max > 0 (the ring |Lambda| starts on), got r_min={r_min}, r_max={r_max}"
            )
        if not 0.0 < max_phase <= 2 * math.pi:
            raise ValueError(f"max_phase must be in (0, 2 pi], got {max_phase}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.state_dim = state_dim
        self.sequential = sequential
        self.in_proj = nn.Linear(input_size, hidden_size)
        self.blocks = nn.ModuleList(
            LRUBlock(hidden_size, state_dim, dropout, r_min, r_max, max_phase)
            for _ in range(num_layers)
        )
        self.norm_f = nn.LayerNorm(hidden_size)

    def state_size(self, positions: int = 1) -> int:
        """One complex state of ``state_dim`` per layer: two floats each, at any position."""
        return 2 * self.num_layers * self.state_dim

    @classmethod
    def sizes_in(cls, shapes: Shapes) -> dict[str, int] | None:
        """input_size, hidden_size and num_layers from ``in_proj`` and the blocks; state_dim
        from ``B_re`` where it differs from hidden_size (the default, None, means equal)."""
        projection, b = shapes.get("in_proj.weight", ()), shapes.get("blocks.0.lru.B_re", ())
        layers = {m[1] for name in shapes if (m := re.match(r"blocks\.(\d+)\.", name))}
        if len(projection) != 2 or len(b) != 2 or b[1] != projection[0]:
            return None
        hidden, inputs = projection
        sizes = {"input_size": inputs, "hidden_size": hidden, "num_layers": len(layers)}
        return sizes if b[0] == hidden else sizes | {"state_dim": b[0]}

    def forward(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``x`` (B, T, F) -> (B, T, H) and the state (num_layers, B, state_dim) complex,
        from ``state`` (zeros when None)."""
        h, last = through_layers(
            self.blocks, self.in_proj(x), state, lambda b, h, s: b(h, s, self.sequential)
        )
        return self.norm_f(h), torch.stack(last)

    def step(self, x_t: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One position: ``x_t`` (B, F) -> (B, H) and the new state."""
        h, new = through_layers(self.blocks, self.in_proj(x_t), state, lambda b, h, s: b.step(h, s))
        return self.norm_f(h), torch.stack(new)
