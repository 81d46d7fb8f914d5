"""What a run prints: its config, one progress bar counting toward the budget's max_steps
(from the resumed step on a resumed run), its results, and no warning, tip or advert that is
not about the run; seqbench.train.quiet silences those one by one, and nothing else."""

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

# three validations ("epochs" of 2 steps): Lightning's bar counted 2 per epoch, "Epoch 0/-2"
BUDGET = ("budget=smoke", "budget.max_steps=6", "budget.val_every=2", "budget.val_batches=2",
          "budget.test_batches=2")  # fmt: skip
NOISE = re.compile(r"\b(warn\w*|tips?|litlogger|litmodels|srun|deprecated|traceback)\b", re.I)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def train(root: Path, raw_dir: Path, *overrides: str, **env: str):
    """A run as a user starts it; W&B offline (the default without credentials)."""
    return subprocess.run(
        [sys.executable, "-m", "seqbench.train", "data=adding", "model=lstm", *BUDGET,
         f"paths.root_dir={root}", f"paths.raw_dir={raw_dir}", *overrides],
        capture_output=True, text=True, timeout=600,
        env={k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
        | {"WANDB_MODE": "offline", "COLUMNS": "200"} | env,
    )  # fmt: skip


def bar(text: str) -> list[tuple[int, int]]:
    """Each drawing of the training bar: (steps done, total)."""
    counts = re.findall(r"^\s*Training\s+\S+\s+(\d+)/(\d+)", ANSI.sub("", text), re.M)
    return [(int(done), int(total)) for done, total in counts]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory, raw_dir):
    root = tmp_path_factory.mktemp("console")
    result = train(root, raw_dir)  # the defaults: config shown, the bar, W&B offline + CSV
    assert result.returncode == 0, result.stderr[-3000:]
    return root, result


@pytest.mark.slow
def test_a_smoke_runs_console_holds_config_bar_and_results_and_no_noise(smoke):
    _, result = smoke
    out = result.stdout
    assert "── model" in out and "hidden_size" in out and "max_steps: 6" in out  # the config
    assert bar(out)[-1] == (6, 6)  # one bar toward budget.max_steps, not per "epoch"
    assert "Epoch" not in out and "/-2" not in out and "v_num" not in out
    assert re.search(r"test/mse\s+\S+\s+0\.\d+", out)  # the results
    noisy = [line for line in (out + result.stderr).splitlines() if NOISE.search(line)]
    assert noisy == [], "\n".join(noisy)


@pytest.mark.slow
def test_a_resumed_runs_bar_starts_at_the_step_it_resumes_from(smoke, raw_dir):
    """Drawn as on a terminal (FORCE_COLOR), every frame of the bar is seen."""
    root, _ = smoke
    result = train(root, raw_dir, "ckpt_path=last", "budget.max_steps=9", "logger=none",
                   "print_config=false", FORCE_COLOR="1")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    frames = bar(result.stdout)
    assert frames and min(done for done, _ in frames) >= 6, frames
    assert frames[-1] == (9, 9) and {total for _, total in frames} == {9}
    noisy = [line for line in (result.stdout + result.stderr).splitlines() if NOISE.search(line)]
    assert noisy == [], "\n".join(noisy)


def test_only_the_named_lines_are_silenced():
    """Each filter matches its message where Lightning raises it; the same text from
    elsewhere (seqbench's own code), or another warning from there, still shows."""
    from lightning.fabric.utilities.warnings import PossibleUserWarning

    from seqbench.train.quiet import quiet_lightning

    srun = "The `srun` command is available on your system but is not used. HINT: ..."
    slurm = "lightning.fabric.plugins.environments.slurm"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_lightning(resuming=False)
        for message, category, module in [
            (srun, PossibleUserWarning, slurm),  # silenced
            (srun, PossibleUserWarning, "seqbench.train.build"),
            ("Checkpoint directory /x exists and is not empty.", UserWarning,
             "lightning.pytorch.callbacks.model_checkpoint"),  # not resuming: shown
            ("something else", PossibleUserWarning, slurm),
            ("something else", UserWarning, "seqbench.train"),
        ]:  # fmt: skip
            warnings.warn_explicit(message, category, "file.py", 1, module=module)
    shown = [(str(w.message)[:20], w.category.__name__) for w in caught]
    assert shown == [
        (srun[:20], "PossibleUserWarning"),
        ("Checkpoint directory", "UserWarning"),
        ("something else", "PossibleUserWarning"),
        ("something else", "UserWarning"),
    ]
