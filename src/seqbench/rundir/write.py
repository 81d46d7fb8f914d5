"""Writing a run's results and record, each file atomically."""

import json
from pathlib import Path

from omegaconf import OmegaConf

from seqbench.rundir.layout import HYDRA, METRICS
from seqbench.safety import atomic


def write_metrics(run: Path, results: dict) -> None:
    """Write metrics.json atomically (see seqbench.safety.atomic): a reader (DVC, the report) sees
    the old file or the new one, never half of one, and a failure leaves no partial file."""
    atomic.write_text(Path(run) / METRICS, json.dumps(results, indent=2, sort_keys=True) + "\n")


def write_record(run: Path, files: dict[str, object]) -> None:
    """The run's own record of its configuration: ``.hydra/<name>`` as YAML, each written
    atomically (seqbench writes it instead of Hydra, after the run directory is claimed and
    with secrets redacted: see seqbench.rundir.record)."""
    folder = Path(run) / HYDRA
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        atomic.write_text(folder / name, OmegaConf.to_yaml(OmegaConf.create(content)))
