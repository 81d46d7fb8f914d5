"""Checkpoints written atomically: a full disk or a kill while saving leaves the previous
``last.ckpt``/``best.ckpt`` as it was, never a truncated file that a resume then fails on.

Lightning's own writer goes through an fsspec transaction that can still leave a short file
on a local disk. This plugin serialises the checkpoint in memory (tensors on any device:
``torch.save`` writes CPU bytes), then hands the bytes to
:func:`seqbench.safety.atomic.write_bytes`.
The Trainer gives it to every strategy; under DDP only global rank 0 saves.
"""

import io
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from seqbench.safety import atomic


class AtomicCheckpointIO(TorchCheckpointIO):
    """TorchCheckpointIO whose saves go to a temporary file, fsynced, then renamed."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        if "://" in str(path):  # remote storage: its own transactions, not a local rename
            return super().save_checkpoint(checkpoint, path)
        target = Path(path)
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(target, buffer.getbuffer())
