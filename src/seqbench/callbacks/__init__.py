"""Lightning callbacks seqbench adds to every run: the run recorder (curves.csv, throughput),
the gradient-flow monitor and a calmer progress bar."""
