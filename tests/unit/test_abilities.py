"""The ability probes (issue 23): each generator's rows checked against the task's rule as
written here, independently of the generator; padding that never changes a scored output;
accuracy per group against a count by hand; a bad probe argument refused in one line."""

import functools

import numpy as np
import pytest
import torch
from helpers.cli import SMOKE, one_line_error, run_cli

from seqbench.data.abilities import padded
from seqbench.data.sources import abilities
from seqbench.data.sources.abilities import NO_ANSWER, PAD
from seqbench.errors import DataError
from seqbench.models import BACKBONES
from seqbench.tasks.ability import Ability, AccuracyByGroup


def rows(built, split: str) -> list[tuple[list[int], list[int]]]:
    data = built.splits[split][:]
    return list(zip(data["x"], data["y"], strict=True))


@pytest.fixture(scope="module")
def probes() -> dict:
    """Each probe at small sizes (the generators' rules do not depend on size)."""
    return {
        "selective_copy": abilities.selective_copy(length=24, symbols=5, count=6, seed=3),
        "induction": abilities.induction(length=12, test_lengths=(12, 30), symbols=6, seed=3),
        "mqar": abilities.mqar(length=40, pairs=(2, 5, 9), keys=10, seed=3),
        "parity": abilities.parity(shortest=3, longest=9, test_lengths=(9, 20), seed=3),
    }


def test_selective_copy_answers_the_data_tokens_in_order(probes):
    for x, y in rows(probes["selective_copy"], "train")[:300]:
        context, tail = x[:24], x[24:]
        data = [t for t in context if t != 1]  # everything that is not noise
        assert len(data) == 6 and all(3 <= t < 8 for t in data)
        assert tail == [2] * 6  # the markers
        assert y[:24] == [NO_ANSWER] * 24 and y[24:] == data


def test_induction_answers_what_followed_the_trigger(probes):
    built = probes["induction"]
    for split in ("train", "test"):
        for x, y in rows(built, split):
            triggers = [i for i, t in enumerate(x) if t == 1]
            assert len(triggers) == 2 and triggers[1] == len(x) - 1
            assert y[-1] == x[triggers[0] + 1] and 2 <= y[-1] < 8
            assert set(y[:-1]) == {NO_ANSWER}
    lengths = sorted({len(x) for x, _ in rows(built, "test")})
    assert lengths == [12, 30] == built.extra["groups"]


def test_mqar_answers_every_query_with_its_pairs_value(probes):
    built = probes["mqar"]
    seen_pairs = set()
    for x, y in rows(built, "test"):
        n = sum(1 for t in y if t != NO_ANSWER)
        pairs = dict(zip(x[0 : 2 * n : 2], x[1 : 2 * n : 2], strict=True))
        assert len(pairs) == n and all(2 <= k < 12 <= v < 22 for k, v in pairs.items())
        queries = [(i, t) for i, t in enumerate(x) if i >= 2 * n and t != 1]
        assert sorted(t for _, t in queries) == sorted(pairs)  # every key asked once
        for i, answer in enumerate(y):
            asked = dict(queries).get(i)
            assert answer == (pairs[asked] if asked is not None else NO_ANSWER)
        seen_pairs.add(n)
    assert seen_pairs == {2, 5, 9}


def test_parity_answers_the_parity_at_the_last_bit(probes):
    built = probes["parity"]
    train_lengths = {len(x) for x, _ in rows(built, "train")}
    assert train_lengths == set(range(3, 10))
    for split in ("train", "test"):
        for x, y in rows(built, split):
            assert set(x) <= {1, 2}
            assert y[-1] == 1 + sum(t - 1 for t in x) % 2 and set(y[:-1]) == {NO_ANSWER}


def test_probes_are_deterministic_and_each_split_draws_anew():
    first, again = abilities.induction(seed=1), abilities.induction(seed=1)
    other = abilities.induction(seed=2)
    assert first.splits["train"][:] == again.splits["train"][:]
    assert first.splits["train"][:100] != other.splits["train"][:100]
    train = {tuple(x) for x in first.splits["train"][:]["x"]}
    assert not train & {tuple(x) for x in first.splits["validation"][:]["x"]}


def test_padding_goes_after_each_row():
    out = padded([[3, 4], [5], [6, 7, 8]], PAD)
    assert out.tolist() == [[3, 4, 0], [5, 0, 0], [6, 7, 8]] and out.dtype == np.int64


def _task(backbone: str, vocab: int = 8) -> Ability:
    torch.manual_seed(0)
    info = {"vocab_size": vocab, "groups": [5, 9], "group_by": "length"}
    model = functools.partial(BACKBONES[backbone], hidden_size=16)
    return Ability(model, torch.optim.AdamW, info, embed_dim=8).eval()


@pytest.mark.parametrize("backbone", list(BACKBONES))
def test_padding_never_changes_a_scored_output(backbone):
    """A row alone and the same row padded in a longer batch give the same logits at every
    real position: padding sits after the row and every model is causal."""
    task = _task(backbone)
    row = torch.randint(1, 8, (1, 5))
    padding = torch.full((1, 4), PAD)
    batch = torch.cat([torch.cat([row, padding], 1), torch.ones(1, 9, dtype=torch.long)])
    with torch.no_grad():
        alone, _ = task(row)
        together, _ = task(batch)
    torch.testing.assert_close(together[:1, :5], alone, rtol=1e-5, atol=1e-5)


def test_accuracy_by_group_counts_answers_by_hand():
    torch.manual_seed(1)
    groups = [3, 5, 8]
    metric = AccuracyByGroup(groups)
    logits = torch.randn(6, 8, 4)
    targets = torch.randint(0, 4, (6, 8))
    targets[torch.rand(6, 8) < 0.5] = NO_ANSWER
    group = torch.tensor([3, 5, 8, 5, 7, 3])  # 7 is no group: not counted
    metric.update(logits, targets, group)
    got = metric.compute()
    for g, value in zip(groups, got.tolist(), strict=True):
        hits = total = 0
        for i in range(6):
            for t in range(8):
                if group[i] == g and targets[i, t] != NO_ANSWER:
                    total += 1
                    hits += int(logits[i, t].argmax() == targets[i, t])
        assert value == pytest.approx(hits / total) if total else np.isnan(value)


def test_a_chunk_without_answers_has_zero_loss_not_nan():
    """Truncated BPTT cuts rows into chunks; one without an answer must not poison training."""
    task = _task("gru", vocab=4)
    logits = torch.randn(2, 3, 4, requires_grad=True)
    loss = task.loss(logits, torch.full((2, 3), NO_ANSWER))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.count_nonzero(logits.grad) == 0


def test_groups_are_told_apart_by_length_or_by_answers():
    task = _task("gru")
    x = torch.tensor([[3, 4, 5, 0, 0], [3, 4, 5, 6, 7]])
    y = torch.full((2, 5), NO_ANSWER)
    y[0, 2] = y[1, 1] = y[1, 4] = 3
    assert task.group_of(x, y).tolist() == [3, 5]
    task.data_info["group_by"] = "answers"
    assert task.group_of(x, y).tolist() == [1, 2]


@pytest.mark.parametrize(
    ("probe", "arguments", "says"),
    [
        ("mqar", {"pairs": (4, 80)}, "keys=32 is short: 80 pairs"),
        ("mqar", {"length": 40}, "length=40 is short: 16 pairs need 48"),
        ("parity", {"test_lengths": (40, 40)}, "repeats a length"),
        ("selective_copy", {"count": 70}, "count=70 must be between 1 and length=64"),
    ],
)
def test_a_bad_probe_argument_is_refused(probe, arguments, says):
    with pytest.raises(DataError, match=says):
        getattr(abilities, probe)(**arguments)


@pytest.mark.slow
def test_a_probe_trains_and_records_accuracy_per_group(tmp_path):
    """`seqbench fetch` and `seqbench-train` on the induction probe: metrics.json holds the
    test accuracy per test length, each a share, for every group the test reached."""
    import json

    raw = tmp_path / "raw"
    fetched = run_cli("seqbench.cli", "fetch", "induction", "--raw-dir", str(raw), timeout=300)
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    argv = ["seqbench.train", "model=gru", "data=induction", *SMOKE, "budget.test_batches=1.0"]
    argv += [f"paths.raw_dir={raw}", f"paths.root_dir={tmp_path}"]
    trained = run_cli(*argv, timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    metrics = json.loads(next(tmp_path.rglob("metrics.json")).read_text())
    by_group = metrics["test_extra"]["acc_by_group"]
    assert len(by_group) == 4 and all(0.0 <= a <= 1.0 for a in by_group)
    assert metrics["baseline"] == pytest.approx(1 / 16) and metrics["monitor"] == "val/acc"
    overall = metrics["test"]["test/acc"]
    assert overall == pytest.approx(sum(by_group) / 4)  # 500 answers in every group


@pytest.mark.slow
@pytest.mark.parametrize(("probe", "model"), [("selective_copy", "mamba"), ("mqar", "retnet")])
def test_every_probe_trains_at_smoke_size(tmp_path, probe, model):
    """CI's smoke training of the other two probes. Two test batches reach only the first
    group of MQAR: the groups never reached are null in metrics.json (JSON has no NaN)."""
    import json

    raw = tmp_path / "raw"
    fetched = run_cli("seqbench.cli", "fetch", probe, "--raw-dir", str(raw), timeout=300)
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    argv = ["seqbench.train", f"model={model}", f"data={probe}", *SMOKE]
    trained = run_cli(*argv, f"paths.raw_dir={raw}", f"paths.root_dir={tmp_path}", timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    text = next(tmp_path.rglob("metrics.json")).read_text()
    metrics = json.loads(text)
    assert metrics["status"] == "finished" and 0.0 <= metrics["test"]["test/acc"] <= 1.0
    if probe == "mqar":
        first, *rest = metrics["test_extra"]["acc_by_group"]
        assert 0.0 <= first <= 1.0 and rest == [None] * 3 and "NaN" not in text


def test_a_bad_probe_argument_through_fetch_is_one_line(tmp_path):
    """A user's probe config asking for more pairs than keys: `seqbench fetch` says so in one
    line and writes nothing."""
    conf = tmp_path / "conf" / "data"
    conf.mkdir(parents=True)
    (conf / "mqar_wide.yaml").write_text(
        "defaults:\n  - mqar\n\nname: mqar_wide\nsource:\n  pairs: [4, 128]\n"
    )
    raw = tmp_path / "raw"
    argv = ["fetch", "mqar_wide", "--raw-dir", str(raw), "--config-dir", str(tmp_path / "conf")]
    result = run_cli("seqbench.cli", *argv, timeout=300)
    assert result.returncode != 0
    assert "keys=32 is short: 128 pairs need as many keys" in one_line_error(result)
    assert not raw.exists() or not any(raw.iterdir())
