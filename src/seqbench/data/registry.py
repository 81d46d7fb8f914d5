"""The datasets seqbench knows: one config file each, ``conf/data/<name>.yaml`` or the same
file in a user's config folder, read with Hydra exactly as ``seqbench-train data=<name>``
reads it. Beside the DataModule's settings the file declares its ``source`` (a node whose
``_target_`` is one of seqbench's own builders below, with its arguments), an optional
``split`` rule, a ``summary`` and whether a bare ``seqbench fetch`` builds it (``default``).

Only the builders in :data:`BUILDERS` are ever called: a file names one, it never names code
to run.
"""

import functools
import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from seqbench.data.sources import (
    Built,
    abilities,
    anomaly,
    digits,
    hub,
    mnist1d,
    series,
    shakespeare,
    synthetic,
    tables,
    text_files,
    tweets,
    uea,
    watch,
)
from seqbench.errors import DataError

# _target_ -> (builder, kind); a kind of None is the builder's ``task`` argument
BUILDERS: dict[str, tuple[Callable[..., Built], str | None]] = {
    "seqbench.data.sources.shakespeare.build": (shakespeare.build, "text"),
    "seqbench.data.sources.watch.build": (watch.build, "sensor"),
    "seqbench.data.sources.synthetic.build": (synthetic.build, None),
    "seqbench.data.sources.abilities.selective_copy": (abilities.selective_copy, "ability"),
    "seqbench.data.sources.abilities.induction": (abilities.induction, "ability"),
    "seqbench.data.sources.abilities.mqar": (abilities.mqar, "ability"),
    "seqbench.data.sources.abilities.parity": (abilities.parity, "ability"),
    "seqbench.data.sources.hub.text": (hub.text, "text"),
    "seqbench.data.sources.hub.sensor": (hub.sensor, "sensor"),
    "seqbench.data.sources.hub.labelled_text": (hub.labelled_text, "text_classify"),
    "seqbench.data.sources.tables.sensor": (tables.sensor, "sensor"),
    "seqbench.data.sources.tables.labelled_text": (tables.labelled_text, "text_classify"),
    "seqbench.data.sources.text_files.text": (text_files.text, "text"),
    "seqbench.data.sources.digits.build": (digits.build, "sensor"),
    "seqbench.data.sources.mnist1d.build": (mnist1d.build, "sensor"),
    "seqbench.data.sources.uea.build": (uea.build, "sensor"),
    "seqbench.data.sources.series.package_csv": (series.package_csv, "forecast"),
    "seqbench.data.sources.series.watch": (series.watch, "forecast"),
    "seqbench.data.sources.series.hub": (series.hub, "forecast"),
    "seqbench.data.sources.anomaly.build": (anomaly.build, "anomaly"),
    "seqbench.data.sources.tweets.build": (tweets.build, "text_classify"),
}
KINDS = ("text", "sensor", "adding", "copy", "ability", "forecast", "anomaly", "text_classify")
_PARAMETRIC = re.compile(r"^(adding|copy)-T([1-9][0-9]*)$")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    kind: str  # one of KINDS: which DataModule and task it goes with
    summary: str
    build: Callable[[], Built]
    default: bool = False  # built by a bare `seqbench fetch` and pinned by data.dvc


def memory_name(task: str, length: int) -> str:
    """The long-memory study's name for a synthetic task at length T, e.g. ``copy-T50``."""
    return f"{task}-T{length}"


def memory_dataset(name: str) -> tuple[str, int] | None:
    """(task, T) of a long-memory study dataset name; None for any other dataset."""
    match = _PARAMETRIC.match(name)
    return (match.group(1), int(match.group(2))) if match else None


def options(dirs: Iterable[Path] = ()) -> list[str]:
    """The data config files: the shipped ones and those in the given config folders."""
    from seqbench.config import group_options

    return group_options("data", dirs)


def known(dirs: Iterable[Path] = ()) -> str:
    return ", ".join([*options(dirs), "adding-T<N>", "copy-T<N>"])


def get(name: str, dirs: Iterable[Path] = ()) -> DatasetSpec:
    """The spec for ``name``; ``adding-T400`` and ``copy-T50`` build any sequence length."""
    return get_many([name], dirs)[0]


def check_names(names: list[str], dirs: Iterable[Path] = ()) -> list[tuple[str, str, list[str]]]:
    """Each name's data config option and the overrides that make it (``adding-T400``: the
    adding file at T=400); an unknown name or a length out of range is refused in one line."""
    dirs = list(dirs)
    valid, wanted = options(dirs), []
    for name in names:
        if name in valid:
            wanted.append((name, name, []))
        elif study := memory_dataset(name):
            task, length = study
            if not 2 <= length <= 10_000:
                raise DataError(f"dataset {name!r}: T must be between 2 and 10000, got {length}")
            wanted.append((name, task, [f"data.name={name}", f"data.source.length={length}"]))
        else:
            hint = "" if dirs else " (a dataset of your own: --config-dir YOUR_CONF)"
            raise DataError(f"unknown dataset {name!r}; known datasets: {known(dirs)}{hint}")
    return wanted


def get_many(names: list[str], dirs: Iterable[Path] = ()) -> list[DatasetSpec]:
    """Every name's spec, all checked before any is built (one line for the first problem)."""
    dirs = list(dirs)
    nodes = _compose(check_names(names, dirs), dirs)
    return [_spec(name, data) for name, data in zip(names, nodes, strict=True)]


def all_specs(dirs: Iterable[Path] = ()) -> list[DatasetSpec]:
    dirs = list(dirs)
    return get_many(options(dirs), dirs)


def default_names(dirs: Iterable[Path] = ()) -> list[str]:
    """What a bare `seqbench fetch` builds: the datasets data.dvc pins."""
    return [spec.name for spec in all_specs(dirs) if spec.default]


def _compose(wanted: list[tuple[str, str, list[str]]], dirs: list[Path]) -> list:
    """Each dataset's ``data`` node, composed by Hydra as a training run composes it."""
    from seqbench.config import composer, one_line

    folders = ",".join(f"file://{Path(d).resolve()}" for d in dirs)
    search = [f"hydra.searchpath=[{folders}]"] if dirs else []
    nodes = []
    with composer() as compose:
        for _, option, extra in wanted:
            try:
                nodes.append(compose([f"data={option}", *extra, *search]).data)
            except Exception as error:  # Hydra's own: a bad file, a missing default
                why = one_line(error)
                raise DataError(f"data config {option!r} cannot be read: {why}") from None
    return nodes


def _spec(name: str, data) -> DatasetSpec:
    """The checked spec of one composed data node: an allowlisted builder and its arguments."""
    from omegaconf import OmegaConf

    from seqbench.errors import one_line

    where = f"data config {name!r}"
    if data.get("name") != name:
        raise DataError(f"{where} says name: {data.get('name')!r}; make it {name!r}, its file name")
    if data.get("source") is None:
        raise DataError(
            f"{where} declares no source; add source: {{_target_: <a builder>, ...}} with one "
            f"of {', '.join(BUILDERS)} (README: Your own data)"
        )
    try:
        args = OmegaConf.to_container(data.source, resolve=True)
        split = OmegaConf.to_container(data.split, resolve=True) if data.get("split") else None
        summary, default = data.get("summary"), data.get("default", False)
    except Exception as error:  # an interpolation that does not resolve
        raise DataError(f"{where}: {one_line(error)}") from None
    target = args.pop("_target_", None) if isinstance(args, dict) else None
    if target not in BUILDERS:
        raise DataError(
            f"{where}: source._target_={target!r} is not one of seqbench's source builders "
            f"({', '.join(BUILDERS)}); seqbench never builds what a file names"
        )
    builder, kind = BUILDERS[target]
    if split is not None:
        args["split"] = split
    _check_arguments(where, target, builder, args)
    kind = kind or args.get("task")
    if kind not in KINDS:
        raise DataError(f"{where}: source.task={kind!r} is not a task; use adding or copy")
    build = functools.partial(builder, **args)
    return DatasetSpec(name, kind, str(summary or target), build, default is True)


def _check_arguments(where: str, target: str, builder: Callable, args: dict) -> None:
    """Refuse an argument the builder does not take, or one it needs and lacks, by name."""
    parameters = inspect.signature(builder).parameters
    takes = [p for p in parameters if p != "split"]
    if unknown := sorted(set(args) - set(parameters)):
        what = "split: rule (it has its own split)" if unknown == ["split"] else unknown[0]
        raise DataError(
            f"{where}: {target} takes no {what}; it takes: {', '.join(takes) or 'nothing'}"
        )
    empty = inspect.Parameter.empty
    if missing := [p for p, v in parameters.items() if v.default is empty and p not in args]:
        raise DataError(
            f"{where}: {target} needs source.{missing[0]}; it takes: {', '.join(takes)}"
        )
