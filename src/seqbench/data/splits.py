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
