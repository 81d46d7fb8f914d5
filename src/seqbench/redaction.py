"""Keeping secrets out of every file and log seqbench or its libraries write.

A key that looks secret (api_key, token, secret, password, in any case) has its value
replaced by ``***`` wherever seqbench shows or saves a config: the printed tree, the W&B
config, the CSV logger's hparams.yaml and the run's own record of Hydra's config
(``.hydra/``, which seqbench writes itself for this reason). Values given on the command
line are also scrubbed from any text (error lines, the override lists Hydra keeps, the
program arguments W&B records), since a secret can appear there away from its key.
"""

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

SECRET = re.compile(r"(api_?key|token|secret|password)", re.IGNORECASE)
MASK = "***"
# key=value inside a text (an override, Hydra's override_dirname, an error line)
ASSIGNMENT = re.compile(
    r"([\w.+~/-]*(?:api_?key|token|secret|password)[\w.]*\s*=\s*)([^,\s]+)", re.IGNORECASE
)


def redact(container: object) -> object:
    """A copy with the values of secret-looking keys replaced by ``***``."""
    if isinstance(container, dict):
        return {k: MASK if SECRET.search(str(k)) else redact(v) for k, v in container.items()}
    if isinstance(container, list):
        return [redact(v) for v in container]
    return container


def secret_values(argv: list[str]) -> list[str]:
    """The values of secret-looking ``key=value`` overrides, longest first."""
    values = set()
    for arg in argv:
        key, sep, value = arg.partition("=")
        if sep and value and SECRET.search(key):
            values.add(value)
            values.add(value.strip("'\""))
    return sorted((v for v in values if v), key=len, reverse=True)


def scrub(text: str, argv: list[str] | None = None) -> str:
    """``text`` with secret-looking ``key=value`` assignments and every secret value given on
    the command line (``argv``, by default this process's) replaced by ``***``."""
    text = ASSIGNMENT.sub(lambda m: m.group(1) + MASK, text)
    for value in secret_values(sys.argv if argv is None else argv):
        text = text.replace(value, MASK)
    return text


def scrub_all(container: object, argv: list[str] | None = None) -> object:
    """:func:`redact`, then :func:`scrub` on every string left (override lists, dirnames)."""
    container = redact(container)
    if isinstance(container, dict):
        return {k: scrub_all(v, argv) for k, v in container.items()}
    if isinstance(container, list):
        return [scrub_all(v, argv) for v in container]
    return scrub(container, argv) if isinstance(container, str) else container


@contextmanager
def scrubbed_argv() -> Iterator[None]:
    """This process's arguments with secrets scrubbed, for libraries that record them (W&B
    saves them in the run's metadata, which `wandb sync` uploads)."""
    original = list(sys.argv)
    sys.argv[:] = [scrub(arg, original) for arg in original]
    try:
        yield
    finally:
        sys.argv[:] = original


class ScrubFilter(logging.Filter):
    """Scrubs every log record (Hydra's logging config attaches it to its handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        return True
