"""The cost lesson: see README.md beside this file."""
