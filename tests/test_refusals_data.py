"""Refusals around data and files: a damaged or tampered snapshot, a damaged data.dvc, an
empty split, a file where a folder must be, a folder this user may not read or write (see
tests/refusals.py for what every case asserts: the exit code, one error line, no traceback,
and no file that existed changed; ``writes=True``: a claimed run folder may record why)."""

import json
import os
import shutil
import subprocess

import pytest
import yaml
from own_data import FRACTIONS, data_config, recordings, sensor_source, write_csvs
from refusals import TRAIN, Case, check, seqbench

from seqbench.data import snapshot, tokens
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
            provenance["content_hash"] = snapshot.content_hash(provenance["files"])
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
        writes=True,
    ),
    Case(
        "text-window-longer-than-a-split",
        (*ARGV["shakespeare"], "data.seq_len=100000000"),
        "data.seq_len",
        writes=True,
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


MINE = ("fetch", "mine", "--config-dir", "my_conf")
OWN_DATA = [
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
]


@pytest.mark.parametrize(
    "case", TAMPERED + PROVENANCE + SPLITS + FILES + OWN_DATA, ids=lambda case: case.id
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
    files = snapshot.file_hashes(project / "data" / "raw" / "copy")
    assert metrics["data_content_hash"] == snapshot.content_hash(files)


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
