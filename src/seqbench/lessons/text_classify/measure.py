"""What the text-classification study measured: each finished run's test accuracy and macro
F1, by dataset and model (runs of ``experiment=text_classify``), and the baselines that
``seqbench text-baselines`` wrote for each dataset (reports/lessons/text_baselines/<data>.json).
"""

from dataclasses import dataclass, field
from pathlib import Path

from seqbench.lessons.sources import read_json
from seqbench.rundir.run import Run, finite

STUDY = "text_classify"
BASELINES = "text_baselines"  # folder under the lessons dir, one <data>.json each


def baselines_file(lessons_dir: Path, data: str) -> Path:
    return lessons_dir / BASELINES / f"{data}.json"


@dataclass
class Results:
    """One dataset: per model, every seed's test accuracy and macro F1; its baselines."""

    data: str
    acc: dict[str, list[float]] = field(default_factory=dict)
    f1: dict[str, list[float]] = field(default_factory=dict)
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> test scores
    unsettled: list[str] = field(default_factory=list)  # still improving (section)


def measured(runs: list[Run], lessons_dir: Path) -> tuple[dict[str, Results], list[str]]:
    """{data: Results} over the study's runs, and the runs that failed or did not finish,
    each as "data/model/seed: why" (never averaged)."""
    found: dict[str, Results] = {}
    failed = []
    for run in runs:
        test = run.metrics.get("test") or {}
        acc, f1 = test.get("test/acc"), test.get("test/f1")
        if run.metrics.get("status") != "finished" or not (finite(acc) and finite(f1)):
            failed.append(f"{run.data}/{run.model}/{run.seed}: {run.reason or 'no result'}")
            continue
        results = found.setdefault(run.data, Results(run.data))
        results.acc.setdefault(run.model, []).append(float(acc))
        results.f1.setdefault(run.model, []).append(float(f1))
    for data, results in found.items():
        stored = read_json(baselines_file(lessons_dir, data)) or {}
        for name, scores in (stored.get("test") or {}).items():
            if isinstance(scores, dict) and finite(scores.get("acc")) and finite(scores.get("f1")):
                results.baselines[name] = {"acc": scores["acc"], "f1": scores["f1"]}
    return found, failed


def baselines(data: str, raw_dir: Path) -> dict:
    """Majority class and bag of characters on the verified snapshot, fit on train only,
    scored on validation and test."""
    from seqbench.data import pins, registry, snapshot, text_baselines
    from seqbench.errors import DataError

    registry.check_names([data])  # an unknown name lists the known ones
    where = pins.locate(data, raw_dir)
    splits, provenance = snapshot.load(data, where)
    if provenance.get("kind") != "text_classify":
        raise DataError(
            f"{data!r} is {provenance.get('kind')} data, not text classification; give "
            "tweet_sentiment, sst2 or a text_classify data config of yours"
        )
    classes = splits["train"].features["label"].names
    train = splits["train"]
    result: dict = {
        "data": data,
        "content_hash": provenance["content_hash"],
        "classes": classes,
        "rows": {s: len(splits[s]) for s in ("train", "validation", "test")},
    }
    for split in ("validation", "test"):
        rows = splits[split]
        result[split] = {
            "majority": text_baselines.majority(train["label"], rows["label"], len(classes)),
            "bag_of_chars": text_baselines.bag_of_chars(
                train["text"], train["label"], rows["text"], rows["label"], len(classes)
            ),
        }
    return result
