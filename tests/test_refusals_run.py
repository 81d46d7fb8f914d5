"""Refusals around a run: its folder, its secrets, its checkpoints and signals (see
tests/refusals.py for what every case asserts)."""

import pytest
from refusals import TRAIN, Case, check

CASES = [
    Case(
        "unknown-model",
        (*TRAIN, "model=lstn"),
        "unknown model 'lstn'",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_refused_cleanly(case, project, tmp_path):
    check(case, project, tmp_path)
