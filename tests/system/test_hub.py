"""seqbench's Hub datasets through the real `datasets` client against the local stand-in."""

import io
import socket
import subprocess
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import load_from_disk
from helpers.cli import one_line_error, run_cli
from helpers.hub_standin import HubStandin, hub_env, hub_standin, set_hub_offline  # noqa: F401

from seqbench.data import fetch, snapshot
from seqbench.errors import DataError

SPLITS = ("train", "validation", "test")


def parquet(table: dict) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(table), buffer)
    return buffer.getvalue()


def tiny_shakespeare_repo(tag: str) -> dict[str, bytes]:
    """The layout of karpathy/tiny_shakespeare's parquet export: one text row per split."""
    return {
        f"default/{s}/0000.parquet": parquet({"text": [f"{tag}\nFIRST CITIZEN:\nSpeak, {s}.\n"]})
        for s in SPLITS
    }


def harth_repo() -> dict[str, bytes]:
    """HARTH's long format: one row per 50 Hz sample, six accelerometer columns, 22 subjects."""
    rng = np.random.default_rng(0)
    subjects, labels = [], []
    for subject in range(1, 23):
        for label in ("walking", "sitting", "walking"):
            subjects += [f"S{subject:03d}"] * 200
            labels += [label] * 200
    table = {"subject": subjects, "label": labels}
    for part in ("back", "thigh"):
        for axis in "xyz":
            table[f"{part}_acc_{axis}"] = rng.normal(size=len(subjects))
    return {"data/train-00000-of-00001.parquet": parquet(table)}


def test_text_dataset_from_the_hub_is_pinned_to_a_commit(
    hub_env: HubStandin, tmp_path, monkeypatch
):
    sha = hub_env.add_dataset(
        "karpathy/tiny_shakespeare", tiny_shakespeare_repo("v1"), revision="refs/convert/parquet"
    )
    raw = tmp_path / "raw"
    provenance = fetch.fetch(["tiny_shakespeare"], raw)["tiny_shakespeare"]
    assert provenance["source"] == {
        "type": "hub",
        "repo": "karpathy/tiny_shakespeare",
        "revision": "refs/convert/parquet",
        "sha": sha,
    }
    text = load_from_disk(str(raw / "tiny_shakespeare"))
    assert text["validation"]["text"] == ["v1\nFIRST CITIZEN:\nSpeak, validation.\n"]
    assert "C" in snapshot.load_vocab("tiny_shakespeare", raw)

    # fetching again reuses the client's cache: no parquet file is downloaded twice
    downloads = [p for m, p in hub_env.requests if m == "GET" and p.endswith(".parquet")]
    again = fetch.fetch(["tiny_shakespeare"], tmp_path / "raw2")["tiny_shakespeare"]
    assert again["content_hash"] == provenance["content_hash"]
    assert [p for m, p in hub_env.requests if m == "GET" and p.endswith(".parquet")] == downloads

    # a new upstream revision gives a new sha and content: a pinned snapshot would notice
    newer = hub_env.add_dataset(
        "karpathy/tiny_shakespeare", tiny_shakespeare_repo("v2"), revision="refs/convert/parquet"
    )
    moved = fetch.fetch(["tiny_shakespeare"], tmp_path / "raw3")["tiny_shakespeare"]
    assert moved["source"]["sha"] == newer != sha
    assert moved["content_hash"] != provenance["content_hash"]

    # offline, the cached copy is used and nothing is asked of the server
    seen = len(hub_env.requests)
    set_hub_offline(monkeypatch, True)
    offline = fetch.fetch(["tiny_shakespeare"], tmp_path / "raw4")["tiny_shakespeare"]
    assert offline["content_hash"] == moved["content_hash"]
    assert len(hub_env.requests) == seen


def test_sensor_dataset_from_the_hub_is_cut_into_recordings_split_by_subject(
    hub_env: HubStandin, tmp_path
):
    hub_env.add_dataset("josefheidler/har_adults_2021-harth", harth_repo(), revision="main")
    provenance = fetch.fetch(["harth"], tmp_path)["harth"]
    data = load_from_disk(str(tmp_path / "harth"))
    subjects = {s: set(data[s]["subject"]) for s in SPLITS}
    assert [len(subjects[s]) for s in SPLITS] == [15, 2, 5]  # seeded hash, 0.7 / 0.15 / 0.15
    assert not (subjects["train"] & subjects["test"] or subjects["validation"] & subjects["test"])
    assert not subjects["train"] & subjects["validation"]
    assert provenance["rows"] == {"train": 45, "validation": 6, "test": 15}  # 3 runs a subject
    assert provenance["split_rule"].startswith("by subject: by seeded hash (blake2b, seed 0)")
    assert provenance["sample_rate_hz"] == 50
    first = data["train"].with_format("numpy")[0]["signal"]
    assert first.shape == (200, 6)
    assert data["train"].features["label"].names == ["sitting", "walking"]


def test_missing_repo_is_a_clear_error(hub_env: HubStandin, tmp_path):
    try:
        fetch.fetch(["tiny_shakespeare"], tmp_path)
    except DataError as error:
        assert "karpathy/tiny_shakespeare" in str(error) and "HTTP 404" in str(error)
    else:
        raise AssertionError("fetching a repo the Hub lacks must fail")


def _env(endpoint: str, tmp_path) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    return env | {
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(tmp_path / "hf"),
        "SEQBENCH_HUB_TIMEOUT": "2",
    }


def fetch_from(endpoint: str, tmp_path) -> subprocess.CompletedProcess:
    """`seqbench fetch tiny_shakespeare` as a user would run it, against ``endpoint``."""
    return run_cli(
        "seqbench.cli",
        "fetch",
        "tiny_shakespeare",
        "--raw-dir",
        str(tmp_path),
        env=_env(endpoint, tmp_path),
        timeout=60,
    )


def test_unreachable_hub_fails_fast_naming_offline_mode_and_bundled_data(tmp_path):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    started = time.monotonic()
    result = fetch_from(f"http://127.0.0.1:{port}", tmp_path)
    assert result.returncode == 2
    line = one_line_error(result)
    assert "HF_HUB_OFFLINE" in line and "shakespeare (text), watch (sensor)" in line
    assert time.monotonic() - started < 30


def test_silent_hub_times_out_within_the_bound(tmp_path):
    """A server that accepts connections but never answers: fail after the timeout, not hang."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    started = time.monotonic()
    try:
        result = fetch_from(f"http://127.0.0.1:{silent.getsockname()[1]}", tmp_path)
    finally:
        silent.close()
    assert result.returncode == 2
    assert "HF_HUB_OFFLINE" in one_line_error(result)
    assert time.monotonic() - started < 30
    assert not (tmp_path / "tiny_shakespeare").exists()
