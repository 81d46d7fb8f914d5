"""A dataset of your own is one config file in your config folder: a Hub text repo with only
a train split, a Hub sensor repo with subjects, local CSV and Parquet recordings, each split by
a rule and fetched with the real `datasets` client (against the local Hub stand-in), pyarrow
and Hydra; and once end to end: `seqbench fetch --pin`, then `seqbench-train data=<name>`."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from datasets import load_from_disk
from helpers.cli import ROOT, SMOKE, run_cli
from helpers.hub_standin import HubStandin, hub_env, hub_standin  # noqa: F401
from helpers.own_data import FRACTIONS, data_config, parquet, recordings, sensor_source, write_csvs

from seqbench.data import fetch, registry, splits
from seqbench.data.text import CharLMDataModule
from seqbench.errors import DataError

SPLITS = ("train", "validation", "test")
DATA_DOC = (ROOT / "docs" / "data.md").read_text()  # where the own-data examples live


def test_hub_text_repo_with_only_a_train_split_is_split_by_document(hub_env: HubStandin, tmp_path):
    documents = [f"Document {i}: " + "abc " * (i + 1) for i in range(40)]
    part = ["train"] * 30 + ["validation"] * 5 + ["test"] * 5
    files = {"data/train-0.parquet": parquet({"body": documents, "part": part})}
    sha = hub_env.add_dataset("me/corpus", files)
    source = {"_target_": "seqbench.data.sources.hub.text", "repo": "me/corpus"}
    source |= {"revision": "main", "column": "body"}
    conf = data_config(tmp_path / "conf", "corpus", {"source": source, "split": {"by": "document"}})
    provenance = fetch.fetch(["corpus"], tmp_path / "raw", [conf])["corpus"]
    assert provenance["source"] == {
        "type": "hub",
        "repo": "me/corpus",
        "revision": "main",
        "sha": sha,
    }
    assert provenance["split_rule"].startswith("the repo's train split, by document: by seeded")
    data = load_from_disk(str(tmp_path / "raw" / "corpus"))
    got = {s: list(data[s]["text"]) for s in SPLITS}
    assert sorted(t for s in SPLITS for t in got[s]) == sorted(documents)  # each in one split
    assert all(got.values()) and len(got["train"]) > len(got["test"])

    # without a split rule the repo must bring its own three splits: one line says how to add one
    data_config(conf, "plain", {"source": source})
    with pytest.raises(DataError, match=r"has no validation, test split .* split: \{by: document"):
        fetch.fetch(["plain"], tmp_path / "raw", [conf])
    # a column the repo lacks is named with the columns it has
    data_config(conf, "typo", {"source": source | {"column": "text"}, "split": {"by": "document"}})
    with pytest.raises(DataError, match=r"no column 'text' .*its columns: body, part"):
        fetch.fetch(["typo"], tmp_path / "raw", [conf])
    # or a column names each document's split
    data_config(conf, "parts", {"source": source, "split": {"by": "column", "column": "part"}})
    by_column = fetch.fetch(["parts"], tmp_path / "raw", [conf])["parts"]
    assert by_column["rows"] == {"train": 30, "validation": 5, "test": 5}
    assert load_from_disk(str(tmp_path / "raw" / "parts"))["test"]["text"] == documents[35:]


def test_hub_sensor_repo_with_subjects_split_by_subject(hub_env: HubStandin, tmp_path):
    rows = recordings(subjects=8)
    hub_env.add_dataset("lab/walks", {"data/train.parquet": parquet(rows)})
    source = sensor_source("") | {"_target_": "seqbench.data.sources.hub.sensor"}
    del source["files"]
    source |= {"repo": "lab/walks", "revision": "main"}
    split = {"by": "subject", "fractions": FRACTIONS, "seed": 0}
    conf = data_config(tmp_path / "conf", "walks", {"source": source, "split": split})
    provenance = fetch.fetch(["walks"], tmp_path / "raw", [conf])["walks"]
    data = load_from_disk(str(tmp_path / "raw" / "walks"))
    people = {s: set(data[s]["subject"]) for s in SPLITS}
    assert all(people.values()) and not (people["train"] & (people["validation"] | people["test"]))
    assert not people["validation"] & people["test"]
    assert sum(provenance["rows"].values()) == 8 * 2 * 2  # a recording: one session, one label
    assert data["train"].with_format("numpy")[0]["signal"].shape == (60, 3)
    assert provenance["channels"] == ["acc_x", "acc_y", "acc_z"]
    assert provenance["sample_rate_hz"] == 50 and provenance["source"]["repo"] == "lab/walks"


@pytest.mark.parametrize("form", ["csv", "parquet", "jsonl"])
def test_local_recordings_by_glob_split_by_recording_or_column(form, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the glob is relative to the folder seqbench runs in
    rows = recordings(subjects=6)
    if form == "csv":
        write_csvs(tmp_path / "recordings", rows)
        split, files = {"by": "recording", "fractions": FRACTIONS, "seed": 3}, "recordings/*.csv"
    elif form == "jsonl":  # JSON lines, two files, recordings never spanning them
        (tmp_path / "recordings").mkdir()
        lines = [
            json.dumps(dict(zip(rows, values, strict=True)))
            for values in zip(*rows.values(), strict=True)
        ]
        half = len(lines) // 2
        for i, chunk in enumerate((lines[:half], lines[half:])):
            (tmp_path / "recordings" / f"part{i}.jsonl").write_text("\n".join(chunk) + "\n")
        split, files = {"by": "subject", "fractions": FRACTIONS}, "recordings/*.jsonl"
    else:
        named = {f"p{i}": s for i, s in enumerate(["train"] * 4 + ["validation", "test"])}
        rows["part"] = [named[p] for p in rows["subject"]]
        (tmp_path / "recordings").mkdir()
        pq.write_table(pa.table(rows), tmp_path / "recordings" / "all.parquet")
        split, files = {"by": "column", "column": "part"}, "recordings/*.parquet"
    conf = data_config(tmp_path / "conf", "mine", {"source": sensor_source(files), "split": split})
    provenance = fetch.fetch(["mine"], tmp_path / "raw", [conf])["mine"]
    data = load_from_disk(str(tmp_path / "raw" / "mine"))
    checksums = provenance["source"]["md5"]
    assert sorted(checksums) == sorted(p.relative_to(tmp_path).as_posix()
                                       for p in (tmp_path / "recordings").iterdir())  # fmt: skip
    assert provenance["rows"]["train"] and provenance["rows"]["test"]
    assert sum(provenance["rows"].values()) == 6 * 2 * 2
    assert data["test"].features["label"].names == ["sitting", "walking"]
    if form == "parquet":
        assert provenance["split_rule"].startswith("by the column 'part'")
        assert set(data["validation"]["subject"]) == {4}  # p4, by its index among subjects
    # the same files give the same snapshot; a changed file changes its recorded md5
    again = fetch.fetch(["mine"], tmp_path / "raw2", [conf])["mine"]
    assert again["content_hash"] == provenance["content_hash"]


def test_split_rules_refuse_what_cannot_work():
    allowed = ("subject", "recording", "column")
    assert splits.check_rule({"by": "subject"}, allowed, "x")["fractions"] == {
        "train": 0.8,
        "validation": 0.1,
        "test": 0.1,
    }
    for rule, says in [
        (None, "add a rule: split: {by: subject"),
        ({"by": "document"}, "split.by='document' is not a rule here"),
        ({"by": "column"}, "needs split.column"),
        ({"by": "subject", "seed": -1}, "split.seed"),
        ({"by": "subject", "fraction": {}}, "not fraction"),
        ({"by": "subject", "fractions": {"train": 0.9, "validation": 0.1, "test": 0.1}}, "sum"),
    ]:
        with pytest.raises(DataError, match=says.replace("{", r"\{")):
            splits.check_rule(rule, allowed, "x")
    with pytest.raises(DataError, match="also holds 'val'"):
        splits.by_column(["train", "val", "test"], "part")
    with pytest.raises(DataError, match="the validation split is empty"):
        splits.by_column(["train", "test"], "part")


def test_every_shipped_dataset_is_a_config_file_naming_an_allowed_builder():
    specs = {spec.name: spec for spec in registry.all_specs()}
    probes = {"selective_copy", "induction", "mqar", "parity"}
    shipped = {"shakespeare", "watch", "adding", "copy", "tiny_shakespeare", "harth"}
    classic = {"digits", "digits_permuted", "mnist1d", "mnist1d_shuffled"}
    classic |= {"japanese_vowels", "basic_motions"}
    forecast = {"airline", "watch_forecast", "etth1"}
    anomaly = {"mitdb", "yahoo"}
    texts = {"tweet_sentiment", "sst2"}
    assert set(specs) == shipped | probes | classic | forecast | anomaly | texts
    assert {specs[name].kind for name in texts} == {"text_classify"}
    assert {specs[name].kind for name in probes} == {"ability"}
    assert {specs[name].kind for name in forecast} == {"forecast"}
    assert {specs[name].kind for name in anomaly} == {"anomaly"}
    assert {n for n, s in specs.items() if s.default} == {"shakespeare", "watch", "adding", "copy"}
    assert registry.get("copy-T50").build.keywords == {"task": "copy", "length": 50}


def readme_config(folder: Path, name: str) -> Path:
    """The example ``my_conf/data/<name>.yaml`` of docs/data.md ("Your own data"), verbatim,
    written into ``folder``/data: the file a user copies must work as it stands."""
    found = re.search(rf"```yaml\n# my_conf/data/{name}\.yaml\n(.*?)```", DATA_DOC, re.DOTALL)
    assert found, f"docs/data.md has no example my_conf/data/{name}.yaml"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / f"{name}.yaml").write_text(found.group(1))
    return folder


def test_the_readme_text_example_fetches_a_train_only_hub_repo(hub_env: HubStandin, tmp_path):
    documents = [f"Doc {i}.\n" + "word " * i for i in range(30)]
    hub_env.add_dataset("my-user/my-corpus", {"data/train.parquet": parquet({"text": documents})})
    conf = readme_config(tmp_path / "my_conf", "my_corpus")
    provenance = fetch.fetch(["my_corpus"], tmp_path / "raw", [conf])["my_corpus"]
    assert sum(provenance["rows"].values()) == 30 and all(provenance["rows"].values())
    assert provenance["kind"] == "text" and "by document" in provenance["split_rule"]


@pytest.mark.slow
def test_own_sensor_data_end_to_end_fetch_pin_and_train(tmp_path):
    """What a user does: docs/data.md's sensor example in a config folder and CSV files in a DVC
    project, `seqbench fetch NAME --config-dir my_conf --pin`, then `seqbench-train
    data=NAME` through Hydra's search path (a relative one, as docs/data.md writes it)."""
    write_csvs(tmp_path / "recordings", recordings(subjects=8, samples=120))
    readme_config(tmp_path / "my_conf", "my_sensors")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB", "SEQBENCH"))}
    env |= {"WANDB_MODE": "offline"}
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=tmp_path, check=True)
    fetched = run_cli("seqbench.cli", "fetch", "my_sensors", "--config-dir", "my_conf", "--pin",
                      env=env, cwd=tmp_path, timeout=300)  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    pins = yaml.safe_load((tmp_path / "data.dvc").read_text())["meta"]["datasets"]
    provenance = json.loads((tmp_path / "data/raw/my_sensors/provenance.json").read_text())
    assert pins == {"my_sensors": provenance["content_hash"]}
    assert provenance["split_rule"].startswith("by subject: by seeded hash")
    trained = run_cli(
        "seqbench.train",
        "hydra.searchpath=[file://my_conf]",
        "data=my_sensors",
        "data.batch_size=8",  # a few dozen windows: the default 64 is refused in one line
        "model=gru",
        *SMOKE,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    metrics = json.loads((tmp_path / "outputs/my_sensors/gru/0/metrics.json").read_text())
    assert metrics["status"] == "finished" and metrics["data_content_hash"] == pins["my_sensors"]


def test_the_readme_local_text_example_fetches_and_reads_bytes(tmp_path, monkeypatch):
    """docs/data.md's local-text example as written: books/*.txt, one document each, split by
    document, and its DataModule reads byte ids as the file sets ``vocab: byte``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "books").mkdir()
    for i in range(30):
        (tmp_path / "books" / f"book{i}.txt").write_text(f"Buch {i}: Grüße. " * 40)
    conf = readme_config(tmp_path / "my_conf", "my_books")
    provenance = fetch.fetch(["my_books"], tmp_path / "raw", [conf])["my_books"]
    assert sum(provenance["rows"].values()) == 30 and all(provenance["rows"].values())
    assert "by document" in provenance["split_rule"]
    assert len(provenance["source"]["files"]) == 30
    data = yaml.safe_load((conf / "data" / "my_books.yaml").read_text())
    module = CharLMDataModule("my_books", tmp_path / "raw", seq_len=32, vocab=data["vocab"])
    module.setup()
    assert module.vocab_size == 256
    assert "Grüße".encode() in bytes(module.datasets["train"].ids[:2000].tolist())


def test_od19_a_glob_walks_a_stated_number_of_folders_with_progress(tmp_path, monkeypatch):
    from seqbench.data.sources import globbing

    for i in range(12):
        (tmp_path / f"d{i}" / "deeper").mkdir(parents=True)
    (tmp_path / "d3" / "deeper" / "x.csv").write_text("a\n1\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "y.csv").write_text("a\n1\n")
    assert globbing.find("**/*.csv", tmp_path) == ["d3/deeper/x.csv"]  # glob's names and rules
    assert globbing.find("d*/deeper/*.csv", tmp_path) == ["d3/deeper/x.csv"]
    assert globbing.find(".hidden/*.csv", tmp_path) == [".hidden/y.csv"]
    heard = []
    monkeypatch.setattr(globbing, "MAX_FOLDERS", 10)
    with globbing.reporting(heard.append), pytest.raises(DataError, match="searched 10 folders"):
        globbing.find("**/nothing*.csv", tmp_path)
    monkeypatch.setattr(globbing, "MAX_FOLDERS", 10_000)
    (tmp_path / "many").mkdir()
    for i in range(600):
        (tmp_path / "many" / str(i)).mkdir()
    with globbing.reporting(heard.append):
        assert globbing.find("**/nothing*.csv", tmp_path) == []
    assert heard == [500]  # progress every 500 folders
    with pytest.raises(DataError, match="whole file system from /"):
        globbing.find("/**/zzzqq*.csv", tmp_path)


@pytest.mark.slow
def test_x02_fetching_an_unpinned_dataset_leaves_data_dvc_and_dvc_status_clean(raw_dir, tmp_path):
    """X02: `seqbench fetch adding-T50` in a DVC project writes data/extra, not the pinned
    data/raw, so data.dvc and `dvc status data.dvc` stay as they were and `dvc repro` has
    nothing to re-commit; training on it works. A deleted data.dvc is refused, and
    `seqbench fetch --pin`, as the refusal says, pins the data again."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(raw_dir, project / "data" / "raw")
    shutil.copy(ROOT / "data.dvc", project / "data.dvc")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB", "SEQBENCH"))}
    env |= {"WANDB_MODE": "offline", "HOME": str(tmp_path / "home")}
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=project, check=True)
    assert fetch.dvc_status(project) == {}  # fills the DVC cache, as a fresh clone's fetch does
    pinned = (project / "data.dvc").read_text()

    fetched = run_cli("seqbench.cli", "fetch", "adding-T50", env=env, cwd=project, timeout=300)
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    assert "data/extra/adding-T50" in fetched.stdout
    assert not (project / "data" / "raw" / "adding-T50").exists()
    status = subprocess.run(
        [sys.executable, "-m", "dvc", "status", "data.dvc"],
        cwd=project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "changed" not in status.stdout and "up to date" in status.stdout, status.stdout
    assert (project / "data.dvc").read_text() == pinned

    trained = run_cli("seqbench.train", "data=adding", "data.name=adding-T50", "model=gru",
                      *SMOKE, env=env, cwd=project, timeout=600)  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-3000:]
    metrics = json.loads((project / "outputs/adding-T50/gru/0/metrics.json").read_text())
    extra = json.loads((project / "data/extra/adding-T50/provenance.json").read_text())
    assert metrics["status"] == "finished"
    assert metrics["data_content_hash"] == extra["content_hash"]
    assert (project / "data.dvc").read_text() == pinned

    (project / "data.dvc").unlink()
    refused = run_cli("seqbench.cli", "describe", env=env, cwd=project)
    assert refused.returncode == 2 and "data.dvc is missing" in refused.stderr
    repinned = run_cli("seqbench.cli", "fetch", "--pin", env=env, cwd=project, timeout=600)
    assert repinned.returncode == 0, repinned.stderr[-3000:]
    assert yaml.safe_load((project / "data.dvc").read_text()) == yaml.safe_load(pinned)
    assert run_cli("seqbench.cli", "describe", env=env, cwd=project).returncode == 0
