"""Seeded ability probes: selective copying, induction heads, multi-query associative recall
and parity. Each isolates one ability that separates sequence architectures (issue 23):

- selective copying (Gu & Dao 2023, the Mamba paper): data tokens at random positions among
  noise, to be output in order at the end; needs content-dependent selection;
- induction (Olsson et al. 2022; Mamba paper): after a trigger, output the token that followed
  its earlier occurrence; tested at longer sequences than trained (length generalisation);
- multi-query associative recall (Arora et al. 2023, Zoology): key-value pairs, then queries;
  the number of pairs is the difficulty axis, so recall capacity against state size shows;
- parity (Deletang et al. 2023; Beck et al. 2024, xLSTM): the parity of a bit string, trained
  on lengths 3-40 and tested on 40-256 (state tracking and length generalisation).

One schema for all: ``x`` token ids, ``y`` the answer token at answer positions and
:data:`NO_ANSWER` elsewhere, variable length per row (the DataModule pads with :data:`PAD`,
which no task uses inside a sequence, so a row's true length is its count of non-PAD tokens).
The test split holds several groups (test lengths, or numbers of pairs), told apart by that
length or by the number of answers. Each split has its own seed stream: the same arguments
always give byte-identical data.
"""

import numpy as np
from datasets import Dataset, DatasetDict, Features, Sequence, Value

from seqbench.data.sources import Built
from seqbench.errors import DataError

PAD = 0
NO_ANSWER = -100  # PyTorch's ignore_index: positions whose output is not scored
TRAIN, VALIDATION, TEST_PER_GROUP = 10_000, 1_000, 500
FEATURES = Features({"x": Sequence(Value("int16")), "y": Sequence(Value("int16"))})
Rows = tuple[np.ndarray, np.ndarray]  # (n, T) inputs and answers of one length


def _rng(seed: int, split: int, group: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, split, group])


def selective_copy_rows(n: int, length: int, symbols: int, count: int, rng) -> Rows:
    """``length`` noise positions of which ``count`` hold data tokens (in random places),
    then ``count`` markers, at which the data tokens are answered in order.

    Tokens: 1 noise, 2 marker, 3.. the symbols. A model that selects nothing guesses:
    accuracy 1/symbols."""
    x = np.ones((n, length + count), dtype=np.int16)
    places = np.sort(rng.random((n, length)).argsort(axis=1)[:, :count], axis=1)
    data = rng.integers(3, 3 + symbols, (n, count), dtype=np.int16)
    np.put_along_axis(x, places, data, axis=1)
    x[:, length:] = 2
    y = np.full_like(x, NO_ANSWER)
    y[:, length:] = data
    return x, y


def induction_rows(n: int, length: int, symbols: int, rng) -> Rows:
    """Random symbols with the trigger once at a random place p < length - 2, followed by the
    answer; the last token is the trigger again, where the answer is asked for.

    Tokens: 1 trigger, 2.. the symbols (the trigger occurs nowhere else). Chance: 1/symbols."""
    x = rng.integers(2, 2 + symbols, (n, length), dtype=np.int16)
    rows = np.arange(n)
    place = rng.integers(0, length - 2, n)
    x[rows, place] = 1
    x[:, -1] = 1
    y = np.full_like(x, NO_ANSWER)
    y[:, -1] = x[rows, place + 1]
    return x, y


def mqar_rows(n: int, length: int, pairs: int, keys: int, rng) -> Rows:
    """``pairs`` key-value pairs (distinct keys), then every key queried once, in random
    order at random places among blanks; each query is answered with its value.

    Tokens: 1 blank, 2..keys+1 the keys, keys+2..2*keys+1 the values. Guessing a value:
    accuracy 1/keys; guessing among the values in context: 1/pairs."""
    rows = np.arange(n)[:, None]
    key = rng.random((n, keys)).argsort(axis=1)[:, :pairs].astype(np.int16) + 2
    value = rng.integers(keys + 2, 2 * keys + 2, (n, pairs), dtype=np.int16)
    x = np.ones((n, length), dtype=np.int16)
    x[:, 0 : 2 * pairs : 2], x[:, 1 : 2 * pairs : 2] = key, value
    slots = length - 2 * pairs
    places = 2 * pairs + np.sort(rng.random((n, slots)).argsort(axis=1)[:, :pairs], axis=1)
    order = rng.random((n, pairs)).argsort(axis=1)
    x[rows, places] = key[rows, order]
    y = np.full_like(x, NO_ANSWER)
    y[rows, places] = value[rows, order]
    return x, y


def parity_rows(n: int, length: int, rng) -> Rows:
    """A bit string (tokens 1 = 0, 2 = 1); at its last bit, answer the parity of all bits as a
    bit token. Chance: 1/2."""
    bits = rng.integers(0, 2, (n, length), dtype=np.int16)
    y = np.full_like(bits, NO_ANSWER)
    y[:, -1] = bits.sum(axis=1) % 2 + 1
    return bits + 1, y


def _dataset(parts: list[Rows]) -> Dataset:
    """Rows of several lengths in one split, in the order given."""
    xs = [row for x, _ in parts for row in x.tolist()]
    ys = [row for _, y in parts for row in y.tolist()]
    return Dataset.from_dict({"x": xs, "y": ys}, features=FEATURES)


def _built(
    task: str,
    splits: dict[str, list[Rows]],
    rule: str,
    seed: int,
    vocab_size: int,
    group_by: str,
    groups: list[int],
    chance: float,
    arguments: dict,
) -> Built:
    longest = max(x.shape[1] for parts in splits.values() for x, _ in parts)
    train_longest = max(x.shape[1] for x, _ in splits["train"])
    return Built(
        splits=DatasetDict({split: _dataset(parts) for split, parts in splits.items()}),
        source={"type": "synthetic", "task": task, "seed": seed, **arguments},
        split_rule=(
            f"{rule}; independent draws per split (and test group) from numpy "
            f"default_rng([{seed}, split, group])"
        ),
        licence="generated (no licence needed)",
        extra={
            "task": task,
            "length": longest,
            "train_length": train_longest,
            "vocab_size": vocab_size,
            "group_by": group_by,
            "groups": groups,
            "chance": chance,
        },
    )


def _check(condition: bool, message: str) -> None:
    """Refuse a probe's argument (a data config's ``source`` value) in one line."""
    if not condition:
        raise DataError(f"ability probe: source.{message}; change it in the data config")


def selective_copy(length: int = 64, symbols: int = 8, count: int = 8, seed: int = 0) -> Built:
    _check(1 <= count <= length, f"count={count} must be between 1 and length={length}")
    _check(1 <= symbols <= 1000, f"symbols={symbols} must be between 1 and 1000")

    def make(n: int, split: int) -> list[Rows]:
        return [selective_copy_rows(n, length, symbols, count, _rng(seed, split))]

    return _built(
        "selective_copy",
        {
            "train": make(TRAIN, 0),
            "validation": make(VALIDATION, 1),
            "test": make(TEST_PER_GROUP, 2),
        },
        f"selective copy: {count} of {symbols} symbols among {length} noise positions",
        seed,
        vocab_size=3 + symbols,
        group_by="length",
        groups=[length + count],
        chance=1 / symbols,
        arguments={"length": length, "symbols": symbols, "count": count},
    )


def _test_lengths(key: str, lengths: list[int], least: int) -> list[int]:
    _check(
        bool(lengths) and all(isinstance(v, int) and least <= v <= 10_000 for v in lengths),
        f"{key}={lengths} must be a list of lengths between {least} and 10000",
    )
    _check(len(set(lengths)) == len(lengths), f"{key}={lengths} repeats a length")
    return sorted(lengths)


def induction(
    length: int = 64,
    test_lengths: tuple[int, ...] = (64, 128, 256, 1024),
    symbols: int = 16,
    seed: int = 0,
) -> Built:
    _check(3 <= length <= 10_000, f"length={length} must be between 3 and 10000")
    _check(2 <= symbols <= 1000, f"symbols={symbols} must be between 2 and 1000")
    tests = _test_lengths("test_lengths", list(test_lengths), 3)
    splits = {
        "train": [induction_rows(TRAIN, length, symbols, _rng(seed, 0))],
        "validation": [induction_rows(VALIDATION, length, symbols, _rng(seed, 1))],
        "test": [
            induction_rows(TEST_PER_GROUP, t, symbols, _rng(seed, 2, i))
            for i, t in enumerate(tests)
        ],
    }
    return _built(
        "induction",
        splits,
        f"induction heads over {symbols} symbols: trained at length {length}, "
        f"tested at {tests} ({TEST_PER_GROUP} each)",
        seed,
        vocab_size=2 + symbols,
        group_by="length",
        groups=tests,
        chance=1 / symbols,
        arguments={"length": length, "test_lengths": tests, "symbols": symbols},
    )


def mqar(
    length: int = 64,
    pairs: tuple[int, ...] = (2, 4, 8, 16),
    keys: int = 32,
    seed: int = 0,
) -> Built:
    groups = _test_lengths("pairs", list(pairs), 1)
    _check(groups[-1] <= keys, f"keys={keys} is short: {groups[-1]} pairs need as many keys")
    most = groups[-1]
    _check(3 * most <= length, f"length={length} is short: {most} pairs need {3 * most}")

    def mixture(n: int, split: int) -> list[Rows]:
        """Train and validation mix every difficulty in equal shares, as Zoology trains."""
        share = n // len(groups)
        return [
            mqar_rows(share, length, p, keys, _rng(seed, split, i)) for i, p in enumerate(groups)
        ]

    splits = {
        "train": mixture(TRAIN, 0),
        "validation": mixture(VALIDATION, 1),
        "test": [
            mqar_rows(TEST_PER_GROUP, length, p, keys, _rng(seed, 2, i))
            for i, p in enumerate(groups)
        ],
    }
    return _built(
        "mqar",
        splits,
        f"multi-query associative recall, length {length}, {keys} keys and values, "
        f"pairs {groups} mixed in equal shares in train and validation, "
        f"{TEST_PER_GROUP} tests per number of pairs",
        seed,
        vocab_size=2 + 2 * keys,
        group_by="answers",
        groups=groups,
        chance=1 / keys,
        arguments={"length": length, "pairs": groups, "keys": keys},
    )


def parity(
    shortest: int = 3,
    longest: int = 40,
    test_lengths: tuple[int, ...] = (40, 64, 128, 256),
    seed: int = 0,
) -> Built:
    _check(1 <= shortest <= longest <= 10_000, "need 1 <= shortest <= longest <= 10000")
    tests = _test_lengths("test_lengths", list(test_lengths), 1)

    def spread(n: int, split: int) -> list[Rows]:
        """Every training length in equal shares (uniform lengths, one draw per length)."""
        lengths = range(shortest, longest + 1)
        share = max(1, n // len(lengths))
        return [parity_rows(share, t, _rng(seed, split, t)) for t in lengths]

    splits = {
        "train": spread(TRAIN, 0),
        "validation": spread(VALIDATION, 1),
        "test": [parity_rows(TEST_PER_GROUP, t, _rng(seed, 2, i)) for i, t in enumerate(tests)],
    }
    return _built(
        "parity",
        splits,
        f"parity of bit strings: trained on lengths {shortest}-{longest} (equal shares), "
        f"tested at {tests} ({TEST_PER_GROUP} each)",
        seed,
        vocab_size=3,
        group_by="length",
        groups=tests,
        chance=0.5,
        arguments={"shortest": shortest, "longest": longest, "test_lengths": tests},
    )
