"""Bad input ends in one clear line (no traceback) and never in silently wrong data."""

import shutil

import pytest
import yaml
from helpers.cli import ROOT, one_line_error, run_cli

from seqbench.data import snapshot
from seqbench.data.sensor import SensorDataModule
from seqbench.data.text import CharLMDataModule
from seqbench.errors import DataError


def test_unknown_dataset_name_lists_the_known_ones(tmp_path):
    result = run_cli("seqbench.cli", "fetch", "shakespear", "--raw-dir", str(tmp_path))
    assert result.returncode == 2
    line = one_line_error(result)
    assert "unknown dataset 'shakespear'" in line
    shipped = ("shakespeare", "watch", "adding", "copy", "tiny_shakespeare", "harth")
    probes = ("selective_copy", "induction", "mqar", "parity")
    classic = ("digits", "digits_permuted", "mnist1d", "mnist1d_shuffled")
    classic += ("japanese_vowels", "basic_motions")
    forecast = ("airline", "watch_forecast", "etth1")
    anomaly = ("mitdb", "yahoo")
    texts = ("tweet_sentiment", "sst2")
    for name in (*shipped, *probes, *classic, *forecast, *anomaly, *texts):
        assert name in line
    assert not any(tmp_path.iterdir())  # refused before building anything


def test_missing_snapshot_says_to_fetch_or_pull(tmp_path):
    with pytest.raises(DataError) as error:
        CharLMDataModule("shakespeare", tmp_path / "raw").setup("fit")
    message = str(error.value)
    assert "seqbench fetch shakespeare" in message and "dvc pull" in message
    assert "\n" not in message


def test_tampered_snapshot_is_named_and_not_used(raw_dir, tmp_path):
    copy = tmp_path / "raw"
    shutil.copytree(raw_dir / "watch", copy / "watch")
    arrow = copy / "watch" / "train" / "data-00000-of-00001.arrow"
    data = bytearray(arrow.read_bytes())
    data[-100] ^= 0xFF
    arrow.write_bytes(bytes(data))
    with pytest.raises(DataError) as error:
        SensorDataModule("watch", copy).setup("fit")
    message = str(error.value)
    assert "train/data-00000-of-00001.arrow" in message and "not using it" in message
    assert "seqbench fetch watch" in message and "\n" not in message


def test_corrupt_provenance_is_named(raw_dir, tmp_path):
    shutil.copytree(raw_dir / "copy", tmp_path / "copy")
    (tmp_path / "copy" / "provenance.json").write_text("{not json")
    with pytest.raises(DataError, match=r"provenance\.json is corrupt"):
        snapshot.load("copy", tmp_path)


def test_fetch_that_differs_from_the_pin_names_the_dataset(tmp_path):
    """As after an upstream change: data.dvc pins other content than what was just built."""
    pin = yaml.safe_load((ROOT / "data.dvc").read_text())
    built = pin["meta"]["datasets"]["copy"]  # what a fetch of the bundled sources builds
    pin["meta"]["datasets"]["copy"] = "0" * 32
    (tmp_path / "data.dvc").write_text(yaml.safe_dump(pin))
    result = run_cli(
        "seqbench.cli",
        "fetch",
        "copy",
        "--raw-dir",
        str(tmp_path / "raw"),
        "--root",
        str(tmp_path),
    )
    assert result.returncode == 1
    assert f"copy: built {built}" in result.stderr and "data.dvc pins 0000" in result.stderr
    assert "dvc pull" in result.stderr and "seqbench fetch --pin" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot.verify("copy", tmp_path / "raw")  # the new data is written, and named
