"""A trained run's own test split, rebuilt from the config its folder saved.

The saved ``.hydra/config.yaml`` is data, not a program: it is checked against seqbench's
allowlist (:func:`seqbench.config.allowlist.check_targets`) before its data node is built,
and the snapshot it reads must be the one the checkpoint was trained on (its content hash).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import OmegaConf

from seqbench import rundir
from seqbench.config import allowlist
from seqbench.config.keys import DROPPED
from seqbench.errors import ConfigError
from seqbench.tasks.base import SequenceTask


def test_batches(run: Path, task: SequenceTask, limit: int | None = None) -> Iterator[tuple]:
    """The run's test batches as its DataModule gives them (``limit``: the first ones)."""
    path = rundir.hydra_file(run, "config.yaml")
    if not path.is_file():
        raise ConfigError(f"{run} has no saved config ({path}); give a run folder, not a file")
    try:
        cfg = OmegaConf.load(path)
    except Exception as error:
        raise ConfigError(f"{path} is not a readable config ({error})") from None
    allowlist.check_targets(cfg)
    datamodule = instantiate({k: v for k, v in cfg.data.items() if k not in DROPPED["data"]})
    datamodule.setup("test")
    trained_on = task.data_info.get("content_hash")
    if trained_on and datamodule.provenance.get("content_hash") != trained_on:
        raise ConfigError(
            f"the data under {cfg.data.raw_dir} is not the snapshot {run} was trained on; "
            "restore it (dvc pull or seqbench fetch)"
        )
    yield from islice(datamodule.test_dataloader(), limit)
