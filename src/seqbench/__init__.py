"""seqbench: a fair, reproducible comparison of RNN, LSTM, GRU and Transformer sequence models."""

# the configs' own resolvers (${lower:...}, ${output_dir_or:...}), for every reader of a
# saved run config, not only the training entry point
from seqbench.config import resolvers as _resolvers  # noqa: F401

__version__ = "0.1.0"
