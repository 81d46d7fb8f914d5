"""The real `datasets` / `huggingface_hub` clients load dataset repos from the Hub stand-in."""
# Test functions take the imported fixtures as parameters, which ruff reports as redefinitions.

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import DatasetDict, load_dataset
from datasets.exceptions import DatasetNotFoundError
from helpers.hub_standin import HubStandin, hub_env, hub_standin, set_hub_offline  # noqa: F401
from huggingface_hub import HfApi, HfFileSystem, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

# datasets / huggingface_hub are imported before the fixtures set HF_ENDPOINT & co on purpose:
# `hub_env` must also patch the module constants they computed at import time.

SPLITS = ("train", "validation", "test")
REPO = "someuser/tiny_text"
PARQUET_EXPORT = "refs/convert/parquet"


def parquet_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"text": [text]}), buffer)
    return buffer.getvalue()


def parquet_export(tag: str) -> dict[str, bytes]:
    """The Hub's parquet-export layout: `{config}/{split}/0000.parquet`, one row per split."""
    return {f"default/{split}/0000.parquet": parquet_bytes(f"{tag} {split}") for split in SPLITS}


def texts(dataset_dict) -> dict[str, list[str]]:
    return {split: dataset_dict[split]["text"] for split in dataset_dict}


def expected_texts(tag: str) -> dict[str, list[str]]:
    return {split: [f"{tag} {split}"] for split in SPLITS}


def parquet_downloads(requests: list[tuple[str, str]]) -> list[str]:
    return [p for m, p in requests if m == "GET" and "/resolve/" in p and p.endswith(".parquet")]


def test_load_parquet_export(hub_env: HubStandin) -> None:
    sha = hub_env.add_dataset(REPO, parquet_export("export"), revision=PARQUET_EXPORT)

    ds = load_dataset(REPO, revision=PARQUET_EXPORT)

    assert isinstance(ds, DatasetDict)
    assert set(ds) == set(SPLITS)
    assert texts(ds) == expected_texts("export")
    assert len(sha) == 40 and int(sha, 16) >= 0
    # the client really went through the stand-in, with the revision url-encoded
    assert ("GET", f"/api/datasets/{REPO}/revision/refs%2Fconvert%2Fparquet") in hub_env.requests
    assert len(parquet_downloads(hub_env.requests)) == len(SPLITS)


def test_revision_pinning(hub_env: HubStandin) -> None:
    export_sha = hub_env.add_dataset(REPO, parquet_export("export"), revision=PARQUET_EXPORT)
    main_sha = hub_env.add_dataset(REPO, parquet_export("main"))
    assert export_sha != main_sha
    assert hub_env.add_dataset(REPO, parquet_export("main")) == main_sha  # content-derived

    assert texts(load_dataset(REPO, revision=PARQUET_EXPORT)) == expected_texts("export")
    assert texts(load_dataset(REPO, revision="main")) == expected_texts("main")
    assert texts(load_dataset(REPO, revision=main_sha)) == expected_texts("main")
    assert texts(load_dataset(REPO, revision=export_sha)) == expected_texts("export")


def test_second_load_reuses_cache(hub_env: HubStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    hub_env.add_dataset(REPO, parquet_export("export"), revision=PARQUET_EXPORT)
    assert texts(load_dataset(REPO, revision=PARQUET_EXPORT)) == expected_texts("export")
    assert len(parquet_downloads(hub_env.requests)) == len(SPLITS)

    # Online again: the revision is re-resolved, but no parquet bytes are downloaded again.
    seen = len(hub_env.requests)
    assert texts(load_dataset(REPO, revision=PARQUET_EXPORT)) == expected_texts("export")
    assert parquet_downloads(hub_env.requests[seen:]) == []

    # Offline: everything comes from the cache, the server sees nothing.
    set_hub_offline(monkeypatch)
    seen = len(hub_env.requests)
    assert texts(load_dataset(REPO, revision=PARQUET_EXPORT)) == expected_texts("export")
    assert hub_env.requests[seen:] == []


def test_missing_repo_or_revision(hub_env: HubStandin) -> None:
    with pytest.raises(DatasetNotFoundError, match="doesn't exist on the Hub"):
        load_dataset("someuser/no_such_dataset", revision=PARQUET_EXPORT)

    hub_env.add_dataset(REPO, parquet_export("export"), revision=PARQUET_EXPORT)
    with pytest.raises(DatasetNotFoundError, match="Revision 'no-such-branch' doesn't exist"):
        load_dataset(REPO, revision="no-such-branch")


def test_hub_client_primitives(hub_env: HubStandin) -> None:
    """The lower-level `huggingface_hub` calls behind `load_dataset`, and their error mapping."""
    files = {"README.md": b"# tiny\n", **parquet_export("export")}
    sha = hub_env.add_dataset(REPO, files, revision=PARQUET_EXPORT)
    api = HfApi()

    info = api.dataset_info(REPO, revision=PARQUET_EXPORT, files_metadata=True)
    assert info.sha == sha
    assert sorted(s.rfilename for s in info.siblings) == sorted(files)
    assert api.dataset_info(REPO, revision=sha).sha == sha

    tree = api.list_repo_tree(
        REPO, "default", recursive=True, revision=PARQUET_EXPORT, repo_type="dataset"
    )
    assert sorted(e.path for e in tree) == sorted(
        ["default/" + s for s in SPLITS] + [p for p in files if p.startswith("default/")]
    )

    path = hf_hub_download(REPO, "README.md", repo_type="dataset", revision=PARQUET_EXPORT)
    with open(path, "rb") as f:
        assert f.read() == files["README.md"]

    fs = HfFileSystem()
    with fs.open(f"datasets/{REPO}@{sha}/README.md", "rb") as f:  # ranged reads
        f.seek(2)
        assert f.read(4) == b"tiny"
    assert fs.info(f"datasets/{REPO}@{sha}/README.md")["size"] == len(files["README.md"])

    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("someuser/nope")
    with pytest.raises(RevisionNotFoundError):
        api.dataset_info(REPO, revision="nope")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(REPO, "nope.txt", repo_type="dataset", revision=PARQUET_EXPORT)
