"""seqbench: a fair, reproducible comparison of RNN, LSTM, GRU and Transformer sequence models."""

__version__ = "0.1.0"
