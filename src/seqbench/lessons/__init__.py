"""The RNN lessons and their measurements: gradient flow through time, exposure bias,
generation, streaming inference and its cost against sequence length. They run on trained
(or freshly built) tasks; the report turns what they measure into its lesson sections."""
