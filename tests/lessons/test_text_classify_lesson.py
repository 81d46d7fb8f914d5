"""The text-classification lesson: the baselines against an independent computation (counts
and F1 written out here), the sentences against the numbers, the section from real runs."""

import json
from collections import Counter

import numpy as np
import pytest
from helpers.cli import SMOKE, run_cli
from sklearn.linear_model import LogisticRegression

from seqbench.data import fetch, text_baselines
from seqbench.lessons.text_classify.measure import Results, baselines, measured
from seqbench.lessons.text_classify.reading import ahead, text_reading, versus
from seqbench.lessons.text_classify.section import section
from seqbench.rundir.run import Run


def macro_f1(truth: list[int], predicted: list[int], classes: int) -> float:
    """Per class 2TP / (2TP + FP + FN), 0 where the class is neither true nor predicted."""
    total = 0.0
    for c in range(classes):
        tp = sum(t == c and p == c for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != c and p == c for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == c and p != c for t, p in zip(truth, predicted, strict=True))
        total += 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return total / classes


def test_majority_scores_the_most_frequent_train_class():
    train, test = [2, 2, 0, 1, 2], [2, 0, 0, 1]
    got = text_baselines.majority(train, test, 3)
    assert got["acc"] == pytest.approx(1 / 4)
    assert got["f1"] == pytest.approx(macro_f1(test, [2, 2, 2, 2], 3))  # (0 + 0 + 0.4) / 3


def test_bag_of_chars_equals_counts_built_by_hand():
    rng = np.random.default_rng(0)
    letters = "abcdE!"
    texts = ["".join(rng.choice(list(letters), size=rng.integers(3, 20))) for _ in range(300)]
    labels = [int(t.count("a") > t.count("b")) + int("!" in t) for t in texts]
    train_t, train_y, test_t, test_y = texts[:200], labels[:200], texts[200:], labels[200:]
    test_t = [*test_t[:-1], test_t[-1] + "Z"]  # a character train never saw: ignored
    vocab = sorted(set("".join(train_t)))

    def counts(text: str) -> list[float]:
        seen = Counter(text)
        return [float(seen[c]) for c in vocab]

    x_train = np.array([counts(t) for t in train_t])
    scale = x_train.max()
    model = LogisticRegression(max_iter=text_baselines.MAX_ITER).fit(x_train / scale, train_y)
    predicted = model.predict(np.array([counts(t) for t in test_t]) / scale).tolist()
    got = text_baselines.bag_of_chars(train_t, train_y, test_t, test_y, 3)
    accuracy = sum(p == t for p, t in zip(predicted, test_y, strict=True)) / len(test_y)
    assert got["acc"] == pytest.approx(accuracy)
    assert got["f1"] == pytest.approx(macro_f1(test_y, predicted, 3))
    assert got["acc"] > 0.5  # the counts decide these labels: the baseline must find that


def test_the_stored_baselines_of_the_bundled_corpus(tmp_path):
    fetch.fetch(["tweet_sentiment"], tmp_path)
    result = baselines("tweet_sentiment", tmp_path)
    from datasets import load_from_disk

    data = load_from_disk(str(tmp_path / "tweet_sentiment"))
    most = Counter(data["train"]["label"]).most_common(1)[0][0]
    test = data["test"]["label"]
    assert result["test"]["majority"]["acc"] == pytest.approx(test.count(most) / len(test))
    assert result["test"]["bag_of_chars"]["acc"] > result["test"]["majority"]["acc"]
    assert result["rows"] == {s: len(data[s]) for s in ("train", "validation", "test")}


def test_verdicts_and_sentences_come_from_the_numbers():
    assert versus([0.6, 0.61, 0.62], 0.55) == "beats"
    assert versus([0.5, 0.51, 0.52], 0.55) == "does not beat"
    assert versus([0.5, 0.6, 0.61], 0.55) == "undecided"
    assert versus([0.9], 0.55) == "undecided"  # one seed never decides
    results = Results(
        "d",
        acc={"lstm": [0.60, 0.61, 0.62], "gru": [0.55, 0.57, 0.59]},
        f1={"lstm": [0.5, 0.5, 0.5], "gru": [0.4, 0.4, 0.4]},
        baselines={"majority": {"acc": 0.43, "f1": 0.2}, "bag_of_chars": {"acc": 0.56, "f1": 0.4}},
    )
    assert ahead(results) == "lstm"
    lines = text_reading({"d": results})
    assert (
        "d, lstm: test accuracy 0.610, macro F1 0.500 (n=3); above the bag of characters "
        "on 3 of 3 seeds: beats." in lines
    )
    assert (
        "d, gru: test accuracy 0.570, macro F1 0.400 (n=3); above the bag of characters "
        "on 2 of 3 seeds: undecided." in lines
    )
    assert "d: lstm's worst seed is above every other model's best seed." in lines
    results.unsettled = ["gru"]  # its validation curve was still falling: no winner
    lines = text_reading({"d": results})
    assert not any("worst seed is above" in line for line in lines)
    still = "d: no winner is named: gru was still improving at the end of training"
    assert still in " ".join(lines)
    results.unsettled = []
    results.acc["gru"] = [0.55, 0.57, 0.605]  # gru's best above lstm's worst: no winner
    assert ahead(results) is None
    said = "d: no model's worst seed is above every other model's best: no winner."
    assert said in text_reading({"d": results})
    results.acc = {"lstm": [0.9], "gru": [0.1]}  # one seed: no winner however far apart
    assert ahead(results) is None
    assert "d: lstm, gru have fewer than 3 seeds: no winner." in text_reading({"d": results})


@pytest.mark.slow
def test_the_section_from_smoke_runs_and_stored_baselines(tmp_path):
    raw = tmp_path / "text"
    assert (
        run_cli("seqbench.cli", "fetch", "tweet_sentiment", "--raw-dir", str(raw)).returncode == 0
    )
    lessons = tmp_path / "lessons"
    out = lessons / "text_baselines" / "tweet_sentiment.json"
    made = run_cli(
        "seqbench.cli",
        "text-baselines",
        "tweet_sentiment",
        "--raw-dir",
        str(raw),
        "--out",
        str(out),
    )
    assert made.returncode == 0, made.stderr
    runs = []
    for model in ("gru", "transformer"):
        run_dir = tmp_path / "runs" / "text_classify" / "tweet_sentiment" / model / "0"
        trained = run_cli(
            "seqbench.train", "experiment=text_classify", "data=tweet_sentiment",
            f"model={model}", f"paths.raw_dir={raw}", f"paths.run_dir={run_dir}", *SMOKE,
            timeout=300,
        )  # fmt: skip
        assert trained.returncode == 0, trained.stderr[-2000:]
        runs.append(Run(run_dir, json.loads((run_dir / "metrics.json").read_text())))
    found, failed = measured(runs, lessons)
    assert not failed and set(found["tweet_sentiment"].acc) == {"gru", "transformer"}
    stored = json.loads(out.read_text())
    assert found["tweet_sentiment"].baselines == stored["test"]
    shown = section(runs, lessons)
    assert shown is not None and shown.key == "text-classify"
    assert [row[0] for row in shown.tables[0].rows] == [
        "gru",
        "transformer",
        "majority class",
        "bag of characters",
    ]
    assert shown.figures and "<svg" in shown.figures[0].svg
    assert any("no winner" in line for line in shown.reading)
