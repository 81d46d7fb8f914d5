"""seqbench.safety."""
