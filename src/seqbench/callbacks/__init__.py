"""Lightning callbacks seqbench adds to every run."""
