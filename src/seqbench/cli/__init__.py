"""seqbench.cli.main."""
