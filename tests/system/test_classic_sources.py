"""The classic offline benchmarks (sequential digits, MNIST-1D): each built dataset is checked
against the package's own data recomputed here, by the split rule written out again."""

import hashlib
import json
import random
import socket

import numpy as np
import pytest
from helpers.cli import SMOKE, one_line_error, run_cli
from mnist1d.data import get_dataset_args, make_dataset
from sklearn.datasets import load_digits

from seqbench import config
from seqbench.data import fetch, registry
from seqbench.data.sensor import SensorDataModule
from seqbench.errors import DataError
from seqbench.train import train


def unit(index: int, seed: int) -> float:
    """Key ``index``'s seeded blake2b hash as a number in [0, 1), the rule the configs state."""
    digest = hashlib.blake2b(f"{seed}\x00{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def hashed_split(index: int, seed: int, bounds: tuple[float, float]) -> str:
    """Below the first bound train, below the second validation, else test."""
    u = unit(index, seed)
    return "train" if u < bounds[0] else "validation" if u < bounds[1] else "test"


def signals(built, split: str) -> tuple[np.ndarray, np.ndarray]:
    rows = built.splits[split].with_format("numpy")[:]
    return np.stack(list(rows["signal"])), np.asarray(rows["label"])


def expected_digits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """load_digits() images flattened row by row, split 0.7 / 0.15 / 0.15 by seed 0."""
    digits = load_digits()
    flat = digits.images.reshape(-1, 64).astype(np.float32)
    where = np.array([hashed_split(i, 0, (0.7, 0.85)) for i in range(len(flat))])
    splits = ("train", "validation", "test")
    return {s: (flat[where == s], digits.target[where == s]) for s in splits}


def test_digits_rows_are_the_images_read_pixel_by_pixel_in_the_stated_split():
    built = registry.get("digits").build()
    expected = expected_digits()
    assert sum(len(x) for x, _ in expected.values()) == 1797
    for split, (pixels, labels) in expected.items():
        signal, label = signals(built, split)
        assert signal.shape == (len(pixels), 64, 1) and signal.dtype == np.float32
        np.testing.assert_array_equal(signal[:, :, 0], pixels)
        np.testing.assert_array_equal(label, labels)
    assert "seed 0" in built.split_rule and "index" in built.split_rule
    assert built.source["package"] == "scikit-learn" and "permutation" not in built.extra


def test_digits_permuted_is_one_fixed_true_permutation_of_every_image():
    plain, permuted = registry.get("digits").build(), registry.get("digits_permuted").build()
    order = np.array(permuted.extra["permutation"])
    assert sorted(order.tolist()) == list(range(64))  # a true permutation
    assert (order != np.arange(64)).sum() > 32  # that moves most pixels
    for split in ("train", "validation", "test"):
        (x, y), (px, py) = signals(plain, split), signals(permuted, split)
        np.testing.assert_array_equal(py, y)  # the same images in the same splits
        np.testing.assert_array_equal(px[:, :, 0], x[:, order, 0])  # one order for all rows
    again = registry.get("digits_permuted").build()
    assert again.extra["permutation"] == order.tolist()


def test_fetch_twice_gives_the_same_content_hash(tmp_path):
    names = ["digits", "digits_permuted", "mnist1d_shuffled"]
    first = fetch.fetch(names, tmp_path / "a")
    second = fetch.fetch(names, tmp_path / "b")
    for name in names:
        assert first[name]["content_hash"] == second[name]["content_hash"], name
        assert first[name]["files"] == second[name]["files"], name
    hashes = {first[name]["content_hash"] for name in names}
    assert len(hashes) == len(names)  # the permuted data is not the plain data


def test_digits_refuses_a_bad_seed_or_split():
    build = registry.BUILDERS["seqbench.data.sources.digits.build"][0]
    rule = {"by": "image", "fractions": {"train": 0.7, "validation": 0.15, "test": 0.15}}
    for seed in (-1, "0", True, 1.5):
        with pytest.raises(DataError, match="permutation_seed must be an integer >= 0"):
            build(permutation_seed=seed, split=rule)
    with pytest.raises(DataError, match="must sum to 1"):
        build(split={"by": "image", "fractions": {"train": 0.7, "validation": 0.2, "test": 0.2}})
    with pytest.raises(DataError, match=r"split\.by='subject' is not a rule here; valid: image"):
        build(split={"by": "subject"})


def test_a_bad_option_in_a_config_inheriting_digits_is_one_line(tmp_path):
    folder = tmp_path / "conf" / "data"
    folder.mkdir(parents=True)
    (folder / "digits_bad.yaml").write_text(
        "defaults:\n  - digits\n\nname: digits_bad\nsource:\n  permutation_seed: -3\n"
    )
    raw = tmp_path / "raw"
    result = run_cli(
        "seqbench.cli", "fetch", "digits_bad", "--config-dir", str(tmp_path / "conf"),
        "--raw-dir", str(raw),
    )  # fmt: skip
    assert result.returncode == 2
    assert "permutation_seed must be an integer >= 0" in one_line_error(result)
    assert not (raw / "digits_bad").exists()


def test_mnist1d_is_the_package_dataset_with_validation_carved_from_train(monkeypatch):
    reference = make_dataset(get_dataset_args())  # the package's own build, seed 42

    def no_network(*_args, **_kwargs):
        raise AssertionError("building MNIST-1D opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    before = (np.random.get_state()[1].copy(), random.getstate())
    built = registry.get("mnist1d").build()
    assert np.array_equal(np.random.get_state()[1], before[0]) and random.getstate() == before[1]

    x, y = np.asarray(reference["x"], np.float32), np.asarray(reference["y"])
    held = np.array([unit(i, 0) < 0.1 for i in range(len(y))])
    assert 0.05 < held.mean() < 0.15
    test_x, test_y = signals(built, "test")
    np.testing.assert_array_equal(test_x[:, :, 0], np.asarray(reference["x_test"], np.float32))
    np.testing.assert_array_equal(test_y, reference["y_test"])
    for split, rows in (("train", ~held), ("validation", held)):
        signal, label = signals(built, split)
        assert signal.shape == (rows.sum(), 40, 1)
        np.testing.assert_array_equal(signal[:, :, 0], x[rows])
        np.testing.assert_array_equal(label, y[rows])
    assert len(y) + len(test_y) == 5000


def test_mnist1d_shuffled_reorders_the_steps_of_every_sequence_one_fixed_way():
    plain, shuffled = registry.get("mnist1d").build(), registry.get("mnist1d_shuffled").build()
    x, y = signals(plain, "train")
    sx, sy = signals(shuffled, "train")
    np.testing.assert_array_equal(sy, y)
    # each shuffled step is the plain step it matches best, over every training sequence
    distance = ((sx[:, :, 0, None] - x[:, None, :, 0]) ** 2).sum(axis=0)
    order = distance.argmin(axis=1)
    assert sorted(order.tolist()) == list(range(40)) and (order != np.arange(40)).any()
    for split in ("train", "validation", "test"):  # the same order in every split
        (px, _), (qx, _) = signals(plain, split), signals(shuffled, split)
        np.testing.assert_allclose(qx[:, :, 0], px[:, order, 0], atol=1e-5)


def test_mnist1d_refuses_a_bad_option():
    build = registry.BUILDERS["seqbench.data.sources.mnist1d.build"][0]
    with pytest.raises(DataError, match=r"source\.validation must be a fraction"):
        build(validation=1.5)
    with pytest.raises(DataError, match=r"source\.shuffle_seq must be true or false"):
        build(shuffle_seq="yes")
    with pytest.raises(DataError, match=r"source\.seed must be an integer >= 0"):
        build(seed=-1)


@pytest.mark.slow
def test_each_classic_benchmark_is_one_window_per_sequence_and_trains(tmp_path):
    names = ["digits", "digits_permuted", "mnist1d", "mnist1d_shuffled"]
    raw = tmp_path / "raw"
    written = fetch.fetch(names, raw)
    for name, model in zip(names, ("gru", "transformer", "lstm", "mingru"), strict=True):
        cfg = config.compose(
            [
                f"paths.root_dir={tmp_path}",
                f"paths.raw_dir={raw}",
                f"data={name}",
                f"model={model}",
                *SMOKE,
            ]
        )
        module = SensorDataModule(name, raw, window=cfg.data.window, stride=cfg.data.stride)
        module.setup("fit")
        rows = written[name]["rows"]
        assert {s: len(module.datasets[s]) for s in rows} == rows  # one window per sequence
        train(cfg)
        out = json.loads((tmp_path / "outputs" / name / model / "0" / "metrics.json").read_text())
        assert out["status"] == "finished" and out["monitor"] == "val/acc", name
        assert 0 <= out["test"]["test/acc"] <= 1, name
