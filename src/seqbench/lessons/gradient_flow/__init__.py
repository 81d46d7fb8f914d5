"""The gradient_flow lesson: see README.md beside this file."""
