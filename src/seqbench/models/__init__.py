"""Sequence backbones mapping features (B, T, F) to hidden features (B, T, H).

All share ``forward(x, state=None) -> (y, state)`` and ``step(x_t, state=None) -> (y_t, state)``;
the task module owns the input embedding and the output head. Every module of this package
is imported here, so a backbone class with a ``name`` in a new module registers itself.
"""

import importlib
import pkgutil

from seqbench.models.base import REGISTERED, Backbone
from seqbench.models.recurrent import GRU, LSTM, RNN, detach_state
from seqbench.models.size import count_parameters, hidden_size_for_budget
from seqbench.models.transformer import KVCache, Transformer

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

BACKBONES = dict(REGISTERED)  # every backbone by name: rnn, lstm, gru, transformer, then others
MODELS = ("rnn", "lstm", "gru", "transformer")  # the lecture's four, in the order views use


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
