"""Sequence backbones mapping features (B, T, F) to hidden features (B, T, H).

All share ``forward(x, state=None) -> (y, state)`` and ``step(x_t, state=None) -> (y_t, state)``;
the task module owns the input embedding and the output head.
"""

from seqbench.models.base import Backbone
from seqbench.models.recurrent import GRU, LSTM, RNN, detach_state
from seqbench.models.size import count_parameters, hidden_size_for_budget
from seqbench.models.transformer import KVCache, Transformer

BACKBONES = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "transformer": Transformer}
MODELS = tuple(BACKBONES)  # the compared models, in the paper order every view uses


def model_rank(model: str) -> tuple[int, str]:
    """The paper order (rnn, lstm, gru, transformer), then any other model by name."""
    return (MODELS.index(model) if model in MODELS else len(MODELS), model)


__all__ = [
    "BACKBONES",
    "GRU",
    "LSTM",
    "MODELS",
    "RNN",
    "Backbone",
    "KVCache",
    "Transformer",
    "count_parameters",
    "detach_state",
    "hidden_size_for_budget",
    "model_rank",
]
