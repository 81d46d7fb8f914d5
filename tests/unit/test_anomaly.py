"""Anomaly detection: the data's train windows and statistics, the scores, the threshold and
the delays, each against an independent computation written here."""

import functools
import itertools

import numpy as np
import pytest
import torch
from datasets import Dataset, DatasetDict

from seqbench.data import registry
from seqbench.data.anomaly import AnomalyDataModule
from seqbench.data.anomaly_scores import last_value_scores, zscore_scores
from seqbench.data.sources.anomaly import anomaly_features, parse, split_series
from seqbench.errors import DataError
from seqbench.lessons.streaming.measure import backbone_of
from seqbench.models import BACKBONES
from seqbench.tasks import Anomaly
from seqbench.tasks.anomaly import at_threshold, best_threshold, detection_delays, segments


def splits_of(parts: dict[str, tuple[np.ndarray, np.ndarray]]) -> DatasetDict:
    """A DatasetDict in the anomaly schema from (signal, labels) per split."""
    offsets = itertools.accumulate([0, *[len(x) for x, _ in parts.values()]])
    return DatasetDict(
        {
            split: Dataset.from_dict(
                {"signal": [x[:, None]], "label": [y.tolist()], "start": [a]},
                features=anomaly_features(),
            )
            for (split, (x, y)), a in zip(parts.items(), offsets, strict=False)
        }
    )


def sine(length: int, period: float = 25.0, phase: float = 0.0) -> np.ndarray:
    return np.sin(2 * np.pi * (np.arange(length) + phase) / period).astype(np.float32)


def module_for(parts, window=16, stride=4) -> AnomalyDataModule:
    module = AnomalyDataModule("planted", "unused", window=window, stride=stride, batch_size=2)
    module.datasets = module.build(splits_of(parts))
    return module


@pytest.fixture
def planted():
    """Train with two anomalous stretches; validation and test each with one."""
    train_labels = np.zeros(400, dtype=np.int8)
    train_labels[[50, 51, 52, 300]] = 1
    val_labels, test_labels = np.zeros(200, dtype=np.int8), np.zeros(200, dtype=np.int8)
    val_labels[100:110], test_labels[50:60] = 1, 1
    return {
        "train": (sine(400) + np.where(train_labels, 5.0, 0.0), train_labels),
        "validation": (sine(200, phase=3) * 40 + 100, val_labels),  # far off train's scale
        "test": (sine(200, phase=7) * 40 - 100, test_labels),
    }


def test_train_windows_never_hold_an_anomalous_sample(planted):
    module = module_for(planted)
    x, y = module.datasets["train"].x, module.datasets["train"].y
    labels = planted["train"][1]
    # independently: every start 0, 4, ... whose inputs and targets [s, s + 17) are all normal
    kept = [s for s in range(0, 400 - 16, 4) if labels[s : s + 17].sum() == 0]
    assert len(x) == len(kept) > 0
    signal = (planted["train"][0] - module.mean) / module.std
    for row, start in enumerate(kept):
        np.testing.assert_allclose(x[row, :, 0], signal[start : start + 16], rtol=1e-6)
        np.testing.assert_allclose(y[row, :, 0], signal[start + 1 : start + 17], rtol=1e-6)
    assert (y[..., -1] == 0).all()  # the label column of every train target


def test_the_loss_ignores_anomalous_steps():
    task = make_task("gru")
    outputs = torch.tensor([[[1.0], [2.0], [3.0]]])
    targets = torch.tensor([[[1.5, 0.0], [9.0, 1.0], [2.0, 0.0]]])  # step 1 is anomalous
    assert task.loss(outputs, targets).item() == pytest.approx((0.25 + 1.0) / 2)


def test_statistics_come_from_the_train_split_s_normal_samples_only(planted):
    module = module_for(planted)
    signal, labels = planted["train"]
    normal = signal[labels == 0]
    assert module.mean[0] == pytest.approx(normal.mean(), abs=1e-6)
    assert module.std[0] == pytest.approx(normal.std() + 1e-6, rel=1e-5)
    changed = dict(planted)
    changed["test"] = (planted["test"][0] * 1000, planted["test"][1])
    changed["validation"] = (planted["validation"][0] - 1e4, planted["validation"][1])
    other = module_for(changed)
    assert other.mean.tolist() == module.mean.tolist() and other.std.tolist() == module.std.tolist()


def test_evaluation_is_each_split_as_one_stream_after_unscored_context(planted):
    module = module_for(planted)  # window 16: the context is the 16 samples before the split
    for split, before in (("validation", "train"), ("test", "validation")):
        x, y = module.datasets[split].x, module.datasets[split].y
        stream = np.concatenate([planted[before][0][-16:], planted[split][0]])
        labels = [-1] * 16 + planted[split][1].tolist()
        z = (stream - module.mean[0]) / module.std[0]
        assert x.shape == (1, 215, 1) and y.shape == (1, 215, 2)
        np.testing.assert_allclose(x[0, :, 0], z[:-1], rtol=1e-5)
        np.testing.assert_allclose(y[0, :, 0], z[1:], rtol=1e-5)
        assert y[0, :, 1].tolist() == labels[1:]  # every sample of the split is scored


def test_context_steps_are_never_scored():
    task = make_task("gru")
    outputs = torch.zeros(1, 5, 1)
    targets = torch.tensor([[[9.0, -1], [9.0, -1], [1.0, 0], [2.0, 1], [3.0, 0]]])
    task.update_metrics(task.val_metrics, outputs, targets)
    scores, labels = task.val_metrics["scores"].compute()
    assert scores.tolist() == [1.0, 4.0, 9.0] and labels.tolist() == [0, 1, 0]
    assert float(task.val_metrics["loss"].compute()) == pytest.approx(5.0)  # normal: 1, 9
    assert task.loss(outputs, targets).item() == pytest.approx(5.0)


def test_the_baselines_rank_a_planted_spike_first():
    signal = sine(300)[:, None]
    signal[180] += 3.0
    assert int(np.argmax(zscore_scores(signal))) == 180
    assert int(np.argmax(last_value_scores(signal))) == 180
    expected = np.r_[0, ((signal[1:] - signal[:-1]) ** 2).sum(-1)]
    np.testing.assert_allclose(last_value_scores(signal), expected)


def make_task(model: str, channels: int = 1, budget: int = 3000) -> Anomaly:
    name, options = backbone_of(model)  # the options of conf/model/<model>.yaml
    return Anomaly(
        backbone=functools.partial(BACKBONES[name], **options),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={"channels": channels},
        embed_dim=8,
        param_budget=budget,
    )


def test_a_trained_model_ranks_a_planted_spike_first():
    torch.manual_seed(0)
    task = make_task("gru")
    optimizer = torch.optim.Adam(task.parameters(), lr=1e-2)
    starts = np.arange(0, 400, 8)
    series = np.stack([sine(49, phase=s) for s in starts])[..., None]
    x = torch.from_numpy(series[:, :-1])
    y = torch.cat([torch.from_numpy(series[:, 1:]), torch.zeros(len(starts), 48, 1)], -1)
    for _ in range(150):
        optimizer.zero_grad()
        task.loss(task(x)[0], y).backward()
        optimizer.step()
    stream = sine(200, phase=3)[None, :, None].copy()
    stream[0, 120, 0] += 3.0  # three times the signal's amplitude
    with torch.no_grad():
        outputs = task(torch.from_numpy(stream[:, :-1]))[0]
    scores = ((outputs - torch.from_numpy(stream[:, 1:])) ** 2).mean(-1)[0]
    assert int(scores.argmax()) + 1 == 120  # score i forecasts sample i + 1


@pytest.mark.parametrize("model", sorted(BACKBONES))
def test_every_backbone_takes_a_training_step_on_the_task(model):
    torch.manual_seed(0)
    task = make_task(model, channels=2, budget=6000)
    x = torch.randn(3, 24, 2)
    y = torch.cat([torch.randn(3, 24, 2), (torch.rand(3, 24, 1) < 0.1).float()], -1)
    before = task.loss(task(x)[0], y)
    before.backward()
    grads = [p.grad for p in task.parameters() if p.grad is not None]
    assert torch.isfinite(before) and grads and all(torch.isfinite(g).all() for g in grads)


def test_segments_and_detection_delays_by_hand():
    labels = np.array([0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1])
    flags = np.array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1])
    assert segments(labels) == [(2, 5), (6, 8), (10, 11)]
    # segment 2..4: first flag at 4 -> 2; 6..7: none; 10: flagged at its start -> 0
    assert detection_delays(flags, labels) == [2, None, 0]
    scores = flags.astype(float)
    found = at_threshold(scores, labels, 0.5)
    # flagged 0, 4, 8, 10; anomalous among them 4 and 10: precision 2/4, recall 2/6
    assert found["precision"] == pytest.approx(0.5) and found["recall"] == pytest.approx(1 / 3)
    assert found["f1"] == pytest.approx(2 * 0.5 / 3 / (0.5 + 1 / 3))
    assert found["delay"] == pytest.approx(1.0) and found["detected"] == pytest.approx(2 / 3)


def brute_force_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    best, chosen = -1.0, None
    for threshold in sorted(set(scores.tolist()), reverse=True):
        flags = scores >= threshold
        tp = (flags & (labels == 1)).sum()
        f1 = 2 * tp / (flags.sum() + labels.sum())
        if f1 > best:
            best, chosen = f1, threshold
    return chosen


def test_the_threshold_is_the_best_validation_f1_and_test_never_moves_it():
    rng = np.random.default_rng(0)
    for _ in range(20):
        scores = np.round(rng.random(60), 1)  # ties on purpose
        labels = (rng.random(60) < 0.2).astype(np.int64)
        labels[0] = 1
        assert best_threshold(scores, labels) == brute_force_threshold(scores, labels)
    task = make_task("gru")
    # squares of multiples of 1/64: exact in float32, so the task sees exactly these scores
    val_scores = (rng.integers(0, 64, 50) / 64) ** 2
    test_scores = (rng.integers(0, 640, 50) / 64) ** 2
    val_labels, test_labels = (rng.random((2, 50)) < 0.3).astype(int)
    feed(task, task.val_metrics, val_scores, val_labels)
    task._log_metrics("val", task.val_metrics)
    chosen = float(task.threshold)
    assert chosen == brute_force_threshold(val_scores, val_labels)
    feed(task, task.test_metrics, test_scores, test_labels)
    task._log_metrics("test", task.test_metrics)
    assert float(task.threshold) == chosen
    assert task.extra_results["threshold"] == chosen
    flags = test_scores >= chosen
    assert task.extra_results["delays"] == detection_delays(flags, test_labels)


def feed(task, metrics, scores, labels):
    """Outputs whose squared error against zero targets is ``scores``, with ``labels``."""
    outputs = torch.tensor(np.sqrt(scores), dtype=torch.float32)[None, :, None]
    targets = torch.stack([torch.zeros(len(scores)), torch.tensor(labels).float()], -1)[None]
    task.update_metrics(metrics, outputs, targets)


def test_the_file_reader_and_splitter_refuse_in_one_line():
    with pytest.raises(DataError, match=r"has no column .label. \(it has data, mark\)"):
        parse(b"data,mark\n1,0\n", "f.csv")
    with pytest.raises(DataError, match="line 3: label '2' is not 0 or 1"):
        parse(b"data,label\n1,0\n2,2\n", "f.csv")
    with pytest.raises(DataError, match="line 2: 'x', '0' is not a number"):
        parse(b"data,label\nx,0\n", "f.csv")
    signal, labels = np.zeros(10, dtype=np.float32), np.zeros(10, dtype=np.int8)
    labels[8] = 1
    with pytest.raises(DataError, match=r"the validation split \(samples 3\.\.6\) holds no"):
        split_series(signal, labels, 3, 7, "f.csv")
    with pytest.raises(DataError, match="must satisfy 0 < validation_start < test_start < 10"):
        split_series(signal, labels, 7, 3, "f.csv")


def test_mitdb_is_sktime_s_file_split_by_time_with_anomalies_in_validation_and_test():
    from importlib import metadata

    built = registry.get("mitdb").build()
    raw = metadata.distribution("sktime").locate_file("sktime/datasets/data/mitdb/mitdb.csv")
    table = np.loadtxt(raw, delimiter=",", skiprows=1)
    starts = {"train": 0, "validation": 4800, "test": 7000}
    ends = {"train": 4800, "validation": 7000, "test": 7500}
    for split in starts:
        row = built.splits[split].with_format("numpy")[0]
        a, b = starts[split], ends[split]
        np.testing.assert_allclose(row["signal"][:, 0], table[a:b, 0], rtol=1e-6)
        assert row["label"].tolist() == table[a:b, 1].astype(int).tolist()
        assert row["start"] == a
    counts = built.extra["split_counts"]
    assert counts["train"]["anomalous"] == 0
    assert counts["validation"]["anomalous"] > 0 and counts["test"]["anomalous"] > 0
    assert "validation and test both hold anomalies" in built.split_rule


@pytest.mark.parametrize("model", sorted(BACKBONES))
def test_streamed_scores_equal_the_whole_sequence_scores(model):
    from seqbench.lessons.streaming.streamer import stream

    torch.manual_seed(0)
    task = make_task(model, channels=2, budget=6000).eval()
    x = torch.randn(1, 60, 2)
    with torch.no_grad():
        whole = task(x)[0]
    streamed, seconds = task.stream(x)
    torch.testing.assert_close(streamed, whole, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(stream(task, x), whole, atol=1e-4, rtol=1e-4)  # the lesson's
    assert len(seconds) == 60 and all(s > 0 for s in seconds)


def test_yahoo_holds_whole_anomalies_in_validation_and_test():
    built = registry.get("yahoo").build()
    counts = built.extra["split_counts"]
    assert [counts[s]["anomalous"] for s in ("train", "validation", "test")] == [0, 3, 4]
    for split in ("validation", "test"):
        labels = built.splits[split].with_format("numpy")[0]["label"]
        assert all(a > 0 and b < len(labels) for a, b in segments(labels))  # none cut
