"""Where a training step's time goes: cProfile over the same steps of `seqbench-train` and of
the plain loop of ``throughput.py``, top functions by own time, per step.

    python benchmarks/step_profile.py                       # the LSTM, CPU
    python benchmarks/step_profile.py --preset transformer --steps 40 --top 20

Both sides are built from one composed config (``throughput.compose_config``: the default
callbacks, CSV logger, probe every --probe-every steps). The seqbench side is profiled from the
end of step --warmup to the end of step --warmup + --steps (data loading, hooks, logging,
callbacks: everything between two batch ends); the plain side over the same number of steps
after its own warmup. The lines a framework adds are the ones absent from the plain side.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

import lightning as L
import torch
from overhead import RAW_DIR, quiet
from throughput import PRESETS, compose_config, plain_steps, timed_by

from seqbench.train import run as train_main


class Profiled(L.Callback):
    """cProfile from the end of step ``warmup`` to the end of step ``warmup + steps``."""

    def __init__(self, warmup: int, steps: int) -> None:
        self.first, self.last = warmup, warmup + steps
        self.profile = cProfile.Profile()
        self.seconds = 0.0

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx: int) -> None:
        step = trainer.global_step
        if step == self.first:
            self.started = time.perf_counter()
            self.profile.enable()
        elif step == self.last:
            self.profile.disable()
            self.seconds = time.perf_counter() - self.started


def profile_seqbench(cfg, warmup: int, steps: int) -> tuple[pstats.Stats, float]:
    probe = Profiled(warmup, steps)
    with timed_by(probe), contextlib.redirect_stdout(io.StringIO()):
        train_main.train(cfg)
    return pstats.Stats(probe.profile), probe.seconds


def profile_plain(cfg, root: Path, warmup: int, steps: int) -> tuple[pstats.Stats, float]:
    """throughput.py's plain loop (CPU), profiled over ``steps`` steps after ``warmup``."""
    profile, started = cProfile.Profile(), 0.0
    for step, _ in plain_steps(cfg, root, torch.device("cpu"), warmup + steps):
        if step == warmup:
            started = time.perf_counter()
            profile.enable()
    profile.disable()
    return pstats.Stats(profile), time.perf_counter() - started


def show(title: str, stats: pstats.Stats, seconds: float, steps: int, top: int) -> None:
    """Per step: wall ms (under the profiler), then the top functions by own time."""
    print(f"\n== {title}: {1000 * seconds / steps:.2f} ms/step under cProfile, {steps} steps")
    print(f"{'own ms/step':>11} {'cum ms/step':>11} {'calls/step':>10}  function")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (file, line, name), (_, calls, own, cum, _) in rows:
        where = f"{Path(file).name}:{line}({name})" if line else name
        ms = f"{1000 * own / steps:11.3f} {1000 * cum / steps:11.3f}"
        print(f"{ms} {calls / steps:10.1f}  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", choices=list(PRESETS), default="lstm")
    parser.add_argument("--steps", type=int, default=100, help="profiled steps")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--probe-every", type=int, default=100, help="as throughput.py")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dump", type=Path, help="also write <dump>.seqbench/.plain pstats")
    parser.add_argument("--raw-dir", type=Path, default=RAW_DIR)
    parser.add_argument("overrides", nargs="*", help="more Hydra overrides")
    args = parser.parse_args()
    quiet()
    total = args.warmup + args.steps
    options = argparse.Namespace(
        device="cpu", steps=total, warmup=args.warmup, probe_every=args.probe_every,
        precision=None, seed=args.seed, raw_dir=args.raw_dir, overrides=args.overrides,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="seqbench-profile-") as tmp:
        cfg = compose_config(options, args.preset, Path(tmp) / "a")
        stats, seconds = profile_seqbench(cfg, args.warmup, args.steps)
        show(f"seqbench {args.preset}", stats, seconds, args.steps, args.top)
        if args.dump:
            stats.dump_stats(f"{args.dump}.seqbench")
        stats, seconds = profile_plain(cfg, Path(tmp), args.warmup, args.steps)
        show(f"plain {args.preset}", stats, seconds, args.steps, args.top)
        if args.dump:
            stats.dump_stats(f"{args.dump}.plain")


if __name__ == "__main__":
    main()
