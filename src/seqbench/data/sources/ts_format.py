"""A reader for the UEA/UCR archive's ``.ts`` files, small enough to check by eye.

The format: ``#`` comment lines, ``@key value`` header lines ending with ``@data``, then one
case per line, its dimensions separated by ``:`` and each dimension's values by ``,``, the
class label last. Only what the archive's classification sets use is read (no timestamps,
no missing values): anything else is refused in one line rather than half-read. Written here
so building a dataset needs the package's data files only, not its loaders (and their
pandas nesting); the tests compare it with sktime's own ``load_from_tsfile``.
"""

from dataclasses import dataclass

import numpy as np

from seqbench.errors import DataError


@dataclass(frozen=True)
class TsFile:
    """One parsed file: each case as a (steps, dimensions) array, its label as written."""

    problem: str
    classes: list[str]  # in the order @classLabel lists them
    cases: list[np.ndarray]
    labels: list[str]


def _header(lines: list[str], where: str) -> tuple[dict[str, str], int]:
    """The ``@key value`` lines (keys lower-cased) and the index of the first data line."""
    header: dict[str, str] = {}
    for index, line in enumerate(lines):
        if not line or line.startswith("#"):
            continue
        if not line.startswith("@"):
            raise DataError(f"{where}: line {index + 1} comes before @data; is this a .ts file?")
        key, _, value = line[1:].partition(" ")
        if key.lower() == "data":
            return header, index + 1
        header[key.lower()] = value.strip()
    raise DataError(f"{where}: no @data line; is this a .ts file?")


def _check_header(header: dict[str, str], where: str) -> list[str]:
    """The class names; refuses what this reader does not read."""
    for key, value in (("timestamps", "false"), ("missing", "false")):
        if header.get(key, "false").lower() != value:
            raise DataError(f"{where}: @{key} {header[key]} is not supported (only {value})")
    label = header.get("classlabel", "").split()
    if not label or label[0].lower() != "true" or len(label) < 2:
        raise DataError(f"{where}: @classLabel must be 'true' followed by the class names")
    return label[1:]


def parse(text: str, where: str) -> TsFile:
    """Every case of a ``.ts`` file's ``text``; ``where`` names it in errors."""
    lines = [line.strip() for line in text.splitlines()]
    header, first = _header(lines, where)
    classes = _check_header(header, where)
    dimensions = int(header.get("dimensions", "1"))
    fixed = int(header["serieslength"]) if "serieslength" in header else None
    cases, labels = [], []
    for number, line in enumerate(lines[first:], start=first + 1):
        if not line:
            continue
        *series, label = line.split(":")
        if len(series) != dimensions or label not in classes:
            raise DataError(
                f"{where}: line {number} has {len(series)} dimensions and label {label!r}; "
                f"the header says {dimensions} dimensions and classes {' '.join(classes)}"
            )
        try:
            values = [np.array([float(v) for v in s.split(",")], np.float64) for s in series]
        except ValueError as error:
            raise DataError(f"{where}: line {number}: {error}") from None
        steps = {len(v) for v in values}
        if len(steps) != 1 or (fixed is not None and steps != {fixed}):
            raise DataError(
                f"{where}: line {number} has dimensions of {sorted(steps)} steps; they must "
                f"all have the same length{f' ({fixed}, @seriesLength)' if fixed else ''}"
            )
        cases.append(np.stack(values, axis=1))
        labels.append(label)
    return TsFile(header.get("problemname", ""), classes, cases, labels)
