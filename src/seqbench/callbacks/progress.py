"""Lightning's Rich progress bar as one bar for the whole run, counting optimizer steps toward
``trainer.max_steps`` (the budget), redrawn a few times a second.

Lightning's bar counts the batches of an epoch and labels it ``Epoch i/max_epochs - 1``: a
run bounded by steps has no epoch limit (``max_epochs=-1``), so it read "Epoch 0/-2", and an
"epoch" here is only the stretch between two validations. The bar starts at the step a
resumed run starts from. The stock bar also reads every logged metric after every batch,
which on a GPU is a host sync per step, and redraws the terminal each time; neither is worth
it more often than the eye can follow.
"""

import time

import lightning as L
from lightning.pytorch.callbacks import RichProgressBar

DESCRIPTION = "Training"


class ProgressBar(RichProgressBar):
    def __init__(self, min_interval_s: float = 0.5, **kwargs) -> None:
        super().__init__(**kwargs)
        self.min_interval_s = min_interval_s
        self._drawn = 0.0

    def _get_train_description(self, current_epoch: int) -> str:
        return f"{DESCRIPTION:{len(self.validation_description)}}"  # as wide: no flicker

    def _ensure_train_bar(self, trainer: L.Trainer) -> None:
        """The run's one training bar, made once: total steps, done so far."""
        if self.is_disabled or self.progress is None or self.train_progress_bar_id is not None:
            return
        description = self._get_train_description(trainer.current_epoch)
        if self.theme.description:
            description = f"[{self.theme.description}]{description}"
        self.train_progress_bar_id = self.progress.add_task(
            description,
            total=trainer.estimated_stepping_batches,  # max_steps; inf without a step limit
            completed=trainer.global_step,  # drawn at once: from there on a resumed run
        )

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._ensure_train_bar(trainer)  # not a new bar for each epoch
        self.refresh()

    def on_train_batch_end(self, trainer: L.Trainer, module, outputs, batch, batch_idx: int):
        now = time.monotonic()
        due = now - self._drawn >= self.min_interval_s
        done = trainer.global_step >= trainer.estimated_stepping_batches
        # the epoch's length is asked last: Lightning works it out anew on every call
        if due or done or batch_idx + 1 == self.total_train_batches:
            self._drawn = now
            self._ensure_train_bar(trainer)  # a resumed mid-epoch run starts here
            self._update(self.train_progress_bar_id, trainer.global_step)
            self._update_metrics(trainer, module)
            self.refresh()

    def get_metrics(self, trainer: L.Trainer, module: L.LightningModule) -> dict:
        """The logged metrics, without the logger's version name (``v_num``)."""
        metrics = super().get_metrics(trainer, module)
        metrics.pop("v_num", None)
        return metrics
