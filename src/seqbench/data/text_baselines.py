"""The simple baselines a text classifier must beat, fit on the train split only.

``majority``: always the train split's most frequent class (what accuracy the imbalance alone
buys; its macro F1 shows it buys little). ``bag_of_chars``: logistic regression on each text's
character counts, order ignored: a sequence model that does not beat it has learned nothing
from the order of the characters.
"""

from collections.abc import Sequence

import numpy as np

MAX_ITER = 2000


def scores(truth: Sequence[int], predicted: Sequence[int], classes: int) -> dict[str, float]:
    """Accuracy and macro F1 (a class never predicted nor present scores F1 0, as
    torchmetrics' MulticlassF1Score does for the models, so both are read alike)."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = list(range(classes))
    return {
        "acc": float(accuracy_score(truth, predicted)),
        "f1": float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)),
    }


def majority(train: Sequence[int], test: Sequence[int], classes: int) -> dict[str, float]:
    most = int(np.bincount(np.asarray(train), minlength=classes).argmax())
    return scores(test, [most] * len(test), classes)


def bag_of_chars(
    train_texts: Sequence[str],
    train_labels: Sequence[int],
    test_texts: Sequence[str],
    test_labels: Sequence[int],
    classes: int,
) -> dict[str, float]:
    """Character counts (case kept; characters unseen in train ignored) into a multinomial
    logistic regression, L2 with C=1, features scaled by the train split's largest count."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = CountVectorizer(analyzer="char", lowercase=False, dtype=np.float64)
    x_train = counts.fit_transform(train_texts)
    scale = max(float(x_train.max()), 1.0)
    model = LogisticRegression(max_iter=MAX_ITER).fit(x_train / scale, np.asarray(train_labels))
    predicted = model.predict(counts.transform(test_texts) / scale)
    return scores(test_labels, predicted.tolist(), classes)
