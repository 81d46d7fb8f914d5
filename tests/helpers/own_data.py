"""Helpers for a user's own data in tests: a data config file in a config folder, long-format
sensor recordings as CSV or Parquet (tests/system/test_own_data.py,
tests/refusals/test_refusals_data.py)."""

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute
import pyarrow.csv
import pyarrow.parquet as pq
import yaml

FRACTIONS = {"train": 0.6, "validation": 0.2, "test": 0.2}


def parquet(table: dict) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(table), buffer)
    return buffer.getvalue()


def data_config(folder: Path, name: str, node: dict) -> Path:
    """``folder``/data/``name``.yaml as a user writes it: built on a shipped base file."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    base = "_text" if node["source"]["_target_"].endswith(".text") else "_sensor"
    text = yaml.safe_dump({"defaults": [base], "name": name, **node}, sort_keys=False)
    (folder / "data" / f"{name}.yaml").write_text(text)
    return folder


def recordings(subjects: int, sessions: int = 2, samples: int = 60, seed: int = 0) -> dict:
    """Long-format accelerometer rows: per subject, ``sessions`` sessions, each a walking then
    a sitting run of ``samples`` rows."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {"subject": [], "session": [], "activity": []}
    for person in range(subjects):
        for session in range(sessions):
            for activity in ("walking", "sitting"):
                rows["subject"] += [f"p{person}"] * samples
                rows["session"] += [f"p{person}-s{session}"] * samples
                rows["activity"] += [activity] * samples
    for axis in "xyz":
        rows[f"acc_{axis}"] = rng.normal(size=len(rows["subject"])).tolist()
    return rows


def sensor_source(files: str, **extra) -> dict:
    return {
        "_target_": "seqbench.data.sources.tables.sensor",
        "files": files,
        "channels": ["acc_x", "acc_y", "acc_z"],
        "label": "activity",
        "subject": "subject",
        "recording": "session",
        "sample_rate_hz": 50,
        **extra,
    }


def write_csvs(folder: Path, rows: dict) -> None:
    """One CSV file per subject, as a logger would write them."""
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(rows)
    for person in sorted(set(rows["subject"])):
        mask = pyarrow.compute.equal(table["subject"], person)
        pyarrow.csv.write_csv(table.filter(mask), folder / f"{person}.csv")
