"""The gradient-flow monitor: measures gradient flow through time
(:func:`seqbench.lessons.gradient_flow.measure.measure`) at init, every ``every_n_steps`` and at the
end of training, appends to ``gradient_flow.csv`` and logs a summary (and a W&B table)."""

import csv
from pathlib import Path

import lightning as L
from torch import Tensor

from seqbench import rundir
from seqbench.lessons.gradient_flow.measure import measure, slope
from seqbench.lessons.timing import quiet_cpu
from seqbench.tasks.base import SequenceTask


class GradientFlowMonitor(L.Callback):
    """Measures gradient flow on a fixed validation batch during training."""

    def __init__(self, out_dir: str, every_n_steps: int | None = None, batch_size: int = 16):
        if every_n_steps is not None and every_n_steps < 1:
            raise ValueError(f"every_n_steps must be >= 1 or null, got {every_n_steps}")
        self.path = Path(out_dir) / rundir.GRADIENT_FLOW
        self.every_n_steps, self.batch_size = every_n_steps, batch_size
        self._batch: tuple[Tensor, Tensor] | None = None
        self._last_step = -1

    def _fixed_batch(self, trainer: L.Trainer, task: SequenceTask) -> tuple[Tensor, Tensor]:
        if self._batch is None:
            x, y, *lengths = next(iter(trainer.datamodule.val_dataloader()))
            if lengths:  # recordings of different lengths: the most common one, unpadded,
                common = int(lengths[0].mode().values)  # so the measured last step is real
                x, y = x[lengths[0] == common, :common], y[lengths[0] == common]
            self._batch = (x[: self.batch_size], y[: self.batch_size])
        return tuple(t.to(task.device) for t in self._batch)

    def record(self, trainer: L.Trainer, task: SequenceTask) -> None:
        step = trainer.global_step
        if not trainer.is_global_zero or step == self._last_step:
            return
        self._last_step = step
        # one thread: the probe is hundreds of tiny ops (16 sequences, a step at a time) that
        # threads only wait on each other for (an LSTM probe 5.7 s on 2 busy cores, 0.19 s on
        # one, the same norms); denormals kept: vanishing gradients are measured, not flushed
        with quiet_cpu(1, flush_denormal=False):
            norms = measure(task, *self._fixed_batch(trainer, task))
        by_distance = {len(norms) - 1 - t: n for t, n in enumerate(norms)}
        new = not self.path.is_file()
        with self.path.open("a", newline="") as handle:
            writer = csv.writer(handle)
            if new:
                writer.writerow(["step", "distance", "norm"])
            writer.writerows([step, d, f"{n:.6g}"] for d, n in sorted(by_distance.items()))
        summary = {"grad_flow/norm_near": by_distance[1], "grad_flow/norm_far": norms[0]}
        if (value := slope(by_distance)) is not None:
            summary["grad_flow/slope_log10_per_step"] = value
        for logger in trainer.loggers:
            logger.log_metrics(summary, step=step)
            if hasattr(logger, "log_table"):  # W&B: the whole profile, one table per record
                rows = [[d, n] for d, n in sorted(by_distance.items())]
                logger.log_table("grad_flow/profile", ["distance", "norm"], rows, step=step)

    def on_train_start(self, trainer: L.Trainer, task: SequenceTask) -> None:
        if trainer.global_step == 0:  # freshly initialised: a new file; a resumed run appends
            if trainer.is_global_zero:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.unlink(missing_ok=True)
            self.record(trainer, task)

    def on_train_batch_end(self, trainer, task, outputs, batch, batch_idx: int) -> None:
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0:
            self.record(trainer, task)

    def on_train_end(self, trainer: L.Trainer, task: SequenceTask) -> None:
        self.record(trainer, task)
