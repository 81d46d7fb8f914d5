"""The tuning lesson: see README.md beside this file."""
