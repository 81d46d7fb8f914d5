"""A run trained by the current code, then moved (another path, as a copied project or another
clone), resumes under its own checkpoint names with its best score: Lightning alone would drop
its ModelCheckpoint state there and write best-v1.ckpt/last-v1.ckpt beside the old files."""

import json
import shutil

import pytest
import torch
from helpers.refusals import FINISHED, TRAIN, digest, seqbench

CHECKPOINTS = FINISHED / "checkpoints"
SMALL = ("data=copy", "model=gru", "budget=smoke", "data.batch_size=8")
SHORT = ("budget.val_batches=2", "budget.test_batches=2")  # as the template trained


def _state(path) -> tuple[int, dict]:
    """A checkpoint's step and its ModelCheckpoint state (saved under Lightning's key)."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    (key,) = [k for k in saved["callbacks"] if k.startswith("ModelCheckpoint{")]
    return saved["global_step"], saved["callbacks"][key]


@pytest.mark.slow
def test_a_moved_run_resumes_under_its_own_names_with_its_best_score(project, tmp_path):
    before = digest(project)
    moved = tmp_path / "elsewhere" / "project"
    shutil.copytree(project, moved, symlinks=True)
    step, trained = _state(project / CHECKPOINTS / "last.ckpt")
    folder = str((moved / CHECKPOINTS).resolve())
    assert trained["dirpath"] != folder  # the state names the template's folder

    carried = {
        name: (project / CHECKPOINTS / name).read_bytes() for name in ("best.ckpt", "last.ckpt")
    }
    # 20: nothing left to train: the result tests the carried best with its score (Lightning
    # keeps no score and names the template's best.ckpt); 30: validated again, saved in place
    for steps in (20, 30):
        result = seqbench(moved, *TRAIN, *SMALL, *SHORT, f"budget.max_steps={steps}",
                          "ckpt_path=last", timeout=300)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        names = sorted(p.name for p in (moved / CHECKPOINTS).iterdir())
        assert names == ["best.ckpt", "last.ckpt"], names
        metrics = json.loads((moved / FINISHED / "metrics.json").read_text())
        assert metrics["steps"] == steps
        if steps == 20:
            assert metrics["best_val"] == pytest.approx(float(trained["best_model_score"]))
            for name, data in carried.items():
                assert (moved / CHECKPOINTS / name).read_bytes() == data, name
            continue
        step, state = _state(moved / CHECKPOINTS / "last.ckpt")
        assert step == steps
        assert state["dirpath"] == folder
        assert state["last_model_path"] == f"{folder}/last.ckpt"
        assert state["best_model_path"] == f"{folder}/best.ckpt"  # not the template's file
        assert list(state["best_k_models"]) == [f"{folder}/best.ckpt"]
        assert state["best_model_score"] <= trained["best_model_score"]  # kept, not restarted
        assert metrics["best_val"] == pytest.approx(float(state["best_model_score"]))
        best_step, best = _state(moved / CHECKPOINTS / "best.ckpt")
        assert best["best_model_score"] == state["best_model_score"] and best_step <= steps
    assert digest(project) == before  # the original run was only read
