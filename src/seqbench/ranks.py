"""Which rank this process is: the one answer every part of seqbench asks.

Rank zero checks the config, claims the run folder, prints and writes; the other ranks join
the run rank zero started. Several launchers start ranks, each saying so in the environment:

- ``torchrun`` (and Lightning's SLURM and torchelastic runs) set ``RANK``, the global rank;
- Lightning's own DDP launcher (``trainer=ddp_sim``, ``strategy=ddp``) starts the other
  processes of a node with ``LOCAL_RANK`` only (1, 2, ...: the process that launches them
  is rank zero and has none);
- ``srun`` sets ``SLURM_PROCID`` in every task, also in a task that then starts processes of
  its own, and in a shell inside an allocation.

The first of these that is set answers, in that order: the order Lightning reads them in
(``lightning.fabric.utilities.rank_zero._get_rank``: ``RANK``, ``LOCAL_RANK``,
``SLURM_PROCID``, ``JSM_NAMESPACE_RANK``), so seqbench and Lightning agree on who is rank zero.
``SLURM_PROCID`` comes after ``LOCAL_RANK`` because SLURM sets it whether or not SLURM started
the processes: a DDP child launched by Lightning inside an allocation has ``SLURM_PROCID=0``
and ``LOCAL_RANK=1`` and is not rank zero. A task with only ``SLURM_PROCID=1`` is rank one.
"""

import os
from collections.abc import Mapping

GLOBAL_RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")
LOCAL_RANK_VARIABLES = ("LOCAL_RANK", "SLURM_LOCALID", "JSM_NAMESPACE_LOCAL_RANK")


def _first(names: tuple[str, ...], environ: Mapping[str, str] | None) -> int:
    environ = os.environ if environ is None else environ
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            try:
                return int(value)
            except ValueError:
                raise ValueError(f"{name}={value!r} is not a rank (a whole number)") from None
    return 0


def rank(environ: Mapping[str, str] | None = None) -> int:
    """This process's global rank (0 when no launcher set one)."""
    return _first(GLOBAL_RANK_VARIABLES, environ)


def local_rank(environ: Mapping[str, str] | None = None) -> int:
    """This process's rank on its machine: the GPU it uses, ``cuda:<local rank>``."""
    return _first(LOCAL_RANK_VARIABLES, environ)


def is_rank_zero(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process is the run's first: the one that checks, claims and writes."""
    return rank(environ) == 0
