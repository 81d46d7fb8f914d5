"""The abilities lesson: see README.md beside this file."""
