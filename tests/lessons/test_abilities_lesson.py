"""The abilities lesson: verdicts from every seed, sentences from the numbers, the matrix and
figures from runs' metrics.json records as training writes them, and the whole section from
a real probe run through `seqbench report`."""

import json

import pytest
from helpers.cli import SMOKE, run_cli

from seqbench.lessons.abilities.measure import measured
from seqbench.lessons.abilities.reading import ability_reading, paper_claims, verdict
from seqbench.lessons.abilities.section import ability_section
from seqbench.rundir.run import Run

PAIRS = [4, 8, 16, 32, 64]


def _run(tmp_path, data, model, seed, accuracy, by_group, groups, group_by="length", grows=False):
    metrics = {
        "data": data,
        "model": model,
        "seed": seed,
        "status": "finished",
        "study": "abilities",
        "monitor": "val/acc",
        "state_floats": 128,
        "state_grows": grows,
        "test": {"test/acc": accuracy, "test/loss": 1.0},
        "test_extra": {
            "acc_by_group": by_group,
            "groups": groups,
            "group_by": group_by,
            "train_length": groups[0],
            "chance": 0.0625,
        },
    }
    return Run(tmp_path / data / model / str(seed), metrics)


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ([0.95, 0.92, 0.91], "solved"),
        ([0.95, 0.50, 0.93], "undecided"),  # the seeds disagree
        ([0.99, 0.98], "undecided"),  # fewer than three seeds
        ([0.10, 0.20, 0.89], "not solved"),
    ],
)
def test_a_verdict_needs_every_seed(values, said):
    assert verdict(values) == said


def test_the_reading_follows_the_numbers(tmp_path):
    groups = [64, 128, 256, 1024]
    runs = [
        _run(tmp_path, "induction", "mamba", s, 0.95, [1.0, 0.99, 0.95, 0.86], groups)
        for s in range(3)
    ]
    runs += [
        _run(tmp_path, "induction", "lstm", s, 0.3, [0.9, 0.2, 0.05, 0.05], groups)
        for s in range(3)
    ]
    probes, failed = measured(runs)
    lines = ability_reading(probes)
    assert failed == []
    assert "; solved: mamba 0.950 (n=3)" in lines[0] and "not solved: lstm 0.300 (n=3)" in lines[0]
    assert "mamba up to 256" in lines[1] and "lstm up to 64" in lines[1]
    runs[0].metrics["test_extra"]["acc_by_group"][2] = 0.5  # one seed falls at 256
    assert "mamba up to 128" in ability_reading(measured(runs)[0])[1]


def test_the_matrix_has_every_model_and_probe_and_lists_failures(tmp_path):
    runs = [
        _run(
            tmp_path,
            "mqar",
            "gru",
            s,
            0.4,
            [0.9, 0.6, 0.3, 0.2, 0.1],
            [4, 8, 16, 32, 64],
            "answers",
        )
        for s in range(2)
    ]
    runs.append(_run(tmp_path, "selective_copy", "gru", 0, 0.97, [0.97], [72]))
    broken = _run(tmp_path, "mqar", "lstm", 0, 0.4, [0.1] * 5, PAIRS, "answers")
    broken.metrics |= {"status": "failed", "reason": "training loss is nan at step 3"}
    section = ability_section([*runs, broken])
    table = section.tables[0]
    assert table.header == ["model", "mqar", "selective_copy"]
    assert [row[0] for row in table.rows] == ["gru"]
    assert table.rows[0][1].endswith("(n=2, undecided)")
    assert [f.kind for f in section.figures] == ["ability-mqar"]  # one group: no curve
    assert "state 128 floats" in section.figures[0].svg
    assert "mqar/lstm/0: training loss is nan at step 3" in section.reading[-1]


def _mqar(tmp_path, seeds: int, transformer: list[float], lstm: list[float]) -> list[Run]:
    runs = []
    for seed in range(seeds):
        runs.append(
            _run(tmp_path, "mqar", "transformer", seed, 0.9, transformer, PAIRS, "answers", True)
        )
        runs.append(_run(tmp_path, "mqar", "lstm", seed, 0.3, lstm, PAIRS, "answers"))
    return runs


def test_the_published_findings_are_checked_and_a_disagreement_said(tmp_path):
    agreeing = _mqar(tmp_path, 3, [1.0, 1.0, 0.99, 0.97, 0.95], [0.6, 0.4, 0.2, 0.1, 0.05])
    (line,) = paper_claims(measured(agreeing)[0])
    assert line.startswith("Zoology (Arora et al. 2023)") and line.endswith(": agrees.")
    falls = _mqar(tmp_path, 3, [1.0, 0.98, 0.9, 0.7, 0.5], [0.6, 0.4, 0.2, 0.1, 0.05])
    (line,) = paper_claims(measured(falls)[0])
    assert "here 0 of 1 attention models at >= 0.900 at every pair count, 1 of 1 (lstm)" in line
    assert line.endswith("disagrees.")
    flat = _mqar(tmp_path, 3, [1.0] * 5, [0.35, 0.33, 0.3, 0.3, 0.3])  # the LSTM never falls
    assert paper_claims(measured(flat)[0])[0].endswith("disagrees.")
    few = _mqar(tmp_path, 2, [1.0] * 5, [0.6, 0.4, 0.2, 0.1, 0.05])
    assert paper_claims(measured(few)[0])[0].endswith("undecided here (fewer than 3 seeds).")
    selective = [_run(tmp_path, "selective_copy", "mamba", s, 0.97, [0.97], [72]) for s in range(3)]
    selective += [_run(tmp_path, "selective_copy", "lru", s, 0.2, [0.2], [72]) for s in range(3)]
    assert paper_claims(measured(selective)[0]) == [
        "Gu & Dao (2023) find selective (input-dependent) recurrences solving selective "
        "copying and time-invariant ones not; here mamba solved, lru (time-invariant) not "
        "solved: agrees."
    ]
    selective += [_run(tmp_path, "selective_copy", "mingru", s, 0.5, [0.5], [72]) for s in range(3)]
    assert "mingru not solved" in paper_claims(measured(selective)[0])[0]
    assert paper_claims(measured(selective)[0])[0].endswith("disagrees.")


@pytest.mark.slow
def test_a_probe_run_reaches_the_report(tmp_path):
    """fetch, train with experiment=abilities, report: the section is on the page."""
    raw = tmp_path / "data" / "abilities"
    fetched = run_cli("seqbench.cli", "fetch", "parity", "--raw-dir", str(raw), timeout=300)
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    argv = ["seqbench.train", "experiment=abilities", "model=lstm", "data=parity", *SMOKE]
    argv += [f"paths.root_dir={tmp_path}", "budget.test_batches=1.0"]
    trained = run_cli(*argv, timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    metrics = json.loads(
        (tmp_path / "outputs" / "abilities" / "parity" / "lstm" / "0" / "metrics.json").read_text()
    )
    assert metrics["study"] == "abilities" and len(metrics["test_extra"]["acc_by_group"]) == 4
    out = tmp_path / "reports"
    argv = ["report", str(tmp_path / "outputs"), "--out", str(out), "--raw-dir", str(raw)]
    reported = run_cli("seqbench.cli", *argv, timeout=300)
    assert reported.returncode == 0, reported.stderr[-3000:]
    page = (out / "comparison.md").read_text()
    assert "Abilities: selection, recall, state tracking, length" in page
    assert "parity (chance 0.500): undecided: lstm" in page, page[-3000:]
