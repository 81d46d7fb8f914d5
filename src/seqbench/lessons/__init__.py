"""The lessons, one folder each (gradient_flow, long_memory, activations, exposure_bias,
streaming, cost): what it measures, the sentences read from the numbers, its figure and its
report section, with a README. :mod:`seqbench.lessons.registry` lists them for the report,
the CLI and the tests. Nothing is imported here, so a training run that loads the
gradient-flow probe loads nothing else of the lessons."""
