"""The context lesson: the perturbation touches only what lies farther back than d; a model
that sees only its last k characters has an effective context of at most k; a trained LSTM's
loss falls with position; the command, its JSON and its refusals; the sentences follow the
numbers and name no model that looks farthest back without two seeds and separate spreads."""

import copy
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers.cli import one_line_error, run_cli

from seqbench.lessons.context.aggregate import bucket_losses, models, settles_at
from seqbench.lessons.context.measure import (
    distances,
    held_out,
    measure_model,
    perturb,
    perturbed_inputs,
    sample_windows,
)
from seqbench.lessons.context.reading import context_reading, farthest
from seqbench.lessons.context.section import section
from seqbench.page.parts import Section

ENV = os.environ | {"OMP_NUM_THREADS": "1"}
STEPS, SEQ_LEN, SEEDS = 150, 32, (0, 1)


def _far_indices(length: int, distance: int) -> list[int]:
    """Indices of a window of length + 1 (target last) more than ``distance`` back from the
    target, written from the definition: index i is length - i characters back."""
    return [i for i in range(length + 1) if length - i > distance]


@pytest.mark.parametrize("mode", ["shuffle", "replace"])
@pytest.mark.parametrize("distance", [1, 2, 5, 16, 31, 32, 40])
def test_the_perturbation_moves_only_what_lies_farther_back_than_d(mode, distance):
    length, rng = 32, np.random.default_rng(7)
    pool = rng.integers(1, 60, 5000)
    rows = np.stack([pool[s : s + length + 1] for s in rng.integers(0, 4000, 50)])
    out = perturb(rows, distance, mode, np.random.default_rng(1), pool)
    far = _far_indices(length, distance)
    near = [i for i in range(length + 1) if i not in far]
    assert out.shape == rows.shape and out.dtype == rows.dtype
    np.testing.assert_array_equal(out[:, near], rows[:, near])  # within d, and the target
    assert near[-1] == length  # the target is among the untouched
    if not far:
        np.testing.assert_array_equal(out, rows)
        return
    if mode == "shuffle":  # the same characters in each row, in another order
        np.testing.assert_array_equal(np.sort(out[:, far], 1), np.sort(rows[:, far], 1))
    else:  # a stretch of the pool, found by search
        text = pool.tobytes()
        assert all(row[far].tobytes() in text for row in out)
    if len(far) > 8:
        assert (out[:, far] != rows[:, far]).any(axis=1).mean() > 0.9


def test_the_perturbations_are_seeded_and_shared():
    rows = np.random.default_rng(0).integers(1, 60, (8, 17))
    pool = np.arange(1, 1000) % 59 + 1
    first, again = perturbed_inputs(rows, pool, 3), perturbed_inputs(rows, pool, 3)
    other = perturbed_inputs(rows, pool, 4)
    for mode in first:
        assert len(first[mode]) == len(distances(16)) == 4  # 1, 2, 4, 8
        assert all(torch.equal(a, b) for a, b in zip(first[mode], again[mode], strict=True))
        assert any(not torch.equal(a, c) for a, c in zip(first[mode], other[mode], strict=True))


class KGram:
    """A character model that by construction reads only the last ``k`` inputs: add-one
    smoothed counts of the next id after each k-gram of the train text."""

    def __init__(self, ids: np.ndarray, k: int, vocab: int) -> None:
        self.k, self.vocab = k, vocab
        ids = np.asarray(ids, dtype=np.int64)
        grams = np.lib.stride_tricks.sliding_window_view(ids, k + 1)
        self.codes, self.counts = np.unique(self._code(grams), return_counts=True)

    def _code(self, grams: np.ndarray) -> np.ndarray:
        base = self.vocab + 1  # one more symbol: "before the window" (a zero state)
        return (grams * base ** np.arange(grams.shape[-1])[::-1]).sum(-1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        ids = x.numpy()
        padded = np.concatenate([np.full((len(ids), self.k - 1), self.vocab), ids], axis=1)
        contexts = np.lib.stride_tricks.sliding_window_view(padded, self.k, axis=1)
        every = np.arange(self.vocab)
        grams = np.concatenate(
            [np.broadcast_to(contexts[..., None, :], (*contexts.shape[:2], self.vocab, self.k)),
             np.broadcast_to(every[:, None], (*contexts.shape[:2], self.vocab, 1))], axis=-1,
        )  # fmt: skip
        codes = self._code(grams)
        at = np.searchsorted(self.codes, codes).clip(max=len(self.codes) - 1)
        counts = np.where(self.codes[at] == codes, self.counts[at], 0)
        return torch.from_numpy(np.log(counts + 1.0)).float()  # softmax normalises


@pytest.fixture(scope="module")
def shakespeare(raw_dir: Path) -> tuple[np.ndarray, np.ndarray, int]:
    from seqbench.data.text import CharLMDataModule

    datamodule = CharLMDataModule("shakespeare", str(raw_dir))
    datamodule.setup("fit")
    test, _ = held_out("shakespeare", raw_dir)
    return np.asarray(datamodule.datasets["train"].ids), test, datamodule.vocab_size


@pytest.mark.parametrize("k", [2, 4])
def test_a_model_that_sees_k_characters_has_an_effective_context_of_at_most_k(shakespeare, k):
    train, test, vocab = shakespeare
    model = KGram(train, k, vocab)
    rows = sample_windows(test, 200, 32, seed=0)
    result = measure_model(model, rows, perturbed_inputs(rows, test, 0))
    for mode in ("replace", "shuffle"):
        rises = dict(zip(distances(32), result["increase"][mode], strict=True))
        assert all(rises[d] == pytest.approx(0, abs=1e-5) for d in rises if d >= k), rises
        assert result["effective_context"][mode] <= k
    # and it does use what it sees: cutting inside its k characters costs more than 1 %
    assert result["increase"]["replace"][0] > 0.01 * result["last_loss"]
    assert result["effective_context"]["replace"] == k
    positions = result["loss_by_position"]
    assert positions[0] > positions[k] + 0.3  # more context helps, up to its k


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """A runs folder with a small LSTM trained for real through the CLI, two seeds."""
    root = tmp_path_factory.mktemp("context")
    for seed in SEEDS:
        result = run_cli("seqbench.train", f"paths.root_dir={root}", f"paths.raw_dir={raw_dir}",
                         "data=shakespeare", "model=lstm", "budget=smoke",
                         f"budget.max_steps={STEPS}", "budget.val_every=50", "logger=csv",
                         "print_config=false", "callbacks.progress_bar=null",
                         "model.hidden_size=32", f"data.seq_len={SEQ_LEN}", f"seed={seed}",
                         env=ENV, timeout=600)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
    return root / "outputs"


def test_the_command_measures_every_seed_and_the_loss_falls_with_position(
    trained, raw_dir, tmp_path
):
    out = tmp_path / "lessons" / "context.json"
    args = ("--raw-dir", str(raw_dir), "--windows", "128", "--out", str(out))
    result = run_cli("seqbench.cli", "context", str(trained), *args, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(out.read_text())
    assert found["split"] == "test" and found["windows"] == 128 and found["threads"] == 1
    assert found["distances"] == {str(SEQ_LEN): [1, 2, 4, 8, 16]}
    assert list(found["models"]) == ["lstm"]
    runs = found["models"]["lstm"]["seeds"]
    assert sorted(runs) == [str(s) for s in SEEDS]
    for seed, run in runs.items():
        losses = run["loss_by_position"]
        assert len(losses) == SEQ_LEN
        assert losses[0] > np.mean(losses[8:]) + 0.1, losses  # context helps
        metrics = json.loads((trained / "shakespeare" / "lstm" / seed / "metrics.json").read_text())
        # the same quantity as test/loss (all positions from a zero state), on other windows
        assert abs(np.mean(losses) - metrics["test"]["test/loss"]) < 0.15
        assert run["last_loss"] == pytest.approx(losses[-1], rel=1e-5)
    assert f"{found['seconds']:.1f} s" in result.stdout
    shown = section([], out.parent)
    assert isinstance(shown, Section) and shown.key == "context"
    assert shown.tables[0].rows[0][:2] == ["lstm", "2"]
    assert shown.figures[0].svg.startswith("<svg")


def test_without_runs_or_with_bad_settings_is_one_line(tmp_path, trained, raw_dir):
    out = tmp_path / "context.json"
    empty = run_cli("seqbench.cli", "context", str(tmp_path), "--out", str(out), env=ENV)
    assert empty.returncode == 2 and "no checkpoint at" in one_line_error(empty)
    for args, expected in ((("--windows", "1"), "--windows=1 is out of range; valid: 2..10,000"),
                           (("--windows", "10001"), "--windows=10001 is out of range"),
                           (("--seed", "-1"), "--seed must be in 0..")):  # fmt: skip
        bad = run_cli("seqbench.cli", "context", str(trained), *args,
                      "--raw-dir", str(raw_dir), "--out", str(out), env=ENV)  # fmt: skip
        assert bad.returncode == 2 and expected in one_line_error(bad)
    assert not out.exists()


def _run(effective: int, shuffle: int, losses: list[float]) -> dict:
    rises = [0.5, 0.1, 0.0, 0.0]
    return {"window": 16, "loss_by_position": losses, "last_loss": losses[-1],
            "increase": {"replace": rises, "shuffle": rises},
            "effective_context": {"replace": effective, "shuffle": shuffle}}  # fmt: skip


def _result(contexts: dict[str, list[tuple[int, int]]]) -> dict:
    losses = [3.0, 2.5, 2.2, 2.1] + [2.0] * 12
    return {
        "windows": 64,
        "threshold": 0.01,
        "distances": {"16": [1, 2, 4, 8]},
        "seconds": 2.5,
        "threads": 1,
        "models": {
            model: {"seeds": {str(i): _run(r, s, losses) for i, (r, s) in enumerate(seeds)}}
            for model, seeds in contexts.items()
        },
    }


def test_the_sentences_follow_the_numbers():
    apart = _result({"rnn": [(2, 2), (2, 2)], "lstm": [(8, 4), (8, 4)]})
    text = " ".join(context_reading(apart))
    assert "lstm looks farthest back" in text and "undecided" not in text
    assert "far text replaced (characters): rnn 2; lstm 8" in text
    assert "lstm (order within 4, characters within 8)" in text
    overlapping = _result({"rnn": [(2, 2), (8, 8)], "lstm": [(8, 4), (8, 4)]})
    text = " ".join(context_reading(overlapping))
    assert "looks farthest back is undecided" in text and "rnn 2-8 over seeds" in text
    single = _result({"rnn": [(2, 2)], "lstm": [(16, 16)]})
    text = " ".join(context_reading(single))
    assert (
        "undecided: rnn and lstm have a single seed" in text
        and "lstm 16 (the whole window)" in text
    )
    slower = copy.deepcopy(apart)
    for run in slower["models"]["rnn"]["seeds"].values():
        run["loss_by_position"] = [3.0, 2.9, 2.8, 2.7, 2.6, 2.5, 2.4, 2.3] + [2.0] * 8
    assert context_reading(slower) != context_reading(apart)
    assert "rnn from 3.000 at position 0 to 2.000 at 8-15, within 1% of that from position 8" in (
        " ".join(context_reading(slower))
    )
    assert farthest(models(apart)[:1]) == ""  # one model: nothing to compare


def test_positions_settle_where_every_later_bucket_stays_close():
    losses = [3.0, 2.0, 2.5, 2.5, 2.02, 2.0, 2.0, 2.0]
    assert [(a, b) for a, b, _ in bucket_losses(losses)] == [(0, 0), (1, 1), (2, 3), (4, 7)]
    assert settles_at(losses, 0.01) == 4  # position 1 is close, but 2-3 is not
    assert settles_at(losses, 0.3) == 1


def test_a_malformed_file_shows_no_section_and_a_bad_run_is_left_out(tmp_path):
    assert section([], tmp_path) is None
    (tmp_path / "context.json").write_text("[1, 2]")
    assert section([], tmp_path) is None
    found = _result({"rnn": [(2, 2), (2, 2)], "lstm": [(8, 4), (8, 4)]})
    found["models"]["rnn"]["seeds"]["1"]["loss_by_position"] = [1.0, "x"]
    found["models"]["lstm"]["seeds"]["0"]["increase"]["shuffle"] = [float("nan")] * 4
    (tmp_path / "context.json").write_text(json.dumps(found))
    shown = section([], tmp_path)
    assert [row[:2] for row in shown.tables[0].rows] == [["rnn", "1"], ["lstm", "1"]]
