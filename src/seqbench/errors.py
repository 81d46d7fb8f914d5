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


class Interrupted(Exception):
    """A run stopped by a signal (Ctrl-C, or SIGTERM as a scheduler's preemption sends); its
    checkpoints are kept. Exits with the shell's code for the signal: 130 or 143."""

    def __init__(self, signal_name: str, step: int) -> None:
        super().__init__(
            f"interrupted by {signal_name} at step {step}; the checkpoints are kept: resume "
            "with ckpt_path=last"
        )
        self.code = {"SIGINT": 130, "SIGTERM": 143}[signal_name]


def one_line(error: BaseException) -> str:
    """An exception's message squeezed to one line (Hydra's are several)."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text.replace(
        "Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.", ""
    ).strip()
