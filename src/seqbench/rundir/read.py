"""Reading runs back: metrics, curves and the saved config, from folders that may be damaged
or come from elsewhere (a reader never stops on one bad folder, never reads the environment)."""

import csv
import json
import re
from pathlib import Path

from omegaconf import OmegaConf

from seqbench.rundir.layout import CSV_LOGS, METRICS, hydra_file


def read_config_file(path: Path, resolve: bool = True) -> dict | None:
    """A saved config (.hydra/*.yaml, hparams.yaml), resolved where its interpolations allow
    (unless ``resolve`` is false), else as written; None if it cannot be read (a damaged file
    must not stop a reader)."""
    try:
        cfg = OmegaConf.load(path)
    except Exception:
        return None
    try:
        loaded = OmegaConf.to_container(cfg, resolve=resolve)
    except Exception:
        loaded = OmegaConf.to_container(cfg, resolve=False)
    return loaded if isinstance(loaded, dict) else None


def job_run_dir(job_dir: Path, config: dict) -> Path | None:
    """Where a multirun job given ``paths.run_dir`` wrote its results (``config``: the job's
    resolved .hydra/config.yaml), relative to the folder Hydra ran in; None if unknown."""
    run_dir = (config.get("paths") or {}).get("run_dir")
    if not isinstance(run_dir, str) or "${" in run_dir:
        return None
    path = Path(run_dir)
    if not path.is_absolute():
        hydra_cfg = read_config_file(hydra_file(job_dir, "hydra.yaml")) or {}
        cwd = ((hydra_cfg.get("hydra") or {}).get("runtime") or {}).get("cwd")
        path = Path(cwd) / path if isinstance(cwd, str) else job_dir / path
    return path


def has_results(run: Path) -> bool:
    return (Path(run) / METRICS).is_file()


def read_json(path: Path) -> dict:
    """A JSON object file; unreadable or not an object, it reads as a failed run with its
    reason, so one damaged folder cannot stop a report or a sweep summary."""
    try:
        loaded = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        return {"status": "failed", "reason": f"unreadable {Path(path).name}: {error}"}
    return loaded if isinstance(loaded, dict) else {"status": "failed", "reason": "bad metrics"}


def read_metrics(run: Path) -> dict:
    """A run's metrics.json (see :func:`read_json` for a damaged one)."""
    return read_json(Path(run) / METRICS)


def read_curves(path: Path) -> list[dict[str, float]]:
    """curves.csv rows as numbers; empty cells are left out, a missing file gives []."""
    if not path.is_file():
        return []
    rows = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            parsed = {}
            for key, value in row.items():
                try:
                    parsed[key] = float(value)
                except (TypeError, ValueError):
                    continue
            rows.append(parsed)
    return rows


ENV_WITH_DEFAULT = re.compile(r"^\$\{oc\.env:[^,{}]+,(.*)\}$")


def _without_env(value: object) -> object:
    """The config with every ``${oc.env:...}`` taken out before it is resolved: a run folder
    from elsewhere must not pull the environment of whoever makes the report (a W&B key, a
    token) into the page. A lookup with a default becomes its default; any other is shown as
    written, unresolved."""
    if isinstance(value, dict):
        return {key: _without_env(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_env(item) for item in value]
    if isinstance(value, str) and "oc.env" in value:
        found = ENV_WITH_DEFAULT.match(value)
        return (
            found.group(1)
            if found and "oc.env" not in found.group(1)
            else value.replace("${", "\\${")
        )
    return value


def read_saved_config(path: Path) -> dict | None:
    """A saved config resolved where its interpolations allow, without environment lookups."""
    written = read_config_file(path, resolve=False)
    if written is None:
        return None
    try:
        resolved = OmegaConf.to_container(OmegaConf.create(_without_env(written)), resolve=True)
    except Exception:  # an interpolation that does not resolve: show the config as written
        return written
    return resolved if isinstance(resolved, dict) else None


def read_config(run_dir: Path) -> dict | None:
    """Hydra's composed config, else the copy the CSV logger kept in hparams.yaml."""
    hydra_config = hydra_file(run_dir, "config.yaml")
    if hydra_config.is_file():
        return read_saved_config(hydra_config)
    hparams = run_dir / CSV_LOGS / "hparams.yaml"
    if hparams.is_file():
        loaded = read_saved_config(hparams)
        if loaded and isinstance(loaded.get("config"), dict):
            return loaded["config"]
    return None
