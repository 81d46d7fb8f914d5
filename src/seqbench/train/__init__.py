"""Training one run: the seqbench-train entry, its prechecks, the build, the sweep job's side."""

from seqbench.train.run import main, train

__all__ = ["main", "train"]
