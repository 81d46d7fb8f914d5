"""The long_memory lesson: see README.md beside this file."""
