"""seqbench.launch."""
