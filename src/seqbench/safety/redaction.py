"""Keeping secrets out of every file and log seqbench or its libraries write.

A key that looks secret (api_key, token, secret, password, in any case) has its value
replaced by ``***`` wherever seqbench shows or saves a config: the printed tree, the W&B
config, the CSV logger's hparams.yaml and the run's own record of Hydra's config
(``.hydra/``, which seqbench writes itself for this reason). Values given on the command
line are also scrubbed from any text (error lines, the override lists Hydra keeps, the
program arguments W&B records), since a secret can appear there away from its key: the whole
value as typed, and each value Hydra makes of it (a sweep's choices, a list's elements, a
quoted string without its quotes, a dict's secret-looking entries), since Hydra writes each
sweep job's own value and Hydra's re-quoted forms. :func:`protect` also scrubs everything this
process prints (Hydra writes a failed job's overrides to stderr itself, past logging).
"""

import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import TextIO

SECRET = re.compile(r"(api_?key|token|secret|password)", re.IGNORECASE)
MASK = "***"
# a value inside a text: quoted, bracketed, a sweep function call, or a plain word
_VALUE = (
    r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""  # quoted
    r"""|\[[^\]]*\]|\{[^}]*\}|\w+\([^)]*\)|[^,\s'"\])}]+)"""  # [list] {dict} choice(..) word
)
# key=value inside a text (an override, Hydra's override_dirname, an error line); a sweep's
# further values (`,b`) belong to it unless they are assignments themselves
ASSIGNMENT = re.compile(
    rf"([\w.+~/-]*(?:api_?key|token|secret|password)[\w.]*\s*=\s*)"
    rf"({_VALUE}(?:,(?![^,\s]*=){_VALUE}(?=[,\s'\"\])}}]|$))*)",
    re.IGNORECASE,
)
# Hydra's literals and sweep functions: fragments of a value, but no secret
_NOT_SECRET = {"", "null", "true", "false", "choice", "range", "interval", "glob", "tag"}
# an environment variable that holds a secret by its name (WANDB_API_KEY, HF_TOKEN; not
# HF_TOKEN_PATH, a file's name)
SECRET_VARIABLE = re.compile(r"(?:^|_)(API_?KEY|ACCESS_KEY|TOKEN|SECRET|PASSWORD)$", re.I)
LONG = 8  # the shortest secret scrubbed away from its key (from a config or the environment)
_protected: tuple[str, ...] = ()  # this process's arguments, kept by protect()
_known: set[str] = set()  # secrets found elsewhere: remember(), protect()


def redact(container: object) -> object:
    """A copy with the values of secret-looking keys replaced by ``***``."""
    if isinstance(container, dict):
        return {k: MASK if SECRET.search(str(k)) else redact(v) for k, v in container.items()}
    if isinstance(container, list):
        return [redact(v) for v in container]
    return container


def _elements(value: object, secret: bool) -> Iterator[str]:
    """The strings a parsed override value is made of (those under a secret-looking key when
    ``secret`` is false): a sweep's choices, a list's elements, a dict's values."""
    from hydra.core.override_parser.types import ChoiceSweep, QuotedString

    if isinstance(value, ChoiceSweep):
        value = value.list
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _elements(item, secret or bool(SECRET.search(str(key))))
    elif isinstance(value, list):
        for item in value:
            yield from _elements(item, secret)
    elif secret and isinstance(value, QuotedString):
        yield from (value.text, value.with_quotes())
    elif secret and value is not None and not isinstance(value, bool):
        yield str(value)


def _fragments(arg: str) -> set[str]:
    """The secret strings of one override: its value as typed, unquoted, and each value
    Hydra makes of it; an override Hydra cannot read is split at its syntax characters."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    key, sep, raw = arg.partition("=")
    secret = bool(SECRET.search(key))
    found = {raw, raw.strip("'\"")} if secret and sep else set()
    try:
        override = OverridesParser.create().parse_overrides([arg])[0]
    except Exception:  # not an override Hydra can read: every word of a secret's value
        found |= set(re.split(r"""[\s,\[\](){}'"\\:]+""", raw)) if secret else set()
        return found
    value = override.value() if sep else None
    found |= set(_elements(value, secret))
    if secret and override.is_sweep_override():
        with suppress(Exception):  # intervals and globs have no list of values
            found |= set(override.sweep_string_iterator())  # Hydra's form of each job's value
    return found


@lru_cache(maxsize=64)
def _forms(values: frozenset[str]) -> tuple[str, ...]:
    """``values`` and the forms Python's repr of a list and JSON give them (Hydra prints a
    failed job's overrides as a list: a backslash doubles), longest first."""
    found = set(values) | {json.dumps(v)[1:-1] for v in values}
    found |= {v.replace("\\", "\\\\") for v in values}
    return tuple(sorted((v for v in found if v.lower() not in _NOT_SECRET), key=len)[::-1])


@lru_cache(maxsize=64)
def _values(argv: tuple[str, ...]) -> tuple[str, ...]:
    values: set[str] = set()
    for arg in argv:
        if "=" in arg and not arg.startswith("-"):
            values |= _fragments(arg)
    return _forms(frozenset(values))


def secret_values(argv: list[str]) -> list[str]:
    """The secret strings of the secret-looking overrides in ``argv``, longest first."""
    return list(_values(tuple(argv)))


def _under_secret_keys(container: object, secret: bool = False) -> Iterator[str]:
    if isinstance(container, dict):
        for key, value in container.items():
            yield from _under_secret_keys(value, secret or bool(SECRET.search(str(key))))
    elif isinstance(container, list):
        for value in container:
            yield from _under_secret_keys(value, secret)
    elif secret and isinstance(container, str) and len(container) >= LONG:
        yield container


def remember(resolved: object) -> None:
    """Scrub, from now on, the values of secret-looking keys of a resolved config too (one
    read from the environment or an experiment file is on no command line); only values of
    ``LONG`` characters or more, so a short one does not mask a common word everywhere."""
    _known.update(_under_secret_keys(resolved))


def scrub(text: str, argv: list[str] | None = None) -> str:
    """``text`` with every secret given on the command line (``argv``, by default this
    process's, as :func:`protect` kept it, and those :func:`remember` and :func:`protect`
    found elsewhere) and any secret-looking ``key=value`` left replaced by ``***``. Values go
    first: a masked key=value would hide the rest of its value."""
    if argv is not None:
        values = _values(tuple(argv))
    else:
        found = {*_values((*_protected, *sys.argv)), *_forms(frozenset(_known))}
        values = tuple(sorted(found, key=len, reverse=True))
    for value in values:
        text = text.replace(value, MASK)
    return ASSIGNMENT.sub(lambda m: m.group(1) + MASK, text)


def scrub_all(container: object, argv: list[str] | None = None) -> object:
    """:func:`redact`, then :func:`scrub` on every string left (override lists, dirnames).
    An OmegaConf config is taken as its plain container, unresolved (``--cfg job``)."""
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(container, DictConfig | ListConfig):
        container = OmegaConf.to_container(container, resolve=False)
    container = redact(container)
    if isinstance(container, dict):
        return {k: scrub_all(v, argv) for k, v in container.items()}
    if isinstance(container, list):
        return [scrub_all(v, argv) for v in container]
    return scrub(container, argv) if isinstance(container, str) else container


class ScrubbedStream:
    """A console stream that scrubs each line before it passes (a partial line waits for
    its end, a carriage return or a flush, so a secret is not cut in two)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        end = max(self.pending.rfind("\n"), self.pending.rfind("\r"))
        if end >= 0:
            ready, self.pending = self.pending[: end + 1], self.pending[end + 1 :]
            self.stream.write(scrub(ready))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.pending:
            ready, self.pending = self.pending, ""
            self.stream.write(scrub(ready))
        self.stream.flush()

    def __getattr__(self, name: str) -> object:  # fileno, isatty, encoding...
        if name == "stream":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.stream, name)


def protect(argv: list[str]) -> None:
    """Keep this process's secrets (``argv``, and environment variables named like
    ``WANDB_API_KEY``) and scrub all it prints from now on."""
    global _protected
    _protected = tuple(dict.fromkeys((*_protected, *argv)))  # a sweep job's adds to its sweep's
    _known.update(
        value
        for name, value in os.environ.items()
        if SECRET_VARIABLE.search(name) and len(value) >= LONG
    )
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, ScrubbedStream):
            setattr(sys, name, ScrubbedStream(stream))


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
