"""Recurrent backbones (vanilla RNN, LSTM, GRU) on PyTorch's fused cuDNN-capable modules.

Every backbone maps features ``(B, T, F)`` to hidden features ``(B, T, H)``; the task module
owns the input embedding and the output head. ``forward`` processes a whole sequence and
``step`` one time step, and both call the *same* fused module, so streaming inference gives the
same numbers as the full pass (the fused kernels are also what make the comparison fair: no
model gets a slower hand-written cell).

State layout follows PyTorch (not batch-first even though inputs are): ``h`` is
``(num_layers, B, H)``; the LSTM state is the tuple ``(h, c)``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from seqbench.models.base import Backbone, Shapes

RecurrentState = Tensor | tuple[Tensor, Tensor] | None

ACTIVATIONS = ("tanh", "relu")
RNN_INITS = ("default", "identity")


def detach_state(state: Any) -> Any:
    """Cut the autograd graph behind a carried state (truncated BPTT between chunks).

    Handles ``None``, a tensor, and (named) tuples or lists of those, recursively, so the same
    call works for RNN/GRU ``h``, LSTM ``(h, c)`` and the Transformer's KV cache. Anything
    else (e.g. an integer position counter) is returned unchanged.
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, tuple):
        items = [detach_state(s) for s in state]
        return type(state)(*items) if hasattr(state, "_fields") else tuple(items)
    if isinstance(state, list):
        return [detach_state(s) for s in state]
    return state


class _Recurrent(Backbone):
    """Shared construction, forward and step for the fused recurrent modules: a subclass
    names its module in ``fused`` and adds its own options and initialisation."""

    fused: ClassVar[type[nn.RNNBase]]
    rnn: nn.RNNBase
    input_size: int
    hidden_size: int
    num_layers: int

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        **options: Any,
    ):
        """Checks the sizes and builds the ``fused`` module with ``options`` (e.g. the RNN's
        nonlinearity)."""
        super().__init__(
            dropout, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers
        )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        # dropout only acts *between* layers: for one layer PyTorch would warn and do nothing
        between = dropout if num_layers > 1 else 0.0
        self.rnn = self.fused(
            input_size, hidden_size, num_layers=num_layers, dropout=between, batch_first=True,
            **options,
        )  # fmt: skip

    def forward(self, x: Tensor, state: RecurrentState = None) -> tuple[Tensor, RecurrentState]:
        """Run the whole sequence ``x`` (B, T, F) from ``state`` (zeros when None).

        Returns the top-layer outputs (B, T, H) and the final state, which the caller can
        detach and pass to the next chunk for truncated BPTT.
        """
        return self.rnn(x, state)

    def step(self, x_t: Tensor, state: RecurrentState = None) -> tuple[Tensor, RecurrentState]:
        """Advance one time step: ``x_t`` (B, F) -> output (B, H) and the new state.

        Calls the same fused module on a length-1 sequence, so a step-by-step stream matches
        ``forward`` exactly.
        """
        out, state = self.rnn(x_t.unsqueeze(1), state)
        return out.squeeze(1), state

    carried: ClassVar[int] = 1  # state vectors per layer: h (the LSTM: h and c)

    def state_size(self, positions: int = 1) -> int:
        """``h`` of every layer (the LSTM's ``c`` too), whatever the position."""
        return self.carried * self.num_layers * self.hidden_size

    @classmethod
    def sizes_in(cls, shapes: Shapes) -> dict[str, int] | None:
        """input_size, hidden_size and num_layers, from ``rnn.weight_{ih,hh}_l<k>``."""
        layers = sum(1 for name in shapes if re.fullmatch(r"rnn\.weight_ih_l\d+", name))
        first, recurrent = shapes.get("rnn.weight_ih_l0", ()), shapes.get("rnn.weight_hh_l0", ())
        if not layers or len(first) != 2 or len(recurrent) != 2:
            return None
        return {"input_size": first[1], "hidden_size": recurrent[1], "num_layers": layers}


class RNN(_Recurrent):
    """Vanilla (Elman) RNN: the baseline that LSTM and GRU gating is meant to beat.

    ``init="identity"`` gives the IRNN of Le et al. (2015): ReLU units, recurrent weights set to
    the identity and biases to zero, so at initialisation the hidden state is copied forward
    unchanged and gradients neither explode nor vanish through time. That only holds with ReLU
    (tanh squashes the copied state every step), so identity with tanh is rejected.
    """

    name = "rnn"
    fused = nn.RNN

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        activation: str = "tanh",
        init: str = "default",
    ):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if init not in RNN_INITS:
            raise ValueError(f"init must be one of {RNN_INITS}, got {init!r}")
        if init == "identity" and activation != "relu":
            raise ValueError(
                f"init='identity' (IRNN) requires activation='relu', got {activation!r}"
            )
        super().__init__(input_size, hidden_size, num_layers, dropout, nonlinearity=activation)
        self.activation = activation
        self.init = init
        if init == "identity":
            self._init_identity()

    @torch.no_grad()
    def _init_identity(self) -> None:
        """IRNN init for every layer: W_hh = I, and both biases zero (the paper's total bias)."""
        eye = torch.eye(self.hidden_size)
        for layer in range(self.num_layers):
            getattr(self.rnn, f"weight_hh_l{layer}").copy_(eye)
            getattr(self.rnn, f"bias_hh_l{layer}").zero_()
            getattr(self.rnn, f"bias_ih_l{layer}").zero_()


class LSTM(_Recurrent):
    """LSTM (Hochreiter & Schmidhuber 1997) with a positive forget-gate bias at init.

    With ``forget_bias=1.0`` (Gers et al. 2000; Jozefowicz et al. 2015) the forget gate starts
    near sigmoid(1) ~ 0.73 instead of 0.5, so the cell state ``c_t`` is mostly kept and
    gradients through it survive over long spans from the first update. The *total* forget
    bias (``b_ih + b_hh``, second quarter in PyTorch's i, f, g, o gate order) is set to
    ``forget_bias``; ``forget_bias=None`` keeps PyTorch's default uniform init.
    """

    name = "lstm"
    fused = nn.LSTM
    carried = 2

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        forget_bias: float | None = 1.0,
    ):
        super().__init__(input_size, hidden_size, num_layers, dropout)
        self.forget_bias = forget_bias
        if forget_bias is not None:
            self._init_forget_bias(float(forget_bias))

    @torch.no_grad()
    def _init_forget_bias(self, value: float) -> None:
        """Put the whole forget bias in ``b_ih`` and zero the ``b_hh`` slice, for every layer."""
        forget = slice(self.hidden_size, 2 * self.hidden_size)
        for layer in range(self.num_layers):
            getattr(self.rnn, f"bias_ih_l{layer}")[forget].fill_(value)
            getattr(self.rnn, f"bias_hh_l{layer}")[forget].zero_()


class GRU(_Recurrent):
    """GRU (Cho et al. 2014): gated like the LSTM but with one state and three gates."""

    name = "gru"
    fused = nn.GRU
