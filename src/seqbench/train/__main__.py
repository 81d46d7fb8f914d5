"""`python -m seqbench.train` (what torchrun starts): the same as `seqbench-train`."""

from seqbench.train.main import main

main()
