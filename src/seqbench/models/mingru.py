"""minGRU (Feng et al. 2024, "Were RNNs All We Needed?"), and the block and stack it shares
with minLSTM (``minlstm.py``).

The minimal GRU drops the previous state from the gate and from the candidate, and the tanh
from the candidate:

    z_t = sigmoid(Linear_z(x_t)),   h~_t = g(Linear_h(x_t)),
    h_t = (1 - z_t) * h_{t-1} + z_t * h~_t,

a diagonal linear recurrence h_t = a_t * h_{t-1} + b_t whose a_t and b_t depend on x_t alone,
so training computes every h_t at once with a parallel scan instead of a loop. The paper
trains in log space (Heinsen's scan, :func:`seqbench.models.scan.log_space_scan`), which needs
a_t in (0, 1) and b_t > 0: hence g(x) = x + 0.5 for x >= 0 and sigmoid(x) for x < 0, a
continuous, positive stand-in for the identity. ``step`` and ``sequential=True`` run the
same recurrence one position at a time in linear space.

Each layer is a pre-norm residual block, x + cell(LN(x)), followed, as in the paper's
language models (built on nanoGPT), by a pre-norm residual MLP, x + MLP(LN(x)); a final
LayerNorm closes the stack. With ``expansion`` > 1 the cell's state is ``expansion`` times
wider than the residual stream (the paper's expansion factor) and a linear map brings it back.

The streaming state is h of every layer, (num_layers, B, expansion * hidden_size). It stays
positive: h~ > 0 and h_t is a convex combination of h_{t-1} and h~_t, so from a zero start
every later h is positive and a carried h can enter the next chunk's scan as log h.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqbench.models.base import Backbone, Shapes, through_layers
from seqbench.models.scan import log_space_scan, loop_scan
from seqbench.models.transformer import MLP


def wide(x: Tensor) -> Tensor:
    """``x`` in float32 at least: the scan sums log-gates over the whole sequence (hundreds in
    magnitude by T = 1000), which half precision's 8-bit mantissa would ruin, so a bf16
    (autocast) model still runs its recurrence, and carries its state, in float32."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def g(x: Tensor) -> Tensor:
    """The paper's positive candidate activation: x + 0.5 for x >= 0, sigmoid(x) below."""
    return torch.where(x >= 0, x.clamp(min=0) + 0.5, torch.sigmoid(x))


def log_g(x: Tensor) -> Tensor:
    """log g(x) without forming g: log(x + 0.5) above 0, log sigmoid(x) = -softplus(-x)
    below (the clamp keeps the unused branch finite, so its gradient is not NaN)."""
    return torch.where(x >= 0, torch.log(x.clamp(min=0) + 0.5), -F.softplus(-x))


class MinGRUCell(nn.Module):
    """The minGRU's coefficients of h_t = a_t * h_{t-1} + b_t: a = 1 - z, b = z * h~."""

    gates: ClassVar[tuple[str, ...]] = ("to_z", "to_h")  # its Linear layers, for sizes_in

    def __init__(self, in_size: int, state_size: int):
        super().__init__()
        self.to_z = nn.Linear(in_size, state_size)
        self.to_h = nn.Linear(in_size, state_size)

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """a_t = 1 - z_t (as sigmoid(-k), exact where z is near 1) and b_t = z_t * g(h)."""
        k = wide(self.to_z(x))
        return torch.sigmoid(-k), torch.sigmoid(k) * g(wide(self.to_h(x)))

    def log_coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """log a_t = log(1 - z_t) = -softplus(k) and log b_t = log z_t + log g(h), with
        log z_t = -softplus(-k): no sigmoid is formed, so nothing rounds to 0 or 1."""
        k = wide(self.to_z(x))
        return -F.softplus(k), -F.softplus(-k) + log_g(wide(self.to_h(x)))


class MinBlock(nn.Module):
    """One layer: x + down(cell(LN(x))), then x + MLP(LN(x)); ``cell`` gives the coefficients
    of the recurrence, the block runs it (scan, loop or one step)."""

    def __init__(
        self, cell: nn.Module, hidden_size: int, expansion: int, ffn_mult: int, dropout: float
    ):
        super().__init__()
        self.ln_1 = nn.LayerNorm(hidden_size)
        self.cell = cell
        # the expanded state comes back to the residual width; without expansion, no map
        self.down = nn.Linear(expansion * hidden_size, hidden_size) if expansion > 1 else None
        self.drop = nn.Dropout(dropout)
        self.ln_2 = nn.LayerNorm(hidden_size)
        self.mlp = MLP(hidden_size, ffn_mult, dropout)

    def _out(self, x: Tensor, h: Tensor) -> Tensor:
        """The residual stream after the cell's states ``h`` (back in the stream's dtype)
        and the MLP."""
        h = h.to(x.dtype)
        x = x + self.drop(h if self.down is None else self.down(h))
        return x + self.mlp(self.ln_2(x))

    def forward(self, x: Tensor, h0: Tensor | None, sequential: bool) -> tuple[Tensor, Tensor]:
        """Every position of ``x`` (B, T, H) from the start state ``h0`` (B, D) or zeros (None);
        returns the block's output and the last state."""
        u = self.ln_1(x)
        if sequential:
            h = loop_scan(*self.cell.coefficients(u), h0)
        else:
            # a carried h is positive (see the module docstring); the clamp only keeps a
            # zero state, handed in by a caller, out of log(0)
            log_h0 = None if h0 is None else h0.clamp(min=torch.finfo(h0.dtype).tiny).log()
            h = log_space_scan(*self.cell.log_coefficients(u), log_h0)
        return self._out(x, h), h[:, -1]

    def step(self, x_t: Tensor, h: Tensor | None) -> tuple[Tensor, Tensor]:
        """One position ``x_t`` (B, H): h_t = a_t * h_{t-1} + b_t, then the block's output."""
        a, b = self.cell.coefficients(self.ln_1(x_t))
        h = b if h is None else a * h + b
        return self._out(x_t, h), h


class MinRNN(Backbone):
    """The stack shared by minGRU and minLSTM: in_proj, ``num_layers`` :class:`MinBlock`
    around the subclass's ``cell_type``, a final LayerNorm.

    ``forward`` runs the log-space parallel scan (``sequential=True``: the loop); ``step``
    the recurrence. The state is h of every layer, (num_layers, B, expansion * hidden_size).
    """

    cell_type: ClassVar[type[nn.Module]]  # MinGRUCell or MinLSTMCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 2,
        dropout: float = 0.0,
        sequential: bool = False,
        expansion: int = 1,
        ffn_mult: int = 4,
    ):
        """``expansion``: state width over hidden_size (the paper's expansion factor);
        ``ffn_mult``: the MLP's width over hidden_size, as in the Transformer block."""
        sizes = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers}
        sizes |= {"expansion": expansion, "ffn_mult": ffn_mult}
        super().__init__(dropout, **sizes)
        if not isinstance(sequential, bool):
            raise ValueError(f"sequential must be true or false, got {sequential!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.sequential = sequential
        self.expansion = expansion
        self.ffn_mult = ffn_mult
        self.in_proj = nn.Linear(input_size, hidden_size)
        width = expansion * hidden_size
        self.blocks = nn.ModuleList(
            MinBlock(self.cell_type(hidden_size, width), hidden_size, expansion, ffn_mult, dropout)
            for _ in range(num_layers)
        )
        self.ln_f = nn.LayerNorm(hidden_size)

    def state_size(self, positions: int = 1) -> int:
        """h of every layer, ``expansion * hidden_size`` floats each, whatever the position."""
        return self.num_layers * self.expansion * self.hidden_size

    @classmethod
    def sizes_in(cls, shapes: Shapes) -> dict[str, int] | None:
        """input_size, hidden_size, num_layers, expansion and ffn_mult from ``in_proj``, the
        first block's cell and MLP; None where a gate of this cell is missing."""
        projection, fc = shapes.get("in_proj.weight", ()), shapes.get("blocks.0.mlp.fc.weight", ())
        gates = [shapes.get(f"blocks.0.cell.{gate}.weight", ()) for gate in cls.cell_type.gates]
        if len(projection) != 2 or len(fc) != 2 or not projection[0]:
            return None
        if any(len(shape) != 2 for shape in gates):
            return None
        hidden, inputs = projection
        layers = len({name.split(".")[1] for name in shapes if name.startswith("blocks.")})
        sizes = {"input_size": inputs, "hidden_size": hidden, "num_layers": layers}
        return sizes | {"expansion": gates[0][0] // hidden, "ffn_mult": fc[0] // hidden}

    def forward(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``x`` (B, T, F) -> (B, T, H) and the last h of every layer, from ``state`` (zeros
        when None): the parallel scan, or the loop with ``sequential``."""
        h, last = through_layers(
            self.blocks, self.in_proj(x), state, lambda b, h, s: b(h, s, self.sequential)
        )
        return self.ln_f(h), torch.stack(last)

    def step(self, x_t: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One position ``x_t`` (B, F) -> (B, H) and the new h of every layer."""
        h, new = through_layers(self.blocks, self.in_proj(x_t), state, lambda b, h, s: b.step(h, s))
        return self.ln_f(h), torch.stack(new)


class MinGRU(MinRNN):
    """minGRU: one gate z_t and a positive candidate h~_t, both from x_t alone."""

    name = "mingru"
    cell_type = MinGRUCell
