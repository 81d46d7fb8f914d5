"""The UEA sets (JapaneseVowels, BasicMotions) from sktime's bundled .ts files: the reader
against sktime's own loader, the split rule written out again here, and the variable-length
path (padding at the end, labels read at each sequence's true last step) against the same
sequences run one by one without padding."""

import functools
import hashlib
import json
from importlib import resources

import numpy as np
import pytest
import torch
from helpers.cli import SMOKE, one_line_error, run_cli
from sktime.datasets import load_from_tsfile

from seqbench.data import fetch, registry
from seqbench.data.recordings import RecordingsDataModule
from seqbench.data.sources import ts_format, uea
from seqbench.errors import ConfigError, DataError
from seqbench.models import BACKBONES
from seqbench.tasks.classifier import Classifier

PROBLEMS = {"japanese_vowels": "JapaneseVowels", "basic_motions": "BasicMotions"}


def sktime_file(problem: str, part: str):
    return resources.files("sktime") / "datasets" / "data" / problem / f"{problem}_{part}.ts"


def reference(problem: str, part: str) -> tuple[list[np.ndarray], list[str]]:
    """sktime's own reading: each case as (steps, dimensions), its label as a string (sktime
    lower-cases every line it reads; seqbench keeps the archive's 'Standing')."""
    with resources.as_file(sktime_file(problem, part)) as path:
        x, y = load_from_tsfile(str(path), return_data_type="nested_univ")
    cases = [
        np.stack([np.asarray(x.iloc[i, d]) for d in range(x.shape[1])], axis=1)
        for i in range(len(x))
    ]
    return cases, [str(label) for label in y]


def held_out(labels: list[str], fraction: float, seed: int) -> set[int]:
    """The stated rule again: per class, round(fraction * n) lowest blake2b(seed, index)."""
    chosen: set[int] = set()
    for label in set(labels):
        members = [i for i, name in enumerate(labels) if name == label]
        key = lambda i: hashlib.blake2b(f"{seed}\x00{i}".encode(), digest_size=8).digest()  # noqa: E731
        chosen |= set(sorted(members, key=key)[: round(fraction * len(members))])
    return chosen


def rows(built, split: str) -> tuple[list[np.ndarray], list[int]]:
    data = built.splits[split].with_format("numpy")[:]
    return list(data["signal"]), [int(v) for v in data["label"]]


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw")
    fetch.fetch(list(PROBLEMS), folder)
    return folder


@pytest.mark.parametrize("problem", PROBLEMS.values())
def test_the_reader_gives_what_sktime_reads(problem):
    for part in ("TRAIN", "TEST"):
        cases, labels = reference(problem, part)
        parsed = ts_format.parse(sktime_file(problem, part).read_text(), part)
        assert parsed.problem == problem and [v.lower() for v in parsed.labels] == labels
        assert len(parsed.cases) == len(cases) > 0
        for mine, theirs in zip(parsed.cases, cases, strict=True):
            assert mine.shape == theirs.shape
            np.testing.assert_array_equal(mine, theirs)
    both = [c for part in ("TRAIN", "TEST") for c in reference(problem, part)[0]]
    steps = {len(c) for c in both}
    expected = (7, 29, 12) if problem == "JapaneseVowels" else (100, 100, 6)
    assert (min(steps), max(steps), both[0].shape[1]) == expected  # the archive's description


@pytest.mark.parametrize("name", PROBLEMS)
def test_test_is_the_archive_test_and_validation_is_carved_per_class_from_train(name):
    problem, built = PROBLEMS[name], registry.get(name).build()
    train_cases, train_labels = reference(problem, "TRAIN")
    test_cases, test_labels = reference(problem, "TEST")
    classes = built.splits["train"].features["label"].names
    held = held_out(train_labels, 0.2, 0)
    expected = {
        "train": [i for i in range(len(train_cases)) if i not in held],
        "validation": sorted(held),
    }
    for split, indices in expected.items():
        signals, labels = rows(built, split)
        assert [classes[label].lower() for label in labels] == [train_labels[i] for i in indices]
        for signal, i in zip(signals, indices, strict=True):
            np.testing.assert_array_equal(signal, train_cases[i].astype(np.float32))
    signals, labels = rows(built, "test")
    assert [classes[label].lower() for label in labels] == test_labels
    for signal, case in zip(signals, test_cases, strict=True):
        np.testing.assert_array_equal(signal, case.astype(np.float32))
    # every class keeps a fifth of its TRAIN cases for validation; no case in two splits
    _, validation = rows(built, "validation")
    assert sorted(np.bincount(validation).tolist()) == [
        round(0.2 * train_labels.count(c)) for c in sorted(set(train_labels))
    ]
    digests = [
        {hashlib.sha256(s.tobytes()).hexdigest() for s in rows(built, split)[0]}
        for split in ("train", "validation", "test")
    ]
    assert sum(map(len, digests)) == len(set().union(*digests))
    assert f"{problem}_TEST" in built.split_rule and "blake2b, seed 0" in built.split_rule


def test_fetch_twice_gives_the_same_content_hash(tmp_path):
    names = list(PROBLEMS)
    first, second = fetch.fetch(names, tmp_path / "a"), fetch.fetch(names, tmp_path / "b")
    for name in names:
        assert first[name]["content_hash"] == second[name]["content_hash"], name
        assert first[name]["files"] == second[name]["files"], name
    assert first["japanese_vowels"]["content_hash"] != first["basic_motions"]["content_hash"]
    provenance = json.loads((tmp_path / "a" / "japanese_vowels" / "provenance.json").read_text())
    built = registry.get("japanese_vowels").build()
    shortest = {s: min(len(r) for r in rows(built, s)[0]) for s in ("train", "validation", "test")}
    assert provenance["shortest_recording"] == shortest and min(shortest.values()) == 7


def test_normalisation_uses_the_real_train_steps_only(raw):
    module = RecordingsDataModule("japanese_vowels", raw, batch_size=8)
    module.setup("fit")
    cases, labels = reference("JapaneseVowels", "TRAIN")
    held = held_out(labels, 0.2, 0)
    train = [c.astype(np.float32) for i, c in enumerate(cases) if i not in held]
    steps = np.concatenate(train)  # every real step, no padding
    np.testing.assert_allclose(module.mean, steps.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(module.std, steps.std(axis=0) + 1e-6, rtol=1e-5)
    padded = np.zeros((len(train), 29, 12), np.float32)  # what a padded mean would be
    for i, case in enumerate(train):
        padded[i, : len(case)] = case
    assert not np.allclose(module.mean, padded.reshape(-1, 12).mean(axis=0), atol=1e-3)
    # a batch holds each recording normalised, then zeros after its own end
    x, _, lengths = module.datasets["train"].__getitems__([0, 5, 17])
    assert x.shape == (3, int(lengths.max()), 12) and lengths.tolist() == [
        len(train[i]) for i in (0, 5, 17)
    ]
    for row, i in enumerate((0, 5, 17)):
        n = len(train[i])
        expected = (train[i] - module.mean) / module.std
        np.testing.assert_allclose(x[row, :n].numpy(), expected, rtol=1e-5, atol=1e-5)
        assert (x[row, n:] == 0).all()
    info = module.info()
    assert info["window"] == 29 and info["variable_length"] is True and info["channels"] == 12


def classifier(name: str) -> Classifier:
    torch.manual_seed(0)
    info = {"kind": "sensor", "channels": 12, "classes": [str(c) for c in range(1, 10)]}
    return Classifier(
        backbone=functools.partial(BACKBONES[name], hidden_size=16),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info=info,
        embed_dim=8,
    ).eval()


@pytest.mark.parametrize("name", list(BACKBONES))
def test_a_padded_batch_gives_the_logits_of_each_sequence_alone(raw, name):
    module = RecordingsDataModule("japanese_vowels", raw, batch_size=8)
    module.setup("fit")
    data = module.datasets["test"]
    order = np.argsort(data.lengths, kind="stable")
    picks = [int(order[0]), int(order[len(order) // 2]), int(order[-1]), int(order[5])]
    x, _, lengths = data.__getitems__(picks)
    assert len(set(lengths.tolist())) >= 3  # lengths differ: the batch is padded
    task = classifier(name)
    with torch.no_grad():
        padded = task._outputs_for(task(x)[0], lengths)
        alone = torch.cat([task(x[i : i + 1, :n])[0][:, -1] for i, n in enumerate(lengths)])
        naive = task(x)[0][:, -1]  # the padded batch's last column
    torch.testing.assert_close(padded, alone, rtol=1e-4, atol=1e-5)
    shorter = lengths < lengths.max()
    assert not torch.allclose(naive[shorter], alone[shorter], atol=1e-4)  # padding would leak


def test_truncated_bptt_on_variable_lengths_is_refused_in_one_line(raw, tmp_path):
    task = classifier("gru")
    task.tbptt_steps = 5
    x = torch.zeros(2, 9, 12)
    with pytest.raises(ConfigError, match="cannot cut sequences of different lengths"):
        list(task._chunks(x, torch.zeros(2, dtype=torch.long), torch.tensor([9, 7])))
    result = run_cli(
        "seqbench.train", "model=gru", "data=japanese_vowels", "task.tbptt_steps=5",
        f"paths.raw_dir={raw}", f"paths.root_dir={tmp_path}", *SMOKE,
    )  # fmt: skip
    assert result.returncode == 2
    line = one_line_error(result)
    assert "task.tbptt_steps=5 cannot cut data.name=japanese_vowels's recordings" in line
    assert not (tmp_path / "outputs").exists()


def test_bad_input_is_one_line():
    with pytest.raises(DataError, match=r"source\.problem must be one of JapaneseVowels"):
        uea.build(problem="Vowels")
    with pytest.raises(DataError, match=r"source\.validation must be a fraction"):
        uea.build(problem="BasicMotions", validation=1.0)
    with pytest.raises(DataError, match="without a validation or a train case"):
        uea.build(problem="BasicMotions", validation=0.01)
    header = "@problemName P\n@dimensions 2\n@classLabel true a b\n@data\n"
    with pytest.raises(DataError, match="line 5 has 1 dimensions and label 'a'"):
        ts_format.parse(header + "1,2:a\n", "f.ts")
    with pytest.raises(DataError, match=r"line 5 has dimensions of \[1, 2\] steps"):
        ts_format.parse(header + "1:2,3:b\n", "f.ts")
    with pytest.raises(DataError, match="line 5: could not convert"):
        ts_format.parse(header + "1:x:b\n", "f.ts")
    with pytest.raises(DataError, match="@timestamps true is not supported"):
        ts_format.parse("@timeStamps true\n" + header + "1:2:a\n", "f.ts")
    with pytest.raises(DataError, match="no @data line"):
        ts_format.parse("@problemName P\n", "f.ts")
    parsed = ts_format.parse(header + "1,2:3,4:b\n", "f.ts")
    assert parsed.labels == ["b"] and parsed.cases[0].tolist() == [[1, 3], [2, 4]]


@pytest.mark.slow
@pytest.mark.parametrize("name", PROBLEMS)
def test_each_set_fetches_and_trains_at_smoke_size_from_the_command_line(tmp_path, name):
    raw = tmp_path / "raw"
    fetched = run_cli("seqbench.cli", "fetch", name, "--raw-dir", str(raw))
    assert fetched.returncode == 0, fetched.stderr
    trained = run_cli(
        "seqbench.train", "model=gru", f"data={name}", f"paths.raw_dir={raw}",
        f"paths.root_dir={tmp_path}", *SMOKE, timeout=300,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    out = json.loads((tmp_path / "outputs" / name / "gru" / "0" / "metrics.json").read_text())
    assert out["status"] == "finished" and out["monitor"] == "val/acc"
    assert 0 <= out["test"]["test/acc"] <= 1
    assert (tmp_path / "outputs" / name / "gru" / "0" / "gradient_flow.csv").is_file()


def test_validation_metrics_read_each_padded_sequence_at_its_own_end(raw):
    module = RecordingsDataModule("japanese_vowels", raw, batch_size=64)
    module.setup("fit")
    x, y, lengths = next(iter(module.val_dataloader()))
    assert len(set(lengths.tolist())) > 3
    task = classifier("lstm")
    with torch.no_grad():
        task._evaluate((x, y, lengths), task.val_metrics)
        alone = torch.stack([task(x[i : i + 1, :n])[0][0, -1] for i, n in enumerate(lengths)])
    acc = (alone.argmax(-1) == y).float().mean()
    torch.testing.assert_close(task.val_metrics.compute()["acc"], acc)
