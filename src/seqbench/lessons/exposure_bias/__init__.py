"""The exposure_bias lesson: see README.md beside this file."""
