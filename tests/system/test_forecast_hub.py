"""ETTh1 from the Hub (the local stand-in): split by time 8640/2880/2880 rows, pinned."""

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from datasets import load_from_disk
from helpers.hub_standin import HubStandin, hub_env, hub_standin  # noqa: F401

from seqbench.config.paths import CONF_DIR
from seqbench.data import fetch
from seqbench.data.series import SeriesDataModule
from seqbench.errors import DataError

CHANNELS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
ROWS = 14_600  # more than the benchmark uses: the rows after 14400 are left out


def ett_table(columns: list[str]) -> tuple[bytes, np.ndarray]:
    """ETTh1's layout: an hourly date column and seven numeric columns."""
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=(ROWS, len(columns))), axis=0)
    hours = np.arange(ROWS).astype("timedelta64[h]") + np.datetime64("2016-07-01T00")
    table = {"date": [f"{str(h).replace('T', ' ')}:00:00" for h in hours]}
    table |= {name: values[:, i] for i, name in enumerate(columns)}
    buffer = io.BytesIO()
    pq.write_table(pa.table(table), buffer)
    return buffer.getvalue(), values


def pinned_revision() -> str:
    return yaml.safe_load((CONF_DIR / "data" / "etth1.yaml").read_text())["source"]["revision"]


def test_etth1_is_split_by_time_into_the_benchmark_s_rows(hub_env: HubStandin, tmp_path):
    revision = pinned_revision()
    assert len(revision) == 40 and int(revision, 16) >= 0  # a commit, not a moving branch
    data, values = ett_table(CHANNELS)
    sha = hub_env.add_dataset("ETDataset/ett", {"data/train.parquet": data}, revision=revision)
    provenance = fetch.fetch(["etth1"], tmp_path)["etth1"]
    assert provenance["source"] == {
        "type": "hub",
        "repo": "ETDataset/ett",
        "revision": revision,
        "sha": sha,
    }
    assert provenance["channels"] == CHANNELS and provenance["steps"] == ROWS
    assert provenance["time_span"] == ["2016-07-01 00:00:00", "2018-03-01 07:00:00"]
    parts = load_from_disk(str(tmp_path / "etth1"))
    bounds = {"train": (0, 8640), "validation": (8640, 11520), "test": (11520, 14400)}
    for split, (begin, end) in bounds.items():
        row = parts[split].with_format("numpy")[0]
        assert row["start"] == begin
        np.testing.assert_allclose(row["values"], values[begin:end], rtol=1e-6)

    module = SeriesDataModule("etth1", tmp_path, context=336, horizon=96, season=24)
    module.setup("fit")
    np.testing.assert_allclose(module.mean, values[:8640].mean(axis=0), rtol=1e-6)
    test = module.datasets["test"]
    assert len(test) == 2880 - 336 - 96 + 1
    _, y = test[5]
    begin = 11520 + 5 + 336
    future = y.numpy() * module.std + module.mean
    np.testing.assert_allclose(future, values[begin : begin + 96], rtol=1e-4, atol=1e-3)
    assert set(module.baselines) == {"last_value", "seasonal_naive", "linear"}


def test_etth1_without_its_columns_is_one_clear_line(hub_env: HubStandin, tmp_path):
    data, _ = ett_table([c.lower() for c in CHANNELS])
    hub_env.add_dataset("ETDataset/ett", {"data/train.parquet": data}, revision=pinned_revision())
    with pytest.raises(DataError) as error:
        fetch.fetch(["etth1"], tmp_path)
    message = str(error.value)
    assert message.startswith("ETDataset/ett has no column 'HUFL'; its columns: date, hufl")
    assert "\n" not in message
