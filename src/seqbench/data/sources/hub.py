"""Datasets from the Hugging Face Hub, pinned to a revision, never running remote code.

The revision (a branch such as ``refs/convert/parquet`` or a commit) is first resolved to a
commit sha with one bounded request, so an unreachable Hub fails fast instead of retrying
for minutes, and the data is then loaded at exactly that sha and recorded in provenance.
"""

import itertools
import os

import datasets
import huggingface_hub
import numpy as np
from datasets import Dataset, DatasetDict, Features, Value
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

from seqbench.data.sources import Built
from seqbench.data.sources.watch import sensor_features
from seqbench.errors import DataError

SPLITS = ("train", "validation", "test")


def hub_timeout() -> float:
    """Seconds to wait for the Hub before giving up (``SEQBENCH_HUB_TIMEOUT``, default 10)."""
    return float(os.environ.get("SEQBENCH_HUB_TIMEOUT", "10"))


def _unreachable(repo: str, reason: str, bundled: str) -> DataError:
    return DataError(
        f"cannot reach the Hugging Face Hub at {huggingface_hub.constants.ENDPOINT} for {repo} "
        f"({reason}); fetch it where the Hub is reachable and `dvc push`, or set "
        f"HF_HUB_OFFLINE=1 to use a cached copy, or use the bundled datasets: {bundled}"
    )


def resolve_sha(repo: str, revision: str, bundled: str) -> str | None:
    """The commit sha that ``revision`` points at now; None in offline mode (cache decides)."""
    try:
        info = huggingface_hub.HfApi().dataset_info(repo, revision=revision, timeout=hub_timeout())
    except OfflineModeIsEnabled:
        return None
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise DataError(
            f"the Hub has no dataset {repo} at revision {revision!r} (HTTP {status}); check "
            "the repo id and revision in seqbench's dataset registry"
        ) from error
    except Exception as error:  # httpx transport errors and timeouts
        raise _unreachable(repo, f"{type(error).__name__}: {error}", bundled) from error
    return info.sha


def load(
    repo: str, revision: str, bundled: str, splits: tuple[str, ...] = SPLITS
) -> tuple[DatasetDict, str | None]:
    sha = resolve_sha(repo, revision, bundled)
    try:
        loaded = datasets.load_dataset(repo, revision=sha or revision)
    except (ConnectionError, OSError) as error:
        raise _unreachable(repo, str(error).splitlines()[0], bundled) from error
    if missing := [s for s in splits if s not in loaded]:
        raise DataError(f"{repo}@{revision} lacks splits {missing}; seqbench needs {list(splits)}")
    return loaded, sha


def build_text(repo: str, revision: str, column: str, licence: str, bundled: str) -> Built:
    """A text repo (one or more rows of ``column`` per split) as seqbench's text schema."""
    loaded, sha = load(repo, revision, bundled)
    features = Features({"text": Value("string")})
    splits = {s: Dataset.from_dict({"text": loaded[s][column]}, features=features) for s in SPLITS}
    return Built(
        splits=DatasetDict(splits),
        source={"type": "hub", "repo": repo, "revision": revision, "sha": sha},
        split_rule="the repo's own train/validation/test splits",
        licence=licence,
    )


def recordings(subjects: np.ndarray, labels: np.ndarray) -> list[slice]:
    """Contiguous runs of rows with the same subject and label: one recording each."""
    change = np.flatnonzero((subjects[1:] != subjects[:-1]) | (labels[1:] != labels[:-1])) + 1
    bounds = [0, *change.tolist(), len(subjects)]
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]


def build_sensor(
    repo: str,
    revision: str,
    channels: list[str],
    label: str,
    subject: str,
    held_out: tuple[int, int],
    licence: str,
    bundled: str,
) -> Built:
    """A long-format sensor repo (one row per sample) cut into per-recording rows.

    Rows of one subject with one label form a recording; subjects are split so that no
    person is in two splits: the last ``held_out`` = (validation, test) subjects in sorted
    order are held out.
    """
    loaded, sha = load(repo, revision, bundled, splits=("train",))
    table = loaded["train"].with_format("numpy")[:]
    signal = np.stack([table[c] for c in channels], axis=1).astype(np.float32)
    subjects, raw_labels = (
        np.asarray(table[subject]).astype(str),
        np.asarray(table[label]).astype(str),
    )
    names = sorted(set(raw_labels.tolist()))
    people = sorted(set(subjects.tolist()))
    n_val, n_test = held_out
    test, val = set(people[len(people) - n_test :]), set(people[len(people) - n_test - n_val :])
    rows: dict[str, dict[str, list]] = {
        s: {"signal": [], "label": [], "subject": []} for s in SPLITS
    }
    for run in recordings(subjects, raw_labels):
        who = subjects[run.start]
        split = "test" if who in test else "validation" if who in val else "train"
        rows[split]["signal"].append(signal[run])
        rows[split]["label"].append(names.index(raw_labels[run.start]))
        rows[split]["subject"].append(people.index(who))
    features = sensor_features(len(channels), names)
    return Built(
        splits=DatasetDict({s: Dataset.from_dict(r, features=features) for s, r in rows.items()}),
        source={"type": "hub", "repo": repo, "revision": revision, "sha": sha},
        split_rule=(
            f"by subject: of {len(people)} subjects in sorted order, the last {n_test} test, "
            f"the {n_val} before them validation; a recording is a run of one subject and label"
        ),
        licence=licence,
        extra={"channels": channels},
    )
