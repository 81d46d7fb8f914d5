"""The activations lesson: see README.md beside this file."""
