"""Helpers the test folders share: import them as `from helpers.<module> import ...`."""
