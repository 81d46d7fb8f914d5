"""`seqbench fetch`: build raw snapshots and check them against the pin in data.dvc.

data.dvc pins ``data/raw`` as a whole (DVC's own hash) and, under ``meta.datasets``, each
dataset's content hash, so a mismatch names the dataset whose source changed.
"""

from collections.abc import Iterable
from pathlib import Path

import datasets
import yaml
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from seqbench.data import pins, registry, snapshot
from seqbench.data.sources import globbing
from seqbench.errors import DataError
from seqbench.safety import atomic

PIN_FILE = pins.PIN_FILE


def read_pins(root: Path) -> dict[str, str]:
    """Per-dataset content hashes recorded in data.dvc (empty when nothing is pinned)."""
    return pins.read_pins(root)


def check_destination(raw_dir: Path, names: list[str]) -> None:
    """Refuse, before any work, a raw folder that is a file (or below one) and a dataset
    path that is a file: fetching would fail half-way, or replace what is there."""
    for folder in (raw_dir, *raw_dir.parents):
        if folder.exists() and not folder.is_dir():
            raise DataError(
                f"the raw data folder {raw_dir} cannot be made: {folder} is a file; "
                "choose another folder (--raw-dir) or move the file away"
            )
    for name in names:
        if (raw_dir / name).exists() and not (raw_dir / name).is_dir():
            raise DataError(
                f"{raw_dir / name} is a file, not a dataset folder; move it away, then run "
                f"`seqbench fetch {name}` again"
            )


def listing(config_dirs: Iterable[Path] = ()) -> list[str]:
    """`seqbench fetch --list`: each data config's name, kind, whether a bare fetch builds it
    (default) and summary."""
    lines = [
        f"{spec.name:18} {spec.kind:7} {'default' if spec.default else '':8}{spec.summary}"
        for spec in registry.all_specs(config_dirs)
    ]
    return [*lines, "adding-T<N>, copy-T<N>: the synthetic tasks at any sequence length N"]


def destination(name: str, raw_dir: Path, pinning: bool = False) -> Path:
    """The folder ``name`` is written to: ``raw_dir`` when it is being pinned (``--pin``),
    else its home (:func:`pins.home`: a dataset data.dvc does not pin goes beside the
    pinned folder, so fetching it leaves data.dvc's output as it was)."""
    return Path(raw_dir) if pinning else pins.home(name, raw_dir)


def fetch(
    names: list[str], raw_dir: Path, config_dirs: Iterable[Path] = (), pinning: bool = False
) -> dict[str, dict]:
    """Build and write each dataset (its data config in seqbench's configs or in
    ``config_dirs``) to its :func:`destination` with a progress display; returns their
    provenance."""
    specs = registry.get_many(names, config_dirs)  # unknown names fail before any work
    homes = {spec.name: destination(spec.name, raw_dir, pinning) for spec in specs}
    for home in dict.fromkeys(homes.values()):
        check_destination(home, [name for name, where in homes.items() if where == home])
    datasets.disable_progress_bars()  # one rich display instead of one bar per split
    written = {}
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, transient=False) as progress:
        overall = progress.add_task("fetching", total=len(specs))
        for spec in specs:
            said = f"building {spec.name}: {spec.summary}"
            progress.update(overall, description=said)

            def searched(folders: int, said: str = said) -> None:
                progress.update(overall, description=f"{said} (searched {folders} folders)")

            with globbing.reporting(searched):
                built = spec.build()
            homes[spec.name].mkdir(parents=True, exist_ok=True)
            written[spec.name] = snapshot.write(
                spec.name, spec.kind, spec.summary, built, homes[spec.name]
            )
            progress.advance(overall)
        progress.update(overall, description=f"fetched {', '.join(written)}")
    return written


def compare_with_pins(written: dict[str, dict], root: Path) -> list[str]:
    """One line per dataset whose content differs from data.dvc's pin."""
    pins = read_pins(root)
    return [
        f"{name}: built {prov['content_hash']} but data.dvc pins {pins[name]} "
        f"(source now {prov['source']})"
        for name, prov in written.items()
        if name in pins and pins[name] != prov["content_hash"]
    ]


def dvc_status(root: Path) -> dict | None:
    """`dvc status data.dvc` (None outside a DVC repository): empty when data/raw matches
    the pinned snapshot byte for byte and is in the DVC cache. A rebuilt snapshot that
    matches the pin but is not cached yet (a fresh clone) is committed to the
    cache, so `dvc status` and `dvc push` work."""
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    target = str(root / PIN_FILE)
    try:
        repo = Repo(str(root))
    except NotDvcRepoError:
        return None
    with repo:
        status = repo.status(targets=[target])
        changes = [c for entry in status.values() for c in entry]
        if changes == [{"changed outs": {"data/raw": "not in cache"}}]:
            repo.commit(target, force=True)  # same hash as pinned: only fills the cache
            status = repo.status(targets=[target])
    return status


def status_line(status: dict | None) -> str:
    """What `seqbench fetch` says about data.dvc after a fetch that matches the pins."""
    if status is None:
        return "data.dvc: matches the pins (no DVC repository here to check it with)"
    return "data.dvc: clean" if not status else f"data.dvc: {status}"


def pin(raw_dir: Path, root: Path) -> None:
    """Record data/raw in data.dvc (`dvc commit`, which also fills the DVC cache for
    `dvc push`) with each dataset's content hash in its meta. Refused, with data.dvc left as
    it was, outside a DVC repository or for a raw folder outside the project."""
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    datasets = {}
    for folder in sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        datasets[folder.name] = snapshot.verify(folder.name, raw_dir, pinned=False)["content_hash"]
    if not datasets:
        raise DataError(f"nothing to pin in {raw_dir}; run `seqbench fetch` first")
    if not raw_dir.resolve().is_relative_to(root.resolve()):
        raise DataError(f"{raw_dir} is outside the project {root}; pin a folder inside it")
    out = raw_dir.resolve().relative_to(root.resolve()).as_posix()
    try:
        repo = Repo(str(root))
    except NotDvcRepoError as error:
        raise DataError(
            f"{root.resolve()} is not a DVC repository; run `dvc init` there, then pin again"
        ) from error
    pin_file = root / PIN_FILE
    atomic.write_text(pin_file, yaml.safe_dump({"outs": [{"path": out}]}, sort_keys=False))
    with repo:
        repo.commit(str(pin_file), force=True)
    content = yaml.safe_load(pin_file.read_text())
    content["meta"] = {"datasets": datasets}
    atomic.write_text(pin_file, yaml.safe_dump(content, sort_keys=False))
