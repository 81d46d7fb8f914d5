"""The options of a source whose validation split is carved from its own train part.

Sources that keep a package's published train/test split (mnist1d, uea) take the same two
options, so they are checked here once: the same refusal reads the same in every config.
"""

from seqbench.errors import DataError


def check_carving(validation: object, seed: object, *, of: str, example: float) -> None:
    """Refuse a validation fraction outside (0, 1) of ``of`` or a seed that is not an integer
    >= 0 (the seed of :func:`seqbench.data.splits.unit`'s hash)."""
    if not isinstance(validation, float) or not 0 < validation < 1:
        raise DataError(
            f"source.validation must be a fraction of {of} between 0 and 1 "
            f"(e.g. {example:g}), got {validation!r}"
        )
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise DataError(f"source.seed must be an integer >= 0, got {seed!r}")
