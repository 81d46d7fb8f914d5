"""One answer to "which rank am I", in Lightning's order: torchrun's RANK, then LOCAL_RANK
(Lightning's own DDP launcher), then SLURM_PROCID (srun), then LSF's JSM_NAMESPACE_RANK."""

import pytest
from lightning.fabric.utilities.rank_zero import _get_rank

from seqbench import config, ranks
from seqbench.config import keys, memory
from seqbench.launch import slurm
from seqbench.train import sweep
from seqbench.train.run import is_child_rank

CASES = [  # (environment, global rank)
    ({}, 0),
    ({"SLURM_PROCID": "1"}, 1),  # an srun task that is not the first: not rank zero
    ({"SLURM_PROCID": "0"}, 0),
    ({"LOCAL_RANK": "1", "SLURM_PROCID": "0"}, 1),  # Lightning's child inside an allocation
    ({"LOCAL_RANK": "0", "SLURM_PROCID": "1"}, 0),  # SLURM_PROCID set but not launching
    ({"RANK": "3", "LOCAL_RANK": "1", "SLURM_PROCID": "0"}, 3),  # torchrun under srun
    ({"RANK": "0", "LOCAL_RANK": "0"}, 0),
    ({"JSM_NAMESPACE_RANK": "2"}, 2),
]


@pytest.mark.parametrize(("environ", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_rank_follows_the_launchers_in_lightnings_order(environ, expected):
    assert ranks.rank(environ) == expected
    assert ranks.is_rank_zero(environ) == (expected == 0)
    assert (_lightning_rank(environ) or 0) == expected  # Lightning agrees


def _lightning_rank(environ: dict[str, str]) -> int | None:
    with pytest.MonkeyPatch.context() as patch:
        for name in ranks.GLOBAL_RANK_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in environ.items():
            patch.setenv(name, value)
        return _get_rank()


def test_local_rank_is_the_gpu_index_srun_or_lightning_gives():
    assert ranks.local_rank({}) == 0
    assert ranks.local_rank({"SLURM_LOCALID": "2", "SLURM_PROCID": "6"}) == 2
    assert ranks.local_rank({"LOCAL_RANK": "1", "SLURM_LOCALID": "0"}) == 1


def test_an_unset_or_empty_variable_does_not_answer_and_garbage_is_named():
    assert ranks.rank({"RANK": "", "SLURM_PROCID": "1"}) == 1
    with pytest.raises(ValueError, match="SLURM_PROCID='x'"):
        ranks.rank({"SLURM_PROCID": "x"})


@pytest.fixture
def only_slurm_procid_1(monkeypatch):
    """A task where only SLURM_PROCID=1 is set: every part of seqbench must call it rank 1
    (before seqbench.ranks, the memory check, the added-keys warning and the DDP child's
    arguments took it for rank zero, while train and the SLURM requeue did not)."""
    for name in (*ranks.GLOBAL_RANK_VARIABLES, *ranks.LOCAL_RANK_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLURM_PROCID", "1")


def test_every_part_agrees_about_a_task_with_only_slurm_procid_1(only_slurm_procid_1, monkeypatch):
    assert is_child_rank()
    assert not slurm.is_first_task()
    assert memory.check_memory(None) is None  # not rank zero: rank zero checked the memory
    monkeypatch.setenv(sweep.JOB_ARGS, '["model=gru"]')
    assert sweep.child_argv(["seqbench-train", "x=1"]) == ["seqbench-train", "model=gru"]


def test_only_rank_zero_warns_about_an_added_key(monkeypatch, capsys):
    cfg = config.compose(["+not_a_key=1"])
    for name in (*ranks.GLOBAL_RANK_VARIABLES, *ranks.LOCAL_RANK_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    keys.check_added(cfg, ["+not_a_key=1"])
    assert "+not_a_key is read by nothing" in capsys.readouterr().err
    monkeypatch.setenv("SLURM_PROCID", "1")
    keys.check_added(cfg, ["+not_a_key=1"])
    assert capsys.readouterr().err == ""


def test_no_module_reads_a_rank_variable_itself():
    """Only seqbench.ranks reads the launchers' variables: one answer, not five."""
    import pathlib

    package = pathlib.Path(ranks.__file__).parent
    readers = []
    for path in package.rglob("*.py"):
        if path.name == "ranks.py":
            continue
        text = path.read_text()
        if any(f'"{name}"' in text for name in ("RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")):
            readers.append(str(path.relative_to(package)))
    assert not readers, readers
