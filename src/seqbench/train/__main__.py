"""`python -m seqbench.train` (what torchrun starts): the same as `seqbench-train`."""

from seqbench.train.run import main

main()
