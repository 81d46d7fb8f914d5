"""Forecasting data: windows split by time, targets the true future, train-only statistics,
baselines as computed by hand, and one-line refusals."""

import csv
from importlib import metadata

import numpy as np
import pytest

from seqbench.data import fetch, forecast_baselines, snapshot
from seqbench.data.series import SeriesDataModule
from seqbench.data.sources import Built
from seqbench.data.sources import series as series_source
from seqbench.data.timeseries import SPLITS, time_split
from seqbench.errors import ConfigError, DataError

AIRLINE = "sktime/datasets/data/Airline/Airline.csv"


def airline_raw() -> np.ndarray:
    """The passengers column, read here with csv, independently of seqbench's reader."""
    text = metadata.distribution("sktime").locate_file(AIRLINE).read_text()
    return np.array([float(row["Passengers"]) for row in csv.DictReader(text.splitlines())])


def write(tmp_path, name: str, series: list[tuple[str, np.ndarray]], sizes: list) -> None:
    """A forecasting snapshot of these series, as `seqbench fetch` writes one."""
    channels = series[0][1].shape[1]
    built = Built(
        splits=series_source.split_series(series, sizes, channels),
        source={"type": "test"},
        split_rule="by time",
        licence="none",
        extra={"channels": [f"c{i}" for i in range(channels)]},
    )
    snapshot.write(name, "forecast", "test", built, tmp_path)


def module(tmp_path, name: str, **settings) -> SeriesDataModule:
    data = SeriesDataModule(name, tmp_path, batch_size=1, **settings)
    data.setup("fit")
    return data


def test_time_split_cuts_contiguous_parts_in_order():
    assert time_split(100, [0.7, 0.15, 0.15]) == [slice(0, 70), slice(70, 85), slice(85, 100)]
    assert time_split(17420, [8640, 2880, 2880]) == [
        slice(0, 8640),
        slice(8640, 11520),
        slice(11520, 14400),
    ]
    with pytest.raises(DataError, match="asks for 14400 rows but the series has 1000"):
        time_split(1000, [8640, 2880, 2880])


def test_airline_targets_are_the_true_future_values(tmp_path):
    fetch.fetch(["airline"], tmp_path)
    raw = airline_raw()
    assert len(raw) == 144
    data = module(tmp_path, "airline", context=12, horizon=6, season=12)
    mean, std = raw[:96].mean(), raw[:96].std()
    assert data.mean[0] == pytest.approx(mean) and data.std[0] == pytest.approx(std)
    first_row = {"train": 0, "validation": 96, "test": 120}
    lengths = {"train": 96, "validation": 24, "test": 24}
    for split in SPLITS:
        windows = data.datasets[split]
        assert len(windows) == lengths[split] - 18 + 1  # every step, inside the part
        for i in range(len(windows)):
            x, y = windows[i]
            begin = first_row[split] + i
            np.testing.assert_allclose(x[:, 0].numpy() * std + mean, raw[begin : begin + 12])
            future = raw[begin + 12 : begin + 18]
            np.testing.assert_allclose(y[:, 0].numpy() * std + mean, future, rtol=1e-5)


def test_normalisation_never_sees_validation_or_test_values(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(200, 2))
    changed = values.copy()
    changed[140:] = rng.normal(loc=50.0, scale=9.0, size=(60, 2))  # validation and test
    write(tmp_path / "a", "s", [("s", values)], [0.7, 0.15, 0.15])
    write(tmp_path / "b", "s", [("s", changed)], [0.7, 0.15, 0.15])
    a = module(tmp_path / "a", "s", context=8, horizon=4)
    b = module(tmp_path / "b", "s", context=8, horizon=4)
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.std, b.std)
    np.testing.assert_allclose(a.mean, values[:140].mean(axis=0))
    np.testing.assert_array_equal(a.datasets["train"].arrays()[0], b.datasets["train"].arrays()[0])
    assert a.baselines["linear"] != b.baselines["linear"]  # the test part did change


def test_no_window_crosses_a_split_or_a_series_boundary(tmp_path):
    rng = np.random.default_rng(1)
    lengths = [50, 73, 120]
    series = [(f"s{i}", rng.normal(size=(n, 1))) for i, n in enumerate(lengths)]
    write(tmp_path, "many", series, [0.6, 0.2, 0.2])
    data = module(tmp_path, "many", context=5, horizon=3, stride=2, eval_stride=3)
    rows = snapshot.load("many", tmp_path)[0]
    for split in SPLITS:
        windows = data.datasets[split]
        part_lengths = [len(v) for v in rows[split].with_format("numpy")["values"]]
        ends = np.cumsum(part_lengths)
        begins = ends - part_lengths
        for start in windows.starts:
            owner = np.searchsorted(ends, start, side="right")
            assert begins[owner] <= start and start + 8 <= ends[owner], (split, start)
        stride = 2 if split == "train" else 3
        expected = sum(len(range(0, n - 8 + 1, stride)) for n in part_lengths)
        assert len(windows) == expected


def test_baselines_match_a_hand_computation():
    contexts = np.arange(2 * 6 * 1, dtype=float).reshape(2, 6, 1) ** 2
    last = forecast_baselines.last_value(contexts, 4)
    assert last[:, :, 0].tolist() == [[25.0] * 4, [121.0] * 4]
    seasonal = forecast_baselines.seasonal_naive(contexts, 5, season=3)
    # season 3: steps 0..4 of the horizon repeat context steps 3, 4, 5, 3, 4
    for n in range(2):
        hand = [contexts[n, t, 0] for t in (3, 4, 5, 3, 4)]
        assert seasonal[n, :, 0].tolist() == hand
    errors = forecast_baselines.errors(np.zeros((1, 2, 1)), np.array([[[1.0], [-3.0]]]))
    assert errors == {"mse": 5.0, "mae": 2.0, "mse_by_horizon": [1.0, 9.0]}


def test_the_linear_baseline_is_least_squares_shared_by_the_channels():
    rng = np.random.default_rng(2)
    contexts = rng.normal(size=(300, 7, 3))
    truth = rng.normal(size=(7, 2))
    targets = np.einsum("ntc,th->nhc", contexts, truth) + 0.5
    weights = forecast_baselines.fit_linear(contexts, targets, ridge=0.0)
    np.testing.assert_allclose(weights[:-1], truth, atol=1e-8)
    np.testing.assert_allclose(weights[-1], [0.5, 0.5], atol=1e-8)
    noisy = targets + rng.normal(size=targets.shape)
    fitted = forecast_baselines.fit_linear(contexts, noisy, ridge=0.0)
    design = np.hstack([contexts.transpose(0, 2, 1).reshape(-1, 7), np.ones((900, 1))])
    answer = np.linalg.lstsq(design, noisy.transpose(0, 2, 1).reshape(-1, 2), rcond=None)[0]
    np.testing.assert_allclose(fitted, answer, atol=1e-8)
    predicted = forecast_baselines.apply_linear(fitted, contexts[:3])
    np.testing.assert_allclose(predicted[1, :, 2], design[1 * 3 + 2] @ answer)


def test_the_linear_baseline_is_fitted_on_train_windows_only(tmp_path, monkeypatch):
    seen = []
    fit = forecast_baselines.fit_linear
    monkeypatch.setattr(forecast_baselines, "fit_linear", lambda x, y: seen.append(x) or fit(x, y))
    fetch.fetch(["airline"], tmp_path)
    data = module(tmp_path, "airline", context=12, horizon=6, season=12)
    np.testing.assert_array_equal(seen[0], data.datasets["train"].arrays()[0])
    assert set(data.baselines) == {"last_value", "seasonal_naive", "linear"}


def test_a_window_longer_than_the_train_part_is_one_clear_line(tmp_path):
    fetch.fetch(["airline"], tmp_path)
    with pytest.raises(ConfigError) as error:
        module(tmp_path, "airline", context=90, horizon=12)
    message = str(error.value)
    assert "data.context=90 + data.horizon=12 = 102 steps" in message
    assert "longest train part (96 steps)" in message and "\n" not in message


def test_a_window_longer_than_the_test_part_is_refused(tmp_path):
    fetch.fetch(["airline"], tmp_path)
    with pytest.raises(ConfigError, match="no example fits in its validation split"):
        module(tmp_path, "airline", context=24, horizon=6)


def test_bad_columns_and_split_rules_are_one_clear_line():
    with pytest.raises(DataError) as error:
        series_source.package_csv(
            "sktime", AIRLINE, ["Passenger"], {"by": "time", "sizes": [96, 24, 24]}
        )
    assert str(error.value) == (
        f"{AIRLINE} has no column 'Passenger'; its columns: Date, Passengers"
    )
    with pytest.raises(DataError, match="a value in \\['Date'\\] is not a number"):
        series_source.package_csv("sktime", AIRLINE, ["Date"], None)
    with pytest.raises(DataError, match="split by time only"):
        series_source.package_csv("sktime", AIRLINE, ["Passengers"], {"by": "document"})
    with pytest.raises(DataError, match="must be one of sktime"):
        series_source.package_csv("numpy", "numpy/__init__.py", ["x"], None)


def test_the_bundled_series_build_the_same_bytes_and_record_their_source(tmp_path):
    import hashlib

    first = fetch.fetch(["airline"], tmp_path / "a")["airline"]
    again = fetch.fetch(["airline"], tmp_path / "b")["airline"]
    assert first["content_hash"] == again["content_hash"]
    data = metadata.distribution("sktime").locate_file(AIRLINE).read_bytes()
    assert first["source"]["files"] == {AIRLINE: hashlib.sha256(data).hexdigest()}
    assert first["rows"] == {"train": 1, "validation": 1, "test": 1}
    assert first["split_rule"].startswith("by time: each series cut into contiguous parts")


def test_watch_forecast_targets_are_the_recordings_true_future(tmp_path):
    from importlib import resources

    path = resources.files("seglearn") / "data" / "watch_dataset.npy"
    with resources.as_file(path) as file:
        recordings = [
            np.asarray(x, dtype=np.float64) for x in np.load(file, allow_pickle=True).item()["X"]
        ]
    fetch.fetch(["watch_forecast"], tmp_path)
    data = module(tmp_path, "watch_forecast", context=64, horizon=16, stride=4, eval_stride=8)
    train = np.concatenate([x[: round(0.7 * len(x))] for x in recordings])
    np.testing.assert_allclose(data.mean, train.mean(axis=0), rtol=1e-6)
    expected = []  # (recording, first step of the window) of every test window, in order
    for index, x in enumerate(recordings):
        begin = round(0.7 * len(x)) + round(0.15 * len(x))
        expected += [(index, begin + s) for s in range(0, len(x) - begin - 80 + 1, 8)]
    test = data.datasets["test"]
    assert len(test) == len(expected)
    for i in range(0, len(expected), 97):
        index, start = expected[i]
        x, y = test[i]
        raw = recordings[index]
        np.testing.assert_allclose(
            x.numpy() * data.std + data.mean, raw[start : start + 64], atol=1e-3
        )
        future = y.numpy() * data.std + data.mean
        np.testing.assert_allclose(future, raw[start + 64 : start + 80], atol=1e-3)
