"""A callback that keeps what a run directory must hold: validation curves against step
and wall-clock time (curves.csv), and training throughput, tokens, device and CPU threads for
metrics.json (throughput is also logged per step as ``train/tokens_per_s``: the one place a
step is timed), so the report can state the cost it compares and what it was measured on."""

import csv
import io
import time
from pathlib import Path

import lightning as L
import torch

from seqbench import rundir
from seqbench.safety import atomic


class RunRecorder(L.Callback):
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.rows: list[dict] = []
        self.started = 0.0
        self.train_seconds = 0.0
        self.tokens = 0
        self._batch_started = 0.0
        self.hardware: dict[str, object] = {}

    def on_fit_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        resumed_at = self.rows[-1]["time_s"] if self.rows else 0.0  # wall clock continues
        self.started = time.perf_counter() - resumed_at
        device = module.device
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
        self.hardware = {"device_name": name, "threads": torch.get_num_threads()}

    def on_train_batch_start(self, trainer, module, batch, batch_idx: int) -> None:
        self._batch_started = time.perf_counter()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx: int) -> None:
        seconds = time.perf_counter() - self._batch_started
        x = batch[0]
        tokens = x.shape[0] * x.shape[1] * trainer.world_size
        self.train_seconds += seconds
        self.tokens += tokens
        module.log("train/tokens_per_s", tokens / max(seconds, 1e-9), on_step=True)

    def on_validation_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        row = {"step": trainer.global_step, "time_s": round(time.perf_counter() - self.started, 3)}
        for key, value in sorted(trainer.callback_metrics.items()):
            if key.startswith("val/"):
                row[key] = round(float(value), 6)
        self.rows.append(row)
        self.write_curves()

    def write_curves(self) -> None:
        """Always written (a header at least), so a pipeline can declare it as an output."""
        columns = list(dict.fromkeys(["step", "time_s", *(k for row in self.rows for k in row)]))
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=columns)
        writer.writeheader()
        writer.writerows(self.rows)
        atomic.write_text(self.run_dir / rundir.CURVES, text.getvalue())

    @property
    def throughput(self) -> float:
        """Time steps (tokens) per second over training batches, all devices together."""
        return self.tokens / self.train_seconds if self.train_seconds else 0.0

    def summary(self) -> dict:
        """metrics.json's record of training cost and where it was measured."""
        rate = round(self.throughput, 1)
        return {"throughput_tokens_per_s": rate, "train_tokens": self.tokens, **self.hardware}

    def state_dict(self) -> dict:
        """Curves and counters survive a resume, so curves.csv covers the whole run."""
        return {"rows": self.rows, "train_seconds": self.train_seconds, "tokens": self.tokens}

    def load_state_dict(self, state: dict) -> None:
        """Restore on resume; ignore older states (testing the best checkpoint loads one)."""
        if len(state["rows"]) < len(self.rows):
            return
        self.rows = list(state["rows"])
        self.train_seconds, self.tokens = state["train_seconds"], state["tokens"]
