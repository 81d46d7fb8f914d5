"""seqbench's Hydra launcher plugin (Hydra loads plugins from the hydra_plugins package)."""
