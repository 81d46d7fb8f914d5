"""The context lesson: see README.md beside this file."""
