"""Refusals around data and files: a damaged or tampered snapshot, a damaged data.dvc, an
empty split, a file where a folder must be, a folder this user may not read or write (see
tests/helpers/refusals.py for what every case asserts: the exit code, one error line, no traceback,
and no file that existed changed; ``writes=True``: a claimed run folder may record why)."""

import json
import os
import shutil
import subprocess

import pytest
import yaml
from helpers.own_data import FRACTIONS, data_config, recordings, sensor_source, write_csvs
from helpers.refusals import TRAIN, Case, check, seqbench

from seqbench.data import fetch, snapshot, tokens
from seqbench.errors import DataError

ARGV = {  # a new run per dataset (copy/gru/0 is the template's finished run)
    "copy": (*TRAIN, "data=copy", "model=lstm", "budget=smoke"),
    "adding": (*TRAIN, "data=adding", "model=gru", "budget=smoke"),
    "watch": (*TRAIN, "data=watch", "model=gru", "budget=smoke"),
    "shakespeare": (*TRAIN, "data=shakespeare", "model=gru", "budget=smoke"),
}
PINNED = "data.dvc pins"  # the pin check's words


def raw(project, name):
    return project / "data" / "raw" / name


def edit_provenance(name, change):
    """A prepare step: ``change`` (a dict -> None or a new object) applied to provenance.json."""

    def prepare(project):
        path = raw(project, name) / snapshot.PROVENANCE
        loaded = json.loads(path.read_text())
        changed = change(loaded)
        path.write_text(json.dumps(loaded if changed is None else changed))

    return prepare


def without(name, key):
    return edit_provenance(name, lambda provenance: provenance.pop(key) and None)


def rebuild(name, change, hash_too=True, unpin=False, rows=True):
    """A prepare step: the snapshot's data changed (``change``: DatasetDict -> DatasetDict)
    and provenance.json rewritten to match it, every md5 and (``hash_too``) the content hash
    too, as someone covering their tracks would (``rows``: the row counts as well); ``unpin``
    also drops data.dvc's pin."""

    def prepare(project):
        from datasets import load_from_disk

        folder, staging = raw(project, name), raw(project, f".{name}.new")
        changed = change(load_from_disk(str(folder)))
        changed.save_to_disk(str(staging))
        if (folder / snapshot.VOCAB).exists():  # a text snapshot: its vocab and token ids
            shutil.copy(folder / snapshot.VOCAB, staging / snapshot.VOCAB)
            shutil.copytree(folder / tokens.IDS, staging / tokens.IDS)
        provenance = json.loads((folder / snapshot.PROVENANCE).read_text())
        provenance["files"] = snapshot.file_hashes(staging)
        if rows:
            provenance["rows"] = {split: len(data) for split, data in changed.items()}
        if hash_too:
            provenance["content_hash"] = snapshot.content_hash(provenance)
        (staging / snapshot.PROVENANCE).write_text(json.dumps(provenance))
        shutil.rmtree(folder)
        staging.rename(folder)
        if unpin:
            pins = yaml.safe_load((project / "data.dvc").read_text())
            del pins["meta"]["datasets"][name]
            (project / "data.dvc").write_text(yaml.safe_dump(pins))

    return prepare


def fewer_train_rows(splits):
    splits["train"] = splits["train"].select(range(len(splits["train"]) // 2))
    return splits


def empty(split):
    def change(splits):
        splits[split] = splits[split].select([])
        return splits

    return change


def no_test_split(splits):
    del splits["test"]
    return splits


def write(relative, content=b"x\n"):
    """A prepare step: a file at ``relative`` (replacing a folder there)."""

    def prepare(project):
        path = project / relative
        if path.is_dir():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    return prepare


def remove(relative):
    return lambda project: (project / relative).unlink()


def repin(name, value="0" * 32):
    def prepare(project):
        pins = yaml.safe_load((project / "data.dvc").read_text())
        pins["meta"]["datasets"][name] = value
        (project / "data.dvc").write_text(yaml.safe_dump(pins))

    return prepare


def cover_tracks(name, flip=True, change=None):
    """A prepare step, as the hostile tester did it: one byte of an Arrow file flipped
    (``flip``) and/or a provenance fact changed (``change``: dict -> None), then every md5 and
    the content hash in provenance.json rewritten to match."""

    def prepare(project):
        folder = raw(project, name).resolve()
        if flip:
            arrow = sorted((folder / "train").glob("*.arrow"))[0]
            data = bytearray(arrow.read_bytes())
            data[-200] ^= 0x01  # in the last record batch's values
            arrow.write_bytes(bytes(data))
        provenance = json.loads((folder / snapshot.PROVENANCE).read_text())
        if change is not None:
            change(provenance)
        provenance["files"] = snapshot.file_hashes(folder)
        provenance["content_hash"] = snapshot.content_hash(provenance)
        (folder / snapshot.PROVENANCE).write_text(json.dumps(provenance))

    return prepare


ELSEWHERE = "../elsewhere/raw"  # beside the project: where a moved data/raw really lives


def moved(link_dataset=None):
    """A prepare step: data/raw (or only ``link_dataset`` in it) moved out of the project and
    linked back."""

    def prepare(project):
        target = project.parent / "elsewhere" / "raw"
        target.parent.mkdir(parents=True, exist_ok=True)
        source = raw(project, link_dataset) if link_dataset else project / "data" / "raw"
        if link_dataset:
            target.mkdir()
            target = target / link_dataset
        shutil.move(str(source), target)
        source.symlink_to(target, target_is_directory=True)

    return prepare


def steps(*prepares):
    def prepare(project):
        for step in prepares:
            step(project)

    return prepare


def dvc_project_without(pin_file_text=None):
    """A prepare step: the project is a DVC project (``.dvc/``) and data.dvc is gone
    (``pin_file_text``: replaced by this instead)."""

    def prepare(project):
        (project / ".dvc").mkdir(exist_ok=True)
        (project / "data.dvc").unlink()
        if pin_file_text is not None:
            (project / "data.dvc").write_text(pin_file_text)

    return prepare


TAMPERED = [
    Case(
        "copy-data-and-its-md5s-changed",
        ARGV["copy"],
        PINNED,
        prepare=rebuild("copy", fewer_train_rows),
        writes=True,
    ),
    Case(
        "watch-data-and-its-md5s-changed",
        ARGV["watch"],
        PINNED,
        prepare=rebuild("watch", fewer_train_rows),
        writes=True,
    ),
    Case(
        "adding-data-and-its-md5s-changed",
        ARGV["adding"],
        PINNED,
        prepare=rebuild("adding", fewer_train_rows),
        writes=True,
    ),
    Case(
        "shakespeare-data-and-its-md5s-changed",
        ARGV["shakespeare"],
        PINNED,
        prepare=rebuild("shakespeare", fewer_train_rows),
        writes=True,
    ),
    Case(
        "md5s-changed-but-not-the-content-hash",
        ARGV["copy"],
        "provenance.json says",
        prepare=rebuild("copy", fewer_train_rows, hash_too=False),
        writes=True,
    ),
    Case(
        "content-hash-alone-changed",
        ARGV["watch"],
        "provenance.json says",
        prepare=edit_provenance("watch", lambda p: p.update(content_hash="0" * 32)),
        writes=True,
    ),
    Case(
        "vocab-changed-without-its-md5",
        ARGV["shakespeare"],
        "vocab.json",
        prepare=write("data/raw/shakespeare/vocab.json", b'["a"]'),
        writes=True,
    ),
    Case(
        "a-data-file-deleted",
        ARGV["adding"],
        "modified since it was built",
        prepare=remove("data/raw/adding/dataset_dict.json"),
        writes=True,
    ),
    Case(
        "a-file-added-to-a-snapshot",
        ARGV["watch"],
        "notes.txt",
        prepare=write("data/raw/watch/notes.txt"),
        writes=True,
    ),
    Case("data-dvc-pins-other-content", ARGV["copy"], PINNED, prepare=repin("copy"), writes=True),
    Case(
        "data-dvc-is-not-yaml",
        ARGV["watch"],
        "git checkout data.dvc",
        prepare=write("data.dvc", b"outs: [\n"),
        writes=True,
    ),
    Case(
        "data-dvc-is-a-list",
        ARGV["adding"],
        "is not a DVC file",
        prepare=write("data.dvc", b"- a\n- b\n"),
        writes=True,
    ),
    Case(
        "data-dvc-datasets-not-a-mapping",
        ARGV["copy"],
        "meta.datasets",
        prepare=write("data.dvc", b"outs:\n- path: data/raw\nmeta:\n  datasets: [1]\n"),
        writes=True,
    ),
    Case(
        "describe-a-tampered-snapshot",
        ("describe",),
        PINNED,
        prepare=rebuild("watch", fewer_train_rows),
    ),
    Case(
        "fetch-with-a-damaged-data-dvc",
        ("fetch", "copy"),
        "git checkout data.dvc",
        prepare=write("data.dvc", b"meta: {datasets: [\n"),
    ),
]

PROVENANCE = [
    Case(
        "provenance-without-kind",
        ARGV["watch"],
        "lacks kind",
        prepare=without("watch", "kind"),
        writes=True,
    ),
    Case(
        "provenance-without-files",
        ARGV["copy"],
        "lacks files",
        prepare=without("copy", "files"),
        writes=True,
    ),
    Case(
        "provenance-without-content-hash",
        ARGV["shakespeare"],
        "lacks content_hash",
        prepare=without("shakespeare", "content_hash"),
        writes=True,
    ),
    Case(
        "provenance-without-length",
        ARGV["adding"],
        "lacks length",
        prepare=without("adding", "length"),
        writes=True,
    ),
    Case(
        "provenance-is-a-list",
        ARGV["copy"],
        "is corrupt",
        prepare=edit_provenance("copy", lambda p: [p]),
        writes=True,
    ),
    Case(
        "provenance-files-is-a-list",
        ARGV["watch"],
        "is corrupt",
        prepare=edit_provenance("watch", lambda p: p.update(files=[])),
        writes=True,
    ),
    Case(
        "provenance-is-not-json",
        ARGV["adding"],
        "is corrupt",
        prepare=write("data/raw/adding/provenance.json", b"{oops"),
        writes=True,
    ),
    Case(
        "provenance-is-not-utf8",
        ARGV["copy"],
        "is corrupt",
        prepare=write("data/raw/copy/provenance.json", b"\xff\xfe{"),
        writes=True,
    ),
    Case(
        "provenance-deleted",
        ARGV["watch"],
        "seqbench fetch watch",
        prepare=remove("data/raw/watch/provenance.json"),
        writes=True,
    ),
    Case(
        "describe-provenance-without-rows",
        ("describe",),
        "lacks rows",
        prepare=without("adding", "rows"),
    ),
]

SPLITS = [
    Case(
        "empty-split-with-stale-row-counts",
        ARGV["copy"],
        "cannot be loaded",
        prepare=rebuild("copy", empty("test"), unpin=True, rows=False),
        writes=True,
    ),
    Case(
        "copy-empty-validation-split",
        ARGV["copy"],
        "empty validation split",
        prepare=rebuild("copy", empty("validation"), unpin=True),
        writes=True,
    ),
    Case(
        "watch-empty-test-split",
        ARGV["watch"],
        "empty test split",
        prepare=rebuild("watch", empty("test"), unpin=True),
        writes=True,
    ),
    Case(
        "shakespeare-empty-train-split",
        ARGV["shakespeare"],
        "empty train split",
        prepare=rebuild("shakespeare", empty("train"), unpin=True),
        writes=True,
    ),
    Case(
        "adding-without-a-test-split",
        ARGV["adding"],
        "has no test split",
        prepare=rebuild("adding", no_test_split, unpin=True),
        writes=True,
    ),
    Case(
        "sensor-window-longer-than-any-recording",
        (*ARGV["watch"], "data.window=100000"),
        "data.window=100000",
    ),
    Case(
        "text-window-longer-than-a-split",
        (*ARGV["shakespeare"], "data.seq_len=100000000"),
        "data.seq_len",
    ),
]

FILES = [
    Case(
        "train-dataset-path-is-a-file",
        ARGV["copy"],
        "is a file, not a dataset folder",
        prepare=write("data/raw/copy"),
        writes=True,
    ),
    Case(
        "fetch-dataset-path-is-a-file",
        ("fetch", "copy"),
        "data/raw/copy is a file",
        prepare=write("data/raw/copy"),
    ),
    Case(
        "fetch-one-of-several-is-a-file",
        ("fetch", "adding", "watch"),
        "data/raw/watch is a file",
        prepare=write("data/raw/watch"),
    ),
    Case(
        "fetch-raw-dir-is-a-file",
        ("fetch", "copy", "--raw-dir", "params.yaml"),
        "params.yaml is a file",
    ),
    Case(
        "fetch-raw-dir-below-a-file",
        ("fetch", "copy", "--raw-dir", "data.dvc/raw"),
        "data.dvc is a file",
    ),
    Case("fetch-pin-outside-a-dvc-repository", ("fetch", "copy", "--pin"), "dvc init", timeout=300),
    Case("describe-a-missing-folder", ("describe", "nowhere"), "nowhere does not exist"),
    Case("describe-a-file", ("describe", "params.yaml"), "params.yaml is a file"),
    Case(
        "describe-out-below-a-file",
        ("describe", "--out", "params.yaml/summary.json"),
        "params.yaml",
    ),
    Case("check-params-out-below-a-file", ("check-params", "--out", "data.dvc/ok"), "data.dvc"),
    Case("report-out-is-a-file", ("report", "outputs", "--out", "params.yaml"), "params.yaml"),
    Case("cost-bench-past-max-len", ("cost-bench", "--lengths", "64", "9000"), "max_len=8192"),
    Case(
        "cost-bench-out-below-a-file",
        ("cost-bench", "--lengths", "8", "--out", "params.yaml/cost.json"),
        "params.yaml",
    ),
    Case(
        "raw-dir-env-is-a-file",
        ARGV["copy"],
        "no data at params.yaml/copy",
        env={"SEQBENCH_RAW_DIR": "params.yaml"},
        writes=True,
    ),
]


def own_data(split=None, relabel=None, **source):
    """A prepare step: the user's data config my_conf/data/mine.yaml reading CSV recordings
    of 6 subjects (``relabel``: a new label for subject p5's rows), ``source`` changed,
    ``split`` its rule (default by subject)."""

    def prepare(project):
        rows = recordings(subjects=6)
        if relabel:
            rows["activity"] = [
                relabel if s == "p5" else a
                for s, a in zip(rows["subject"], rows["activity"], strict=True)
            ]
        rows["part"] = [{"p4": "validation", "p5": "test"}.get(s, "train") for s in rows["subject"]]
        write_csvs(project / "recordings", rows)
        node = {"source": sensor_source("recordings/*.csv") | source}
        node["split"] = split or {"by": "subject", "fractions": FRACTIONS}
        data_config(project / "my_conf", "mine", node)

    return prepare


def own_texts(change=None, **source):
    """A prepare step: my_conf/data/texts.yaml reading texts/reviews.csv (text, sentiment),
    ``change`` applied to the rows first, ``source`` changed."""

    def prepare(project):
        rows = {
            "review": [f"review {i}: {'good' if i % 2 else 'bad'}" for i in range(40)],
            "sentiment": ["positive" if i % 2 else "negative" for i in range(40)],
        }
        if change:
            change(rows)
        (project / "texts").mkdir()
        lines = ["review,sentiment"] + [f'"{t}",{y}' for t, y in zip(*rows.values(), strict=True)]
        (project / "texts" / "reviews.csv").write_text("\n".join(lines) + "\n")
        node = {
            "_target_": "seqbench.data.sources.tables.labelled_text",
            "files": "texts/*.csv",
            "labels": ["negative", "positive"],
            "text_column": "review",
            "label_column": "sentiment",
        }
        (project / "my_conf" / "data").mkdir(parents=True)
        config = {"defaults": ["_text_classify"], "name": "texts", "source": node | source}
        (project / "my_conf" / "data" / "texts.yaml").write_text(yaml.safe_dump(config))

    return prepare


def _set(column: str, row: int, value: str):
    def change(rows):
        rows[column][row] = value

    return change


TEXTS = ("fetch", "texts", "--config-dir", "my_conf")
MINE = ("fetch", "mine", "--config-dir", "my_conf")
OWN_DATA = [
    Case(
        "own-texts-label-column-missing",
        TEXTS,
        "texts/reviews.csv has no column 'stars' (label_column); its columns: review, sentiment",
        prepare=own_texts(label_column="stars"),
    ),
    Case(
        "own-texts-unknown-label",
        TEXTS,
        "texts/reviews.csv: row 3 has the label 'meh', which is not one of the classes",
        prepare=own_texts(_set("sentiment", 3, "meh")),
    ),
    Case(
        "own-texts-empty-text",
        TEXTS,
        "texts/reviews.csv: row 5 has an empty text; drop empty rows",
        prepare=own_texts(_set("review", 5, "   ")),
    ),
    Case(
        "own-data-unknown-source-target",
        MINE,
        "source._target_='os.system' is not one of seqbench's source builders",
        prepare=own_data(_target_="os.system"),
    ),
    Case(
        "own-data-builder-argument-misspelt",
        MINE,
        "seqbench.data.sources.tables.sensor takes no chanels",
        prepare=own_data(chanels=["acc_x"]),
    ),
    Case(
        "own-data-column-missing",
        MINE,
        "recordings/p0.csv has no column 'mood' (label)",
        prepare=own_data(label="mood"),
    ),
    Case(
        "own-data-channel-not-numeric",
        MINE,
        "channel 'session' in recordings/p0.csv is not numeric",
        prepare=own_data(channels=["acc_x", "session"]),
    ),
    Case(
        "own-data-split-left-empty",
        MINE,
        "the validation split is empty: 6 subjects split",
        prepare=own_data(
            {"by": "subject", "fractions": {"train": 0.98, "validation": 0.01, "test": 0.01}}
        ),
    ),
    Case(
        "own-data-label-missing-from-train",
        MINE,
        "label 'jumping' is in the test split but not in train",
        prepare=own_data({"by": "column", "column": "part"}, relabel="jumping"),
    ),
    Case(  # OD19: it walked the whole file system, /proc included, for minutes
        "OD19-glob-from-the-file-system-root",
        MINE,
        "would search the whole file system from /",
        prepare=own_data(files="/**/zzzqq*.csv"),
        timeout=30,
    ),
    Case(
        "OD19-relative-glob-up-to-the-root",
        MINE,
        "would search the whole file system",
        prepare=own_data(files="../" * 40 + "**/zzzqq*.csv"),
        timeout=30,
    ),
    Case(
        "OD19-glob-matching-nothing",
        MINE,
        "matches no file",
        prepare=own_data(files="**/zzzqq*.csv"),
        timeout=30,
    ),
    Case(
        "OD19-text-glob-from-the-file-system-root",
        ("fetch", "books", "--config-dir", "my_conf"),
        "would search the whole file system from /",
        prepare=lambda project: data_config(
            project / "my_conf",
            "books",
            {
                "source": {
                    "_target_": "seqbench.data.sources.text_files.text",
                    "files": "/**/*.txt",
                },
                "split": {"by": "document"},
            },
        ),
        timeout=30,
    ),
]

YAHOO = {  # sktime's bundled yahoo.csv: 1000 samples, anomalies at 431..846 only
    "_target_": "seqbench.data.sources.anomaly.build",
    "package": "sktime",
    "file": "sktime/datasets/data/yahoo/yahoo.csv",
    "sha256": "b37cb4846fc442c15bdcc73864034e46a19b9ac062edabf7e158732ae0a3789f",
    "validation_start": 400,
    "test_start": 650,
    "labels": "1: a sample the file marks anomalous",
    "licence": "as sktime ships it",
}


def anomaly_data(**source):
    """A prepare step: my_conf/data/mine.yaml reads sktime's yahoo.csv with ``source``."""
    return lambda project: data_config(project / "my_conf", "mine", {"source": YAHOO | source})


ANOMALY_DATA = [
    Case(
        "anomaly-validation-without-anomalies",
        MINE,
        "the validation split (samples 100..399) holds no anomaly",
        prepare=anomaly_data(validation_start=100, test_start=400),
    ),
    Case(
        "anomaly-test-without-anomalies",
        MINE,
        "the test split (samples 900..999) holds no anomaly",
        prepare=anomaly_data(validation_start=400, test_start=900),
    ),
    Case(
        "anomaly-label-column-not-0-or-1",
        MINE,
        "line 2: label '-46.3943563961523' is not 0 or 1",
        prepare=anomaly_data(label="data"),
    ),
    Case(
        "anomaly-label-column-missing",
        MINE,
        "has no column 'anomaly' (it has data, label); set source.label",
        prepare=anomaly_data(label="anomaly"),
    ),
    Case(
        "anomaly-package-file-changed",
        MINE,
        "not the pinned 000000000000...",
        prepare=anomaly_data(sha256="0" * 64),
    ),
]

MISSING = "data.dvc is missing"
PINS_FOUND = [  # D13, D13b, D21: the pin is found wherever data/raw lives; its loss is said
    Case(
        "D13-raw-moved-and-linked-back",
        ARGV["adding"],
        PINNED,
        prepare=steps(moved(), cover_tracks("adding")),
        writes=True,
    ),
    Case(
        "D13b-describe-raw-moved-and-linked-back",
        ("describe",),
        PINNED,
        prepare=steps(moved(), cover_tracks("adding")),
    ),
    Case(
        "D13-a-dataset-folder-moved-and-linked-back",
        ARGV["copy"],
        PINNED,
        prepare=steps(moved("copy"), cover_tracks("copy")),
        writes=True,
    ),
    Case(
        "D13b-describe-where-it-really-lives",
        ("describe", ELSEWHERE),
        PINNED,
        prepare=steps(moved(), cover_tracks("watch")),
    ),
    Case(
        "D13-raw-dir-env-with-dotdot",
        ARGV["copy"],
        PINNED,
        prepare=steps(moved(), cover_tracks("copy")),
        env={"SEQBENCH_RAW_DIR": "data/../data/raw"},
        writes=True,
    ),
    Case(
        "D13-paths-raw-dir-at-where-it-really-lives",
        (*ARGV["adding"], f"paths.raw_dir={ELSEWHERE}"),
        PINNED,
        prepare=steps(moved(), cover_tracks("adding")),
        writes=True,
    ),
    Case(
        "D13-raw-dir-env-through-a-link",
        ARGV["copy"],
        PINNED,
        prepare=steps(cover_tracks("copy"), lambda p: (p / "alias").symlink_to(p / "data" / "raw")),
        env={"SEQBENCH_RAW_DIR": "alias"},
        writes=True,
    ),
    Case(
        "D21-describe-data-dvc-deleted",
        ("describe",),
        MISSING,
        prepare=steps(dvc_project_without(), cover_tracks("copy")),
    ),
    Case(
        "D21-train-data-dvc-deleted",
        ARGV["adding"],
        "git checkout data.dvc",
        prepare=steps(dvc_project_without(), cover_tracks("adding")),
    ),
    Case(
        "D21-fetch-data-dvc-deleted",
        ("fetch", "copy"),
        "seqbench fetch --pin",
        prepare=dvc_project_without(),
    ),
    Case(
        "D21-data-dvc-pins-another-folder",
        ("describe",),
        "data.dvc does not pin data/raw",
        prepare=dvc_project_without("outs:\n- path: data/other\n"),
    ),
    Case(
        "D21-moved-raw-and-data-dvc-deleted",
        ("describe", ELSEWHERE),
        MISSING,
        prepare=steps(dvc_project_without(), moved(), cover_tracks("watch", flip=False)),
    ),
]


def set_key(key, value):
    return lambda provenance: provenance.update({key: value})


FACTS = [  # D04: every fact of provenance.json is under the content hash
    Case(
        "D04-copy-length-edited",
        ARGV["copy"],
        "provenance.json says",
        prepare=edit_provenance("copy", set_key("length", 5)),
        writes=True,
    ),
    Case(
        "D04-adding-length-and-hash-edited",
        ARGV["adding"],
        PINNED,
        prepare=cover_tracks("adding", flip=False, change=set_key("length", 5)),
        writes=True,
    ),
    Case(
        "D04-rows-edited",
        ("describe",),
        "provenance.json says",
        prepare=edit_provenance("watch", set_key("rows", {"train": 1, "validation": 1, "test": 1})),
    ),
    Case(
        "D04-kind-and-hash-edited",
        ARGV["copy"],
        PINNED,
        prepare=cover_tracks("copy", flip=False, change=set_key("kind", "adding")),
        writes=True,
    ),
    Case(
        "D04-shortest-recording-and-hash-edited",
        (*ARGV["watch"], "data.window=2000"),
        PINNED,
        prepare=cover_tracks(
            "watch", flip=False, change=set_key("shortest_recording", {"train": 5000})
        ),
        writes=True,
    ),
    Case(
        "D04-licence-and-split-rule-edited",
        ("describe",),
        PINNED,
        prepare=cover_tracks(
            "shakespeare", flip=False, change=lambda p: p.update(licence="mine", split_rule="x")
        ),
    ),
    Case(
        "D04-source-edited",
        ("describe",),
        "provenance.json says",
        prepare=edit_provenance("adding", set_key("source", {"type": "hub"})),
    ),
]

LENGTHS = [  # C98: the data's lengths refuse a run before it starts (nothing written)
    Case(
        "C98-seq-len-longer-than-the-text",
        (*ARGV["shakespeare"], "data.seq_len=1000000"),
        "data.seq_len=1000000 is out of range; valid: 1..",
    ),
    Case(
        "C98-byte-seq-len-longer-than-the-text",
        (*ARGV["shakespeare"], "data.vocab=byte", "data.seq_len=1000000"),
        "byte tokens",
    ),
    Case(
        "C98-window-one-past-the-shortest-recording",
        (*ARGV["watch"], "data.window=948"),
        "data.window=948 is out of range; valid: 1..947",
    ),
    Case(
        "C98-max-len-shorter-than-an-unpinned-synthetic-length",
        (*ARGV["adding"], "data.name=adding-T50", "model=transformer", "model.max_len=20"),
        "model.max_len=20 is shorter than the 50 steps of data.name=adding-T50",
        prepare=lambda project: fetch.fetch(["adding-T50"], project / "data" / "raw"),
    ),
    Case(
        "forecast-context-and-horizon-longer-than-the-train-part",
        (*TRAIN, "data=airline", "model=gru", "budget=smoke", "data.context=90", "data.horizon=12"),
        "data.context=90 + data.horizon=12 = 102 steps is longer than airline's longest train",
        prepare=lambda project: fetch.fetch(["airline"], project / "data" / "raw"),
        writes=True,
    ),
]


@pytest.mark.parametrize(
    "case",
    TAMPERED + PROVENANCE + SPLITS + FILES + OWN_DATA + ANOMALY_DATA + PINS_FOUND + FACTS + LENGTHS,
    ids=lambda case: case.id,
)
def test_refused_cleanly(case, project, tmp_path):
    check(case, project, tmp_path)


def lose_rights() -> tuple[str, ...]:
    """A prefix under which file permissions apply: root's override of them dropped."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make file permissions apply")
    prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"setpriv cannot drop capabilities here: {probe.stderr.strip()}")
    return prefix


def chmod(relative, mode):
    return lambda project: (project / relative).chmod(mode)


DENIED = [
    Case(
        "train-data-folder-unreadable",
        ARGV["copy"],
        "permission denied",
        prepare=chmod("data/raw/copy", 0),
        writes=True,
    ),
    Case(
        "train-outputs-folder-not-writable",
        ARGV["watch"],
        "permission denied",
        prepare=chmod("outputs", 0o555),
    ),
    Case(
        "describe-unreadable-snapshot",
        ("describe",),
        "permission denied",
        prepare=chmod("data/raw/watch/train", 0),
    ),
    Case(
        "fetch-into-an-unwritable-raw-folder",
        ("fetch", "copy"),
        "permission denied",
        prepare=chmod("data/raw", 0o555),
    ),
    Case(
        "report-out-not-writable",
        ("report", "outputs", "--out", "locked"),
        "locked",
        prepare=lambda p: (p / "locked").mkdir(0o555),
    ),
]


@pytest.mark.parametrize("case", DENIED, ids=lambda case: getattr(case, "id", None))
def test_permission_denied_is_one_line(case, project, tmp_path):
    case = Case(**{**case.__dict__, "prefix": lose_rights()})
    check(case, project, tmp_path)


def test_the_report_shows_the_recomputed_hash_or_that_it_does_not_verify(project, tmp_path):
    work = tmp_path / "project"
    shutil.copytree(project, work)
    assert seqbench(work, "report", "outputs", "--out", "reports").returncode == 0
    pinned = yaml.safe_load((work / "data.dvc").read_text())["meta"]["datasets"]["copy"]
    assert pinned in (work / "reports" / "comparison.md").read_text()
    rebuild("copy", fewer_train_rows)(work)
    result = seqbench(work, "report", "outputs", "--out", "reports")
    assert result.returncode == 0, result.stderr[-2000:]
    page = (work / "reports" / "comparison.md").read_text()
    assert "does not verify" in page and PINNED in page


def test_training_records_the_recomputed_content_hash(project):
    metrics = json.loads((project / "outputs" / "copy" / "gru" / "0" / "metrics.json").read_text())
    folder = project / "data" / "raw" / "copy"
    record = json.loads((folder / snapshot.PROVENANCE).read_text())
    files = snapshot.file_hashes(folder)
    assert metrics["data_content_hash"] == snapshot.content_hash(record | {"files": files})


def test_the_pin_binds_the_folder_data_dvc_names(project, tmp_path):
    """data.dvc pins data/raw beside it; a copy of a dataset elsewhere has no pin."""
    pins = {"outs": [{"path": "data/raw"}], "meta": {"datasets": {"copy": "0" * 32}}}
    (tmp_path / "data.dvc").write_text(yaml.safe_dump(pins))
    elsewhere = tmp_path / "raw"
    shutil.copytree(project / "data" / "raw" / "copy", elsewhere / "copy")
    assert snapshot.verify("copy", elsewhere)["content_hash"] != "0" * 32
    (tmp_path / "data").mkdir()
    elsewhere.rename(tmp_path / "data" / "raw")
    with pytest.raises(DataError, match=PINNED):
        snapshot.verify("copy", tmp_path / "data" / "raw")


def test_d12_stamps_catch_times_set_back_and_rehash_catches_a_forged_stamp(
    project, tmp_path, monkeypatch
):
    """What the remembered md5s promise (docs/data.md): a file changed and its mtime set
    back is hashed again and refused (its ctime moved); a stamp rewritten by someone who can
    write the user's cache is trusted, as documented, and `describe --rehash` catches it."""
    import time

    from seqbench.data import stamps

    work = tmp_path / "project"
    shutil.copytree(project, work)
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    time.sleep(stamps.RACY_S + 0.2)  # the copy's files are older than the racy window
    assert seqbench(work, "describe", env=env).returncode == 0  # stamps remembered
    folder = work / "data" / "raw" / "copy"
    arrow = sorted((folder / "train").glob("*.arrow"))[0]
    before = arrow.stat()
    data = bytearray(arrow.read_bytes())
    data[-200] ^= 0x01
    arrow.write_bytes(bytes(data))
    os.utime(arrow, ns=(before.st_atime_ns, before.st_mtime_ns))  # `touch -d`: mtime back
    result = seqbench(work, "describe", env=env)
    assert result.returncode == 2 and "modified since it was built" in result.stderr

    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))  # the stamp file the CLI wrote
    stamp_file = stamps._stamp_file(folder)
    forged = json.loads(stamp_file.read_text())
    forged[arrow.relative_to(folder).as_posix()][0] = stamps._key(arrow)  # new stat, old md5
    stamp_file.write_text(json.dumps(forged))
    assert seqbench(work, "describe", env=env).returncode == 0  # not promised: see docs/data.md
    rehashed = seqbench(work, "describe", "--rehash", env=env)
    assert rehashed.returncode == 2 and "modified since it was built" in rehashed.stderr
