"""User-facing errors: one clear line saying what is wrong and what to do, never a traceback."""


class SeqbenchError(Exception):
    """An error caused by the user's input or environment, reported as one line.

    Raise it with a message that names the bad value and the fix; the CLI and the
    Hydra entry point print ``error: <message>`` and exit with status 2.
    """


class DataError(SeqbenchError):
    """Missing, tampered or unreachable data."""


class ConfigError(SeqbenchError):
    """A config value that cannot work (wrong type, out of range, unknown choice)."""
