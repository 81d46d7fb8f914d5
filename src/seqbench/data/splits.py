"""Split rules for data that comes without train/validation/test: whole groups (a document, a
recording, a subject) go to one split by a seeded hash of their key, so nothing crosses a
split, the assignment does not depend on order, and adding a group moves no other group."""

import hashlib
from collections.abc import Iterable

from seqbench.errors import DataError

SPLITS = ("train", "validation", "test")


def check_fractions(fractions: dict[str, float]) -> tuple[float, float, float]:
    """(train, validation, test) fractions, each in (0, 1) and summing to 1, else one line."""
    if set(fractions) != set(SPLITS):
        raise DataError(
            f"split fractions must name exactly {', '.join(SPLITS)}; got {', '.join(fractions)}"
        )
    values = tuple(fractions[split] for split in SPLITS)
    bad = [f"{s}={v!r}" for s, v in zip(SPLITS, values, strict=True) if not _fraction(v)]
    if bad:
        raise DataError(f"split fractions must be numbers between 0 and 1; got {', '.join(bad)}")
    if abs(sum(values) - 1) > 1e-6:
        raise DataError(f"split fractions must sum to 1; got {' + '.join(map(str, values))}")
    return values  # type: ignore[return-value]


def _fraction(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1


def unit(key: str, seed: int) -> float:
    """A number in [0, 1) fixed by ``key`` and ``seed`` alone (blake2b, not Python's hash,
    which changes between processes)."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def split_of(key: str, fractions: tuple[float, float, float], seed: int) -> str:
    """The split of the group named ``key``."""
    u, bound = unit(key, seed), 0.0
    for split, fraction in zip(SPLITS, fractions, strict=True):
        bound += fraction
        if u < bound:
            return split
    return SPLITS[-1]


def assign(
    keys: Iterable[str], fractions: dict[str, float], seed: int, what: str = "group"
) -> dict[str, str]:
    """Each distinct key's split; a split that gets no group is refused in one line (too few
    groups for these fractions), before anything is written or trained."""
    checked = check_fractions(fractions)
    splits = {key: split_of(key, checked, seed) for key in dict.fromkeys(map(str, keys))}
    if empty := [s for s in SPLITS if s not in splits.values()]:
        raise DataError(
            f"the {empty[0]} split is empty: {len(splits)} {what}s split "
            f"{describe(fractions, seed)} put none there; give more {what}s, larger "
            "fractions or another split seed"
        )
    return splits


def describe(fractions: dict[str, float], seed: int) -> str:
    """The rule in words, for provenance."""
    parts = ", ".join(f"{s} {fractions[s]:g}" for s in SPLITS)
    return f"by seeded hash (blake2b, seed {seed}) into {parts}"


RULE_KEYS = ("by", "fractions", "seed", "column")
DEFAULT_FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}


def check_rule(rule: object, allowed: tuple[str, ...], where: str) -> dict:
    """A data config's ``split:`` node, filled in (fractions 0.8/0.1/0.1, seed 0) and checked:
    ``by`` one of ``allowed`` (document, recording, subject: whole groups by seeded hash;
    column: a column names each row's split), else one line naming the fix."""
    example = "split: {by: " + allowed[0] + ", fractions: {train: 0.8, validation: 0.1, test: 0.1}}"
    if rule is None:
        raise DataError(f"{where} has no train/validation/test splits; add a rule: {example}")
    if not isinstance(rule, dict):
        raise DataError(f"{where}: split must be a mapping, e.g. {example}; got {rule!r}")
    if unknown := sorted(set(rule) - set(RULE_KEYS)):
        raise DataError(f"{where}: split takes {', '.join(RULE_KEYS)}; not {', '.join(unknown)}")
    by = rule.get("by")
    if by not in allowed:
        raise DataError(f"{where}: split.by={by!r} is not a rule here; valid: {', '.join(allowed)}")
    if by == "column":
        if not isinstance(rule.get("column"), str) or not rule["column"]:
            raise DataError(f"{where}: split.by=column needs split.column, the column's name")
        return {"by": by, "column": rule["column"]}
    fractions = rule.get("fractions", DEFAULT_FRACTIONS)
    if not isinstance(fractions, dict):
        raise DataError(f"{where}: split.fractions must map train, validation, test to numbers")
    check_fractions(fractions)
    seed = rule.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise DataError(f"{where}: split.seed must be an integer >= 0, got {seed!r}")
    return {"by": by, "fractions": dict(fractions), "seed": seed}


def by_column(values: Iterable[object], column: str) -> list[str]:
    """Each row's split as a column names it: only train, validation or test, none empty."""
    named = [str(value) for value in values]
    if bad := sorted(set(named) - set(SPLITS)):
        raise DataError(
            f"the split column {column!r} must hold train, validation or test; it also holds "
            f"{', '.join(map(repr, bad[:3]))}: rename those values or split by a seeded hash"
        )
    if empty := [split for split in SPLITS if split not in named]:
        raise DataError(
            f"the {empty[0]} split is empty: no row's {column!r} says {empty[0]}; give it rows "
            "or split by a seeded hash"
        )
    return named


def rule_words(rule: dict) -> str:
    """A checked rule (:func:`check_rule`) in words, for provenance."""
    if rule["by"] == "column":
        return f"by the column {rule['column']!r}, which names each row's split"
    return f"by {rule['by']}: " + describe(rule["fractions"], rule["seed"])
