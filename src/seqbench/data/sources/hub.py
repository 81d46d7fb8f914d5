"""Datasets from the Hugging Face Hub, pinned to a revision, never running remote code.

The revision (a branch such as ``refs/convert/parquet`` or a commit) is first resolved to a
commit sha with one bounded request, so an unreachable Hub fails fast instead of retrying
for minutes, and the data is then loaded at exactly that sha and recorded in provenance.
"""

import os

import datasets
import huggingface_hub
from datasets import Dataset, DatasetDict, Features, Value
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

from seqbench.data import splits
from seqbench.data.sources import Built, sensor_table
from seqbench.data.sources import labelled_text as labelled_text_rows
from seqbench.errors import DataError

SPLITS = ("train", "validation", "test")
BUNDLED = "shakespeare (text), watch (sensor), adding, copy (synthetic)"


def hub_timeout() -> float:
    """Seconds to wait for the Hub before giving up (``SEQBENCH_HUB_TIMEOUT``, default 10)."""
    return float(os.environ.get("SEQBENCH_HUB_TIMEOUT", "10"))


def _unreachable(repo: str, reason: str) -> DataError:
    return DataError(
        f"cannot reach the Hugging Face Hub at {huggingface_hub.constants.ENDPOINT} for {repo} "
        f"({reason}); fetch it where the Hub is reachable and `dvc push`, or set "
        f"HF_HUB_OFFLINE=1 to use a cached copy, or use the bundled datasets: {BUNDLED}"
    )


def resolve_sha(repo: str, revision: str) -> str | None:
    """The commit sha that ``revision`` points at now; None in offline mode (cache decides)."""
    try:
        info = huggingface_hub.HfApi().dataset_info(repo, revision=revision, timeout=hub_timeout())
    except OfflineModeIsEnabled:
        return None
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise DataError(
            f"the Hub has no dataset {repo} at revision {revision!r} (HTTP {status}); check "
            "the repo id and revision in its data config"
        ) from error
    except Exception as error:  # httpx transport errors and timeouts
        raise _unreachable(repo, f"{type(error).__name__}: {error}") from error
    return info.sha


def load(repo: str, revision: str, needed: tuple[str, ...]) -> tuple[DatasetDict, str | None]:
    """The repo at ``revision`` (resolved to a sha first) with the ``needed`` splits."""
    sha = resolve_sha(repo, revision)
    try:
        loaded = datasets.load_dataset(repo, revision=sha or revision)
    except (ConnectionError, OSError) as error:
        raise _unreachable(repo, str(error).splitlines()[0]) from error
    if missing := [s for s in needed if s not in loaded]:
        hint = (
            ""
            if needed == ("train",)
            else ("; or add a split rule to its data config, e.g. split: {by: document}")
        )
        raise DataError(
            f"{repo}@{revision} has no {', '.join(missing)} split (it has "
            f"{', '.join(loaded)}); seqbench needs {', '.join(needed)}{hint}"
        )
    return loaded, sha


UNSTATED = "not stated in the data config; see the dataset card"


def text(
    repo: str,
    revision: str,
    column: str = "text",
    split: dict | None = None,
    licence: str = UNSTATED,
) -> Built:
    """A text repo as seqbench's text schema: its own train/validation/test splits, or, with
    a ``split`` rule, its train split divided by document (a row) or by a split column."""
    rule = None if split is None else splits.check_rule(split, ("document", "column"), repo)
    loaded, sha = load(repo, revision, SPLITS if rule is None else ("train",))
    train = loaded["train"]
    if column not in train.column_names:
        raise DataError(
            f"{repo} has no column {column!r} (the text column); its columns: "
            f"{', '.join(train.column_names)}"
        )
    features = Features({"text": Value("string")})
    if rule is None:
        documents = {s: loaded[s][column] for s in SPLITS}
        words = "the repo's own train/validation/test splits"
    else:
        texts = train[column]
        if rule["by"] == "column":
            if rule["column"] not in train.column_names:
                raise DataError(f"{repo} has no column {rule['column']!r} (the split column)")
            named = splits.by_column(train[rule["column"]], rule["column"])
        else:
            keys = [str(i) for i in range(len(texts))]
            assigned = splits.assign(keys, rule["fractions"], rule["seed"], "document")
            named = [assigned[key] for key in keys]
        documents = {s: [t for t, n in zip(texts, named, strict=True) if n == s] for s in SPLITS}
        words = f"the repo's train split, {splits.rule_words(rule)}"
    if not all(isinstance(t, str) for docs in documents.values() for t in docs):
        raise DataError(f"{repo}: column {column!r} does not hold text; name the text column")
    built = {s: Dataset.from_dict({"text": documents[s]}, features=features) for s in SPLITS}
    return Built(
        splits=DatasetDict(built),
        source={"type": "hub", "repo": repo, "revision": revision, "sha": sha},
        split_rule=words,
        licence=licence,
    )


def sensor(
    repo: str,
    revision: str,
    channels: list[str],
    label: str,
    subject: str | None = None,
    recording: str | None = None,
    sample_rate_hz: float | None = None,
    split: dict | None = None,
    licence: str = UNSTATED,
) -> Built:
    """A long-format sensor repo (one row per sample) cut into recordings, split by a rule
    (:mod:`seqbench.data.sources.sensor_table`)."""
    rule = splits.check_rule(split, sensor_table.RULES, repo)
    roles = sensor_table.columns_of(rule, label, subject, recording)
    loaded, sha = load(repo, revision, ("train",))
    table = sensor_table.normalise(loaded["train"].with_format("arrow")[:], repo, channels, roles)
    source = {"type": "hub", "repo": repo, "revision": revision, "sha": sha}
    return sensor_table.build(
        table, rule, source, channels, label, subject, recording, sample_rate_hz, licence
    )


def labelled_text(
    repo: str,
    revision: str,
    labels: list[str],
    text_column: str = "text",
    label_column: str = "label",
    test_split: str = "test",
    validation_split: str | None = "validation",
    validation: float = 0.1,
    seed: int = 0,
    licence: str = UNSTATED,
) -> Built:
    """A labelled text repo (IMDB, SST-2) as seqbench's text-classification schema.

    ``test_split`` names the repo split scored as test (SST-2 hides its test labels, so its
    validation serves); with ``validation_split: null`` validation is carved from the repo's
    train rows whose text hashes (blake2b, ``seed``) below ``validation``. ``labels`` names the
    classes in id order; a row whose label is neither an id nor a name is refused."""
    where = f"{repo}@{revision}"
    labelled_text_rows.check_labels(labels, where)
    if validation_split is None and not (isinstance(validation, float) and 0 < validation < 1):
        raise DataError(
            f"{where}: source.validation must be a fraction between 0 and 1, got {validation!r}"
        )
    wanted = (
        ("train", test_split)
        if validation_split is None
        else ("train", validation_split, test_split)
    )
    loaded, sha = load(repo, revision, tuple(dict.fromkeys(wanted)))
    for column, role in ((text_column, "text_column"), (label_column, "label_column")):
        if column not in loaded["train"].column_names:
            raise DataError(
                f"{repo} has no column {column!r} (source.{role}); its columns: "
                f"{', '.join(loaded['train'].column_names)}"
            )
    parts = {}
    for split, name in (("train", "train"), ("test", test_split), ("validation", validation_split)):
        if name is None:
            continue
        rows = loaded[name]
        labelled_text_rows.check_texts(rows[text_column], f"{where} {name}")
        ids = labelled_text_rows.label_ids(rows[label_column], labels, f"{where} {name}")
        parts[split] = (list(rows[text_column]), ids)
    if validation_split is None:
        texts, ids = parts["train"]
        held = [splits.unit(text, seed) < validation for text in texts]
        parts["validation"] = tuple(
            [v for v, h in zip(values, held, strict=True) if h] for values in (texts, ids)
        )
        parts["train"] = tuple(
            [v for v, h in zip(values, held, strict=True) if not h] for values in (texts, ids)
        )
        words = (
            f"test: the repo's {test_split} split; validation: its train rows whose text hashes "
            f"(blake2b, seed {seed}) below {validation:g}; train: the other train rows"
        )
    else:
        words = (
            f"the repo's own splits (train, {validation_split} as validation, {test_split} as test)"
        )
    parts = {s: labelled_text_rows.shuffled(*rows, seed=seed) for s, rows in parts.items()}
    return Built(
        splits=labelled_text_rows.build_splits(parts, labels, where),
        source={"type": "hub", "repo": repo, "revision": revision, "sha": sha},
        split_rule=words + f"; rows within a split in numpy default_rng({seed}) order",
        licence=licence,
        extra={"classes": list(labels)},
    )
