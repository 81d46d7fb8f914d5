"""Lightning's and W&B's console lines that are not about the run, silenced one by one.

A run's console holds its config, one progress bar and its results. On every run Lightning
also printed an advert for its cloud logger, a hint to use `srun` on any machine where SLURM
is installed (seqbench's SLURM launcher does use srun), and a FutureWarning from its own use
of a torch API that torch deprecated; with a short ``budget.val_every``, a warning about
logging that assumes epochs bound it; on a resumed run, that its checkpoint folder is not
empty; W&B, a warning about a setting Lightning passes empty.
Each is matched by its own text and origin, so every other warning, seqbench's own included,
still shows.
"""

import logging
import os
import warnings

TIP = "💡 Tip:"  # Lightning's adverts for litlogger and litmodels
RANK_ZERO_LOGGERS = (
    "lightning.pytorch.utilities.rank_zero",
    "lightning.fabric.utilities.rank_zero",
)


class DropTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(TIP)


def quiet_lightning(resuming: bool) -> None:
    """Before the Trainer exists; idempotent (DDP ranks and sweep jobs call it again)."""
    from lightning.fabric.utilities.warnings import PossibleUserWarning

    warnings.filterwarnings(
        "ignore",
        message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
        category=FutureWarning,
        module=r"lightning\.pytorch\.utilities\._pytree",
    )
    # an "epoch" here is the stretch between two validations (budget.val_every), and
    # Lightning counts log_every_n_steps across epochs: the warning's premise does not hold
    warnings.filterwarnings(
        "ignore",
        message=r"The number of training batches \(\d+\) is smaller than the logging interval",
        category=PossibleUserWarning,
        module=r"lightning\.pytorch\.loops\.fit_loop",
    )
    if "SLURM_JOB_ID" not in os.environ:  # inside a SLURM job the hint may be right
        warnings.filterwarnings(
            "ignore",
            message="The `srun` command is available on your system but is not used",
            category=PossibleUserWarning,
            module=r"lightning\.fabric\.plugins\.environments\.slurm",
        )
    if resuming:  # the run's own checkpoints, which it resumes from (rundir.claim checked)
        warnings.filterwarnings(
            "ignore",
            message="Checkpoint directory .* exists and is not empty",
            category=UserWarning,
            module=r"lightning\.pytorch\.callbacks\.model_checkpoint",
        )
    for name in RANK_ZERO_LOGGERS:  # rank_zero_info logs through one of these
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropTips) for f in logger.filters):
            logger.addFilter(DropTips())


def quiet_wandb(logger: object) -> None:
    """Lightning's WandbLogger passes ``anonymous=None``, which wandb warns about as
    a deprecated setting on every run even though nobody set it: leave it out."""
    init = getattr(logger, "_wandb_init", None)
    if isinstance(init, dict) and init.get("anonymous") is None:
        init.pop("anonymous", None)
