"""`seqbench choose`'s constraints, read from the command line as text and checked here, so
a malformed one (negative, not a number, NaN) is refused in one line rather than by
argparse's usage block."""

import argparse
import math
from dataclasses import dataclass

from seqbench.errors import ConfigError
from seqbench.lessons.deploy.record import RUNTIMES


@dataclass(frozen=True)
class Limits:
    """The constraints given; None where none was given."""

    max_step_ms: float | None = None
    max_memory_kb: float | None = None
    min_quality: float | None = None
    runtime: str = "eager"


def _number(flag: str, given: str | None, positive: bool) -> float | None:
    """A constraint's number, or one line saying what is wrong with it."""
    if given is None:
        return None
    try:
        value = float(given)
    except ValueError:
        raise ConfigError(f"{flag} {given!r} is not a number; e.g. {flag} 0.2") from None
    if not math.isfinite(value):
        raise ConfigError(f"{flag} {given!r} is not a finite number; e.g. {flag} 0.2")
    if positive and value <= 0:
        raise ConfigError(f"{flag} {given} must be a positive number (a budget); e.g. {flag} 0.2")
    return value


def limits(args: argparse.Namespace) -> Limits:
    """The constraints from the command line, each checked (argparse would stop with a usage
    block; a refusal here is one line)."""
    if args.runtime not in RUNTIMES:
        raise ConfigError(f"--runtime {args.runtime!r} is unknown: give {' or '.join(RUNTIMES)}")
    return Limits(
        _number("--max-step-ms", args.max_step_ms, positive=True),
        _number("--max-memory-kb", args.max_memory_kb, positive=True),
        _number("--min-quality", args.min_quality, positive=False),
        args.runtime,
    )
