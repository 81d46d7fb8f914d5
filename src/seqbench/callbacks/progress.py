"""Lightning's Rich progress bar, redrawn a few times a second instead of after every step.

The stock bar reads every logged metric after every batch, which on a GPU is a host sync per
step (the GPU's queue drains while the host waits), and redraws the terminal each time.
Neither is worth it more often than the eye can follow.
"""

import time

import lightning as L
from lightning.pytorch.callbacks import RichProgressBar


class ProgressBar(RichProgressBar):
    def __init__(self, min_interval_s: float = 0.5, **kwargs) -> None:
        super().__init__(**kwargs)
        self.min_interval_s = min_interval_s
        self._drawn = 0.0

    def on_train_batch_end(self, trainer: L.Trainer, module, outputs, batch, batch_idx: int):
        now = time.monotonic()
        last = batch_idx + 1 == self.total_train_batches
        if last or now - self._drawn >= self.min_interval_s:
            self._drawn = now
            super().on_train_batch_end(trainer, module, outputs, batch, batch_idx)
