"""`seqbench fetch`: build raw snapshots and check them against the pin in data.dvc.

data.dvc pins ``data/raw`` as a whole (DVC's own hash) and, under ``meta.datasets``, each
dataset's content hash, so a mismatch names the dataset whose source changed.
"""

from pathlib import Path

import datasets
import yaml
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from seqbench.data import registry, snapshot
from seqbench.errors import DataError

PIN_FILE = "data.dvc"


def read_pins(root: Path) -> dict[str, str]:
    """Per-dataset content hashes recorded in data.dvc (empty when nothing is pinned)."""
    pin = root / PIN_FILE
    if not pin.is_file():
        return {}
    meta = (yaml.safe_load(pin.read_text()) or {}).get("meta") or {}
    return dict(meta.get("datasets") or {})


def fetch(names: list[str], raw_dir: Path) -> dict[str, dict]:
    """Build and write each dataset with a progress display; returns their provenance."""
    specs = [registry.get(name) for name in names]  # unknown names fail before any work
    raw_dir.mkdir(parents=True, exist_ok=True)
    datasets.disable_progress_bars()  # one rich display instead of one bar per split
    written = {}
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, transient=False) as progress:
        overall = progress.add_task("fetching", total=len(specs))
        for spec in specs:
            progress.update(overall, description=f"building {spec.name}: {spec.summary}")
            written[spec.name] = snapshot.write(
                spec.name, spec.kind, spec.summary, spec.build(), raw_dir
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


def dvc_status(root: Path) -> dict:
    """`dvc status data.dvc`: empty when data/raw matches the pinned snapshot byte for byte
    and is in the DVC cache. A rebuilt snapshot that matches the pin but is not cached yet
    (a fresh clone) is committed to the cache, so `dvc status` and `dvc push` work."""
    from dvc.repo import Repo

    target = str(root / PIN_FILE)
    with Repo(str(root)) as repo:
        status = repo.status(targets=[target])
        changes = [c for entry in status.values() for c in entry]
        if changes == [{"changed outs": {"data/raw": "not in cache"}}]:
            repo.commit(target, force=True)  # same hash as pinned: only fills the cache
            status = repo.status(targets=[target])
    return status


def pin(raw_dir: Path, root: Path) -> None:
    """Record data/raw in data.dvc (`dvc commit`, which also fills the DVC cache for
    `dvc push`) with each dataset's content hash in its meta."""
    from dvc.repo import Repo

    datasets = {}
    for folder in sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        datasets[folder.name] = snapshot.verify(folder.name, raw_dir)["content_hash"]
    if not datasets:
        raise DataError(f"nothing to pin in {raw_dir}; run `seqbench fetch` first")
    pin_file = root / PIN_FILE
    out = raw_dir.resolve().relative_to(root.resolve()).as_posix()
    pin_file.write_text(yaml.safe_dump({"outs": [{"path": out}]}, sort_keys=False))
    with Repo(str(root)) as repo:
        repo.commit(str(pin_file), force=True)
    content = yaml.safe_load(pin_file.read_text())
    content["meta"] = {"datasets": datasets}
    pin_file.write_text(yaml.safe_dump(content, sort_keys=False))
