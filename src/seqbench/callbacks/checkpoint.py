"""The best and last checkpoint of a run under fixed names (``best.ckpt``, ``last.ckpt``),
also when the run is resumed from another place than it was trained in.

Lightning's ModelCheckpoint saves its state with absolute paths and drops that state on a
resume whose ``dirpath`` differs ("The dirpath has changed"): a run folder that was moved,
copied or checked out in another clone then loses its best score and, with Lightning's
version counter, writes ``best-v1.ckpt``/``last-v1.ckpt`` beside the old files, so
``last.ckpt`` (what the next resume reads) and ``best.ckpt`` (what generate and the lessons
read) stay at the old step. Worse, it keeps the old absolute ``best_model_path``, which the
test after fit then reads: the original folder's file, not this run's.

:class:`RunCheckpoint` maps the saved paths into its own folder when the checkpoint it
resumes from lies in that folder (the run moved with its files), and keeps nothing of a
state from another run's checkpoint (a run started from it writes its own files). A path
outside the saved folder is never taken over. The mapping reads no file, so every DDP rank
(each restores the same checkpoint, with the ``dirpath`` rank 0 broadcast) ends with the
same state; only rank 0 writes. Resumed in its own folder, it is Lightning's callback.
"""

import os
import warnings
from typing import Any

from lightning.pytorch.callbacks import ModelCheckpoint


class RunCheckpoint(ModelCheckpoint):
    """ModelCheckpoint whose state follows a run folder that moved; no versioned names."""

    def __init__(self, *args: Any, enable_version_counter: bool = False, **kwargs: Any) -> None:
        # A run folder holds one run's checkpoints: a new run clears it (rundir.prepare), a
        # resume continues it, so a name taken is this run's own file, to be overwritten.
        super().__init__(*args, enable_version_counter=enable_version_counter, **kwargs)
        self._resumed_from: str | None = None

    @property
    def state_key(self) -> str:
        """Lightning's own key, so checkpoints written with either class resume with the
        other (a user's config may still name lightning's ModelCheckpoint)."""
        key = super().state_key
        return ModelCheckpoint.__qualname__ + key.removeprefix(type(self).__qualname__)

    def on_load_checkpoint(self, trainer: Any, pl_module: Any, checkpoint: dict) -> None:
        """Called just before :meth:`load_state_dict`: which file the run resumes from."""
        self._resumed_from = str(trainer.ckpt_path) if trainer.ckpt_path is not None else None

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict.get("dirpath")
        if saved is None or self.dirpath is None or saved == self.dirpath:
            return super().load_state_dict(state_dict)  # resumed where it was trained
        if not self._resumes_own_checkpoint():
            return  # another run's checkpoint: its folder's files are not this run's
        moved = moved_state(state_dict, str(saved), str(self.dirpath))
        if moved is None:
            warnings.warn(
                f"the checkpoint's ModelCheckpoint state names files outside {saved}; "
                "best and last checkpoints start afresh",
                stacklevel=2,
            )
            return
        super().load_state_dict(moved)

    def _resumes_own_checkpoint(self) -> bool:
        if self._resumed_from is None or "://" in self._resumed_from:
            return False
        folder = os.path.dirname(os.path.realpath(self._resumed_from))
        return folder == os.path.realpath(str(self.dirpath))


PATH_KEYS = ("best_model_path", "kth_best_model_path", "last_model_path")


def moved_state(state: dict[str, Any], old: str, new: str) -> dict[str, Any] | None:
    """``state`` with every checkpoint path below ``old`` moved below ``new`` (and
    ``dirpath`` = ``new``); None when a path lies outside ``old``, which no mapping may
    bring into this run."""

    def move(path: str) -> str | None:
        if not path:
            return path
        relative = os.path.relpath(os.path.normpath(path), os.path.normpath(old))
        if relative == os.curdir or relative.split(os.sep)[0] == os.pardir:
            return None
        return os.path.join(new, relative)

    moved = dict(state, dirpath=new)
    for key in PATH_KEYS:
        if key in state:
            moved[key] = move(state[key])
    models = {move(path): score for path, score in state.get("best_k_models", {}).items()}
    moved["best_k_models"] = models
    if None in models or any(moved.get(key, "") is None for key in PATH_KEYS):
        return None
    return moved
