"""What the activation study measured: the runs of tanh, ReLU and IRNN with clipping on and
off, and per run the share of steps whose gradient norm exceeded task.grad_clip (counted by
the task during training, recorded in metrics.json as clipped_steps and max_grad_norm)."""

from seqbench.lessons.sources import study_runs
from seqbench.rundir.run import Run


def activation_runs(runs: list[Run]) -> list[Run]:
    """The activation study's runs plus its tanh-with-clipping runs, which are the
    comparison's own rnn runs (same config, trained once) on the study's datasets and seeds."""
    study = study_runs(runs, "activations")
    cells = {(run.data, run.seed) for run in study}
    tanh = [
        run
        for run in runs
        if not run.metrics.get("study")
        and run.model == "rnn"
        and (run.data, run.seed) in cells
        and run.metrics.get("clip_gradients", True)
    ]
    return study + tanh


def exploded(run: Run) -> dict:
    """One run's gradient counts: its model, clipping, share of steps over the threshold
    (None where not recorded) and largest gradient norm."""
    steps = run.metrics.get("steps") or 0
    clipped = run.metrics.get("clipped_steps")
    share = clipped / steps if steps and isinstance(clipped, int) else None
    clip = bool(run.metrics.get("clip_gradients", True))
    return {"model": run.model, "clip": clip, "exploded_share": share,
            "max_grad_norm": run.metrics.get("max_grad_norm")}  # fmt: skip
