"""seqbench's ModelCheckpoint (RunCheckpoint): its saved state moves with the run folder,
never takes in a path outside it, and keeps Lightning's state key (tests/system/test_moved_run.py
resumes real runs)."""

import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from seqbench.callbacks.checkpoint import RunCheckpoint, moved_state

OLD, NEW = "/old/place/run/checkpoints", "/new/place/run/checkpoints"


def _state(folder: str, **changes) -> dict:
    """What ModelCheckpoint.state_dict saves for a run with best and last in ``folder``."""
    best = f"{folder}/best.ckpt"
    return {
        "monitor": "val/loss",
        "best_model_score": torch.tensor(1.5),
        "best_model_path": best,
        "current_score": torch.tensor(1.7),
        "dirpath": folder,
        "best_k_models": {best: torch.tensor(1.5)},
        "kth_best_model_path": best,
        "kth_value": torch.tensor(1.5),
        "last_model_path": f"{folder}/last.ckpt",
    } | changes


def test_every_path_moves_into_the_new_folder_and_the_scores_stay():
    moved = moved_state(_state(OLD), OLD, NEW)
    assert moved == _state(NEW) | {"best_k_models": moved["best_k_models"]}
    assert list(moved["best_k_models"]) == [f"{NEW}/best.ckpt"]
    assert moved["best_model_score"] == 1.5 and moved["kth_value"] == 1.5


def test_an_empty_path_stays_empty():
    """A checkpoint saved as best before any last (best.ckpt's own state) has no last path."""
    assert moved_state(_state(OLD, last_model_path=""), OLD, NEW)["last_model_path"] == ""


def test_a_path_outside_the_saved_folder_is_never_taken_in():
    for outside in ("/etc/passwd", f"{OLD}/../../elsewhere/best.ckpt", OLD, "/old/place"):
        assert moved_state(_state(OLD, best_model_path=outside), OLD, NEW) is None, outside
        assert moved_state(_state(OLD, last_model_path=outside), OLD, NEW) is None, outside
        models = {outside: torch.tensor(0.1)}
        assert moved_state(_state(OLD, best_k_models=models), OLD, NEW) is None, outside


def test_the_state_key_is_lightnings_so_either_class_resumes_the_other():
    kwargs = {"monitor": "val/loss", "mode": "min", "dirpath": NEW, "filename": "best"}
    assert RunCheckpoint(**kwargs).state_key == ModelCheckpoint(**kwargs).state_key
    assert RunCheckpoint(**kwargs).state_key.startswith("ModelCheckpoint{")
