"""Text at any size: token ids built once at fetch time and memory-mapped, the byte
vocabulary, remembered md5s that still catch a tampered file, and local text files."""

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from datasets import load_from_disk
from helpers.cli import ROOT

from seqbench.data import snapshot, stamps, tokens
from seqbench.data.sources import text_files
from seqbench.data.text import BYTE, CharLMDataModule, decode, encode
from seqbench.errors import DataError
from seqbench.lessons.exposure_bias.generation import generate
from seqbench.models import BACKBONES
from seqbench.tasks.language_model import LanguageModel


def test_id_arrays_equal_the_in_memory_encoding(raw_dir):
    documents = load_from_disk(str(raw_dir / "shakespeare"))
    for vocab in ("char", "byte"):
        dm = CharLMDataModule("shakespeare", raw_dir, seq_len=64, batch_size=8, vocab=vocab)
        dm.setup("fit")
        for split, windows in dm.datasets.items():
            assert isinstance(windows.ids, np.memmap)
            joined = "\n".join(documents[split]["text"])
            assert np.array_equal(windows.ids, encode(joined, dm.vocab)), (vocab, split)
    assert dm.vocab_size == 256 and dm.info()["vocab"] == BYTE
    counts = np.bincount(dm.datasets["train"].ids, minlength=256)
    p = counts[counts > 0] / counts.sum()
    assert dm.info()["baseline"] == pytest.approx(-(p * np.log(p)).sum())


def test_byte_vocabulary_round_trips_any_text():
    text = "ROMEO: naïve 東京 — Ωmega\n"
    ids = encode(text, BYTE)
    assert ids.dtype == np.uint8 and len(ids) == len(text.encode()) and ids.max() < 256
    assert decode(ids.tolist(), BYTE) == text
    assert decode([*ids[:-3].tolist(), 0xE6], BYTE).endswith("\ufffd")  # cut mid-character


def test_a_byte_model_generates_valid_text():
    torch.manual_seed(0)
    task = LanguageModel(
        backbone=functools.partial(BACKBONES["gru"], hidden_size=16),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={"kind": "text", "vocab": BYTE, "vocab_size": 256, "seq_len": 32},
        embed_dim=8,
    )
    text = generate(task, "東京 ROMEO:", chars=40, top_k=None, temperature=2.0)
    assert isinstance(text, str) and text.encode("utf-8").decode("utf-8") == text
    assert 0 < len(text.encode("utf-8", "surrogatepass")) <= 40 * 3


def test_tampered_id_array_is_refused_though_md5s_are_remembered(raw_dir, tmp_path, monkeypatch):
    raw = tmp_path / "data" / "raw"
    copy = raw / "shakespeare"
    shutil.copytree(raw_dir / "shakespeare", copy)
    monkeypatch.setattr(stamps, "RACY_S", 0.0)  # the copy is fresh; trust its stamps anyway
    hashed = []
    real_md5 = snapshot.file_md5
    monkeypatch.setattr(snapshot, "file_md5", lambda path: hashed.append(path) or real_md5(path))
    snapshot.verify("shakespeare", raw, pinned=False)
    assert len(hashed) == len(json.loads((copy / snapshot.PROVENANCE).read_text())["files"])
    hashed.clear()
    snapshot.verify("shakespeare", raw, pinned=False)
    assert hashed == []  # remembered: start-up does not read the corpus through
    target = copy / tokens.IDS / "char" / "train.npy"
    before = target.stat()
    with target.open("r+b") as handle:  # one byte changed, size and mtime kept
        handle.seek(-1, os.SEEK_END)
        last = handle.read(1)
        handle.seek(-1, os.SEEK_END)
        handle.write(bytes([last[0] ^ 1]))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(DataError, match=r"ids/char/train\.npy"):
        snapshot.verify("shakespeare", raw, pinned=False)


def test_the_same_content_copied_anew_is_remembered_anew(raw_dir, tmp_path, monkeypatch):
    """Stamps left by an earlier copy at the same path (a reused temporary folder, a restored
    backup) hold the same md5s with old inodes and ctimes: they are replaced, not kept, so the
    next start-up does not read the corpus through again."""
    raw = tmp_path / "data" / "raw"
    copy = raw / "shakespeare"
    monkeypatch.setattr(stamps, "RACY_S", 0.0)
    shutil.copytree(raw_dir / "shakespeare", copy)
    snapshot.verify("shakespeare", raw, pinned=False)
    shutil.rmtree(copy)
    shutil.copytree(raw_dir / "shakespeare", copy)  # same bytes, new files
    hashed = []
    real_md5 = snapshot.file_md5
    monkeypatch.setattr(snapshot, "file_md5", lambda path: hashed.append(path) or real_md5(path))
    snapshot.verify("shakespeare", raw, pinned=False)
    assert hashed  # the old stamps do not match the new files
    hashed.clear()
    snapshot.verify("shakespeare", raw, pinned=False)
    assert hashed == []


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    (folder / "more").mkdir(parents=True)
    for i in range(30):
        (folder / ("more" if i % 2 else "") / f"doc{i:02d}.txt").write_text(f"doc {i} é\n" * 20)
    lines = [json.dumps({"id": i, "body": f"line {i} ü"}) for i in range(60)]
    (folder / "rows.jsonl").write_text("\n".join(lines) + "\n\n")
    return folder


def test_text_files_split_by_document_with_checksums(corpus, tmp_path):
    built = text_files.build("**/*.txt", root=corpus, seed=3)
    documents = {s: built.splits[s]["document"] for s in built.splits}
    assert sum(map(len, documents.values())) == 30 and all(documents.values())
    assert len({d for docs in documents.values() for d in docs}) == 30  # none in two splits
    assert "seed 3" in built.split_rule and len(built.source["files"]) == 30
    assert built.source["files"]["more/doc01.txt"] == snapshot.file_md5(corpus / "more/doc01.txt")
    rows = text_files.build("*.jsonl", text_column="body", root=corpus)
    assert sum(len(s) for s in rows.splits.values()) == 60
    assert rows.splits["train"][0]["text"].startswith("line ")
    hashes = []
    for attempt in range(2):  # rebuilt byte for byte
        built = text_files.build("**/*.txt", root=corpus, seed=3)
        written = snapshot.write("mine", "text", "mine", built, tmp_path / f"raw{attempt}")
        hashes.append(written["content_hash"])
    assert hashes[0] == hashes[1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pattern": "*.md"}, "no files match '*.md'"),
        ({"pattern": "*.jsonl", "text_column": "text"}, "has no text column 'text'"),
        ({"pattern": "*.bin"}, "is not UTF-8 text"),
        ({"pattern": "**/*.txt", "fractions": {"train": 0.5, "test": 0.5}}, "must name exactly"),
        ({"pattern": "doc00.txt"}, "split is empty"),
    ],
)
def test_text_files_refusals_say_what_to_do(corpus, kwargs, message):
    (corpus / "bad.bin").write_bytes(b"ok \xff\xfe")
    with pytest.raises(DataError, match=message.replace("*", r"\*")):
        text_files.build(root=corpus, **kwargs)


@pytest.mark.slow
def test_100_mb_corpus_starts_in_bounded_memory_with_the_right_ids(tmp_path):
    """Start-up (snapshot check + memory-map + first step) in its own process stays far below
    the old ~30x-corpus path; the ids are the corpus's own bytes and characters."""
    spec = importlib.util.spec_from_file_location("scale", ROOT / "benchmarks/data_scale.py")
    scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale)
    size = scale.write_corpus(tmp_path / "corpus", 100)
    built = text_files.build("corpus/*.txt", root=tmp_path)
    snapshot.write("corpus", "text", "generated", built, tmp_path / "raw")
    script = [sys.executable, str(ROOT / "benchmarks/data_scale.py"), "--child", "startup"]
    out = subprocess.run([*script, "--dir", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    started = json.loads(out.stdout.splitlines()[-1])
    assert started["peak_bytes"] < 2.5 * size, started  # the old path needed ~30x
    folder = tmp_path / "raw" / "corpus"
    documents = load_from_disk(str(folder))["validation"]["text"]
    ids, _ = tokens.load(folder, "corpus", "byte")
    assert bytes(ids["validation"]) == "\n".join(documents).encode()
    char_ids, _ = tokens.load(folder, "corpus", "char")
    vocab = snapshot.load_vocab("corpus", tmp_path / "raw")
    assert np.array_equal(char_ids["validation"], encode("\n".join(documents), vocab))
    assert (
        len(ids["train"]) + len(ids["validation"]) + len(ids["test"])
        == size + len(built.source["files"]) - 3
    )


def test_text_files_is_a_config_file_source(corpus, monkeypatch):
    from seqbench.data import registry

    assert registry.BUILDERS["seqbench.data.sources.text_files.text"][1] == "text"
    monkeypatch.chdir(corpus)
    built = text_files.text("**/*.txt", split={"by": "document", "seed": 3})
    assert sum(len(s) for s in built.splits.values()) == 30 and "seed 3" in built.split_rule
    with pytest.raises(DataError, match="has no train/validation/test splits"):
        text_files.text("**/*.txt")
