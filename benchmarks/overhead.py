"""Framework overhead: what does training through `seqbench-train` (Hydra config, Lightning
Trainer, LightningModule, DataModule, callbacks) cost per step over a plain PyTorch loop?
Target: time-per-step ratio (Lightning / plain) at most 1.05, losses equal to 5 decimals.

    python benchmarks/overhead.py [--steps 60] [--model lstm] [--data shakespeare]
    python benchmarks/overhead.py model.hidden_size=8 data.batch_size=2   # framework cost alone

Lightning side: the real config is composed with Hydra's Compose API (logger=none, no
validation, a one-batch test, no progress bar unless --progress-bar) and run by
``seqbench.train.train``, the function `seqbench-train` calls. A probe callback, added by a
callback joined to the built Trainer (:func:`timed_by`), records ``train/loss`` and a timestamp at
every ``on_train_batch_end``.

Plain side: seeded as train() seeds, the same DataModule and task are built with
``seqbench.train.build.build``; the task's input layer, backbone and head go into a bare
``nn.Module`` (initial weights are checked equal to the Lightning side's) trained with the
configured AdamW, scheduler and gradient clipping, the same truncated-BPTT chunking, on the
same batches (the sampler's epoch set as Lightning sets it). No Trainer, hooks or self.log.

Timing: by default the two sides run in lock step in one process: after each Lightning step
the probe runs one plain step (with its own torch RNG state), so both see the same machine
load, which matters on a shared 2-core box. --sequential runs them back to back instead
(alternating which goes first over --repeats rounds). A Lightning step is the time between
consecutive batch ends minus the probe's own work (so data loading, hooks and logging are
counted); a plain step is next(batch) through the optimiser steps. Reported: medians over the
batches after --warmup, pooled over --repeats rounds; one ``torch.set_num_threads`` for both.

Exit status 1 if the initial weights or the losses differ, else 0 (an OVER ratio included).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import math
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import lightning as L
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch import Tensor, nn

from seqbench import config
from seqbench.models import detach_state
from seqbench.train import run as train_main
from seqbench.train.build import build

DECIMALS = 5
TARGET = 1.05
RAW_DIR = Path(__file__).resolve().parents[1] / "data" / "raw"  # the project's data/raw


@dataclass
class Side:
    """One side's record of one run: the loss and the wall time of every step."""

    losses: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    initial_state: dict[str, Tensor] = field(default_factory=dict)


class PlainModel(nn.Module):
    """The task's input layer, backbone and head, registered in the task's order (so the
    optimiser sees the parameters in the same order)."""

    def __init__(self, inputs: nn.Module, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.inputs, self.backbone, self.head = inputs, backbone, head

    def forward(self, x: Tensor, state: object = None) -> tuple[Tensor, object]:
        hidden, state = self.backbone(self.inputs(x), state)
        return self.head(hidden), state


class PlainLoop:
    """The same training written by hand, one step per :meth:`step` call."""

    def __init__(self, cfg: DictConfig, run_dir: Path) -> None:
        L.seed_everything(cfg.seed, workers=True, verbose=False)  # as train() does
        datamodule, task, _, _ = build(cfg, run_dir)  # same construction, same RNG draws
        self.model = PlainModel(task.inputs, task.backbone, task.head)
        self.model.train()
        self.record = Side(initial_state={k: v.clone() for k, v in self.model.state_dict().items()})
        self.optimizer = instantiate(cfg.optimizer)(self.model.parameters())
        self.scheduler = instantiate(cfg.scheduler)(self.optimizer) if cfg.scheduler else None
        self.limit = task.grad_clip if task.grad_clip else math.inf
        self.loss_fn, self.per_step_targets = task.loss, task.per_step_targets
        self.tbptt_steps = task.tbptt_steps
        self.max_steps, self.optimizer_steps = cfg.budget.max_steps, 0
        self.loader = datamodule.train_dataloader()
        self.rng = torch.get_rng_state()
        self.batches = self._batches()

    def _batches(self) -> Iterator[tuple[Tensor, Tensor]]:
        epoch = 0
        while True:
            self.loader.sampler.set_epoch(epoch)  # what Lightning does at each epoch start
            yield from self.loader
            epoch += 1

    @contextlib.contextmanager
    def own_rng(self) -> Iterator[None]:
        """Run with this loop's torch RNG stream, so lock step leaves the other side's alone."""
        outer = torch.get_rng_state()
        torch.set_rng_state(self.rng)
        try:
            yield
        finally:
            self.rng = torch.get_rng_state()
            torch.set_rng_state(outer)

    @property
    def done(self) -> bool:
        return self.optimizer_steps >= self.max_steps

    def step(self) -> None:
        """One batch: its truncated-BPTT chunks, an optimiser step for each that has a loss."""
        started = time.perf_counter()
        x, y = next(self.batches)
        state, losses = None, []
        size = self.tbptt_steps or x.shape[1]
        starts = range(0, x.shape[1], size)
        for start in starts:
            piece = slice(start, start + size)
            outputs, state = self.model(x[:, piece], state)
            state = detach_state(state)
            if self.per_step_targets:
                loss = self.loss_fn(outputs, y[:, piece])
            elif start == starts[-1]:
                loss = self.loss_fn(outputs[:, -1], y)
            else:
                continue
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.limit)
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            losses.append(loss.detach())
            self.optimizer_steps += 1
        value = float(torch.stack(losses).mean())
        self.record.seconds.append(time.perf_counter() - started)
        self.record.losses.append(value)


class StepProbe(L.Callback):
    """Added to the Lightning run by a config override. It records each step and, when a
    partner loop is set, runs one plain step after each Lightning step (lock step)."""

    partner: PlainLoop | None = None
    latest: StepProbe | None = None

    def __init__(self) -> None:
        self.record = Side()
        self.partner = StepProbe.partner
        self._last = 0.0
        StepProbe.latest = self

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.record.initial_state = {k: v.clone() for k, v in module.state_dict().items()}

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._last = time.perf_counter()  # before the epoch's first batch is fetched

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx: int) -> None:
        self.record.seconds.append(time.perf_counter() - self._last)
        self.record.losses.append(float(trainer.callback_metrics["train/loss"]))
        if self.partner is not None:
            with self.partner.own_rng():
                self.partner.step()
        self._last = time.perf_counter()  # the probe's own work is not counted


def compose_config(args: argparse.Namespace, root: Path) -> DictConfig:
    overrides = [
        f"model={args.model}",
        f"data={args.data}",
        f"logger={args.logger}",
        f"seed={args.seed}",
        f"budget.max_steps={args.steps}",
        f"budget.val_every={args.steps}",  # one "epoch"; the checkpoint is written after it
        "budget.val_batches=0",
        "budget.test_batches=1",
        f"paths.root_dir={root}",
        f"paths.raw_dir={args.raw_dir.resolve()}",
        "print_config=false",
    ]
    if not args.progress_bar:
        overrides += ["~callbacks.progress_bar", "+trainer.enable_progress_bar=false"]
    overrides += args.overrides
    with initialize_config_dir(config_dir=str(config.CONF_DIR), version_base="1.3"):
        return compose("train", overrides=overrides)


@contextlib.contextmanager
def timed_by(window: L.Callback) -> Iterator[None]:
    """train() with ``window`` last among its Trainer's callbacks (after the probe, the
    checkpoint and the recorder, so their per-step work is timed). A config may name only
    seqbench's own classes (``config_targets``), so the window joins the built Trainer."""
    original = train_main.build

    def build(*args, **kwargs):
        datamodule, task, trainer, recorder = original(*args, **kwargs)
        trainer.callbacks.append(window)
        return datamodule, task, trainer, recorder

    train_main.build = build
    try:
        yield
    finally:
        train_main.build = original


def run_lightning(cfg: DictConfig, partner: PlainLoop | None, verbose: bool) -> Side:
    """One `seqbench-train` run (fit, then the one-batch test) in a fresh run directory."""
    StepProbe.partner, StepProbe.latest = partner, None
    try:
        quiet_stdout = (
            contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
        )
        with timed_by(StepProbe()), quiet_stdout:
            train_main.train(cfg)  # unless verbose, the test-metrics table is not printed
    finally:
        StepProbe.partner = None
    if StepProbe.latest is None:
        raise RuntimeError("the probe callback was not instantiated")
    return StepProbe.latest.record


def run_round(cfg: DictConfig, tmp: Path, sequential: bool, plain_first: bool, verbose: bool):
    """Both sides once: (lightning record, plain record)."""
    if not sequential:
        plain = PlainLoop(cfg, tmp / "plain")
        return run_lightning(cfg, plain, verbose), plain.record
    records: dict[str, Side] = {}
    for side in ("plain", "lightning") if plain_first else ("lightning", "plain"):
        if side == "lightning":
            records[side] = run_lightning(cfg, None, verbose)
        else:
            plain = PlainLoop(cfg, tmp / "plain")
            while not plain.done:
                plain.step()
            records[side] = plain.record
    return records["lightning"], records["plain"]


def same_weights(a: dict[str, Tensor], b: dict[str, Tensor]) -> bool:
    """True if every parameter and buffer of the plain model equals the task's."""
    return bool(b) and all(k in a and torch.equal(a[k], v) for k, v in b.items())


def max_loss_diff(a: list[float], b: list[float]) -> float:
    if len(a) != len(b) or not a:
        return math.inf
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def agree(a: list[float], b: list[float]) -> bool:
    """Equal to DECIMALS decimals: rounded equal, or closer than half a unit of the last."""
    if len(a) != len(b) or not a:
        return False
    tolerance = 0.5 * 10**-DECIMALS
    return all(
        round(x, DECIMALS) == round(y, DECIMALS) or abs(x - y) < tolerance
        for x, y in zip(a, b, strict=True)
    )


def quiet() -> None:
    """Keep Lightning's info lines and the expected warnings (no validation, so no best
    checkpoint; no DataLoader workers) out of the table."""
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"lightning(\..*)?")
    warnings.filterwarnings("ignore", module=r"pytorch_lightning(\..*)?")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=60,
        help="optimiser steps per run (budget.max_steps): one per batch unless task.tbptt_steps "
        "cuts batches into chunks, one step each; times are per batch",
    )
    parser.add_argument("--model", default="lstm", help="a conf/model option")
    parser.add_argument("--data", default="shakespeare", help="a conf/data option")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2, help="rounds of both sides")
    parser.add_argument("--warmup", type=int, default=5, help="first batches of a run not timed")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--raw-dir", type=Path, default=RAW_DIR)
    parser.add_argument("--logger", default="none", help="a conf/logger option")
    parser.add_argument(
        "--progress-bar", action="store_true", help="keep the default RichProgressBar"
    )
    parser.add_argument(
        "--sequential", action="store_true", help="run the sides back to back, not in lock step"
    )
    parser.add_argument("--verbose", action="store_true", help="show Lightning's own output")
    parser.add_argument(
        "overrides",
        nargs="*",
        help="more Hydra overrides, e.g. data.batch_size=8 task.tbptt_steps=32",
    )
    args = parser.parse_args()
    if args.steps <= args.warmup:
        parser.error("--steps must exceed --warmup")
    return args


def main() -> None:
    args = parse_args()
    if not args.verbose:
        quiet()
    torch.set_num_threads(args.threads)
    timed: dict[str, list[float]] = {"lightning": [], "plain": []}
    worst, losses_agree, weights_agree, batches = 0.0, True, True, 0
    with tempfile.TemporaryDirectory(prefix="seqbench-overhead-") as tmp:
        for repeat in range(args.repeats):
            root = Path(tmp) / f"round{repeat}"
            cfg = compose_config(args, root)
            torch.set_num_threads(args.threads)
            a, b = run_round(cfg, root, args.sequential, repeat % 2 == 1, args.verbose)
            if torch.get_num_threads() != args.threads:
                raise RuntimeError(f"torch's threads changed to {torch.get_num_threads()}")
            batches = len(a.losses)
            weights_agree &= same_weights(a.initial_state, b.initial_state)
            losses_agree &= agree(a.losses, b.losses)
            worst = max(worst, max_loss_diff(a.losses, b.losses))
            if min(len(a.seconds), len(b.seconds)) <= args.warmup:
                sys.exit(f"error: only {len(a.seconds)} batches, none timed; raise --steps")
            timed["lightning"] += a.seconds[args.warmup :]
            timed["plain"] += b.seconds[args.warmup :]
            print(
                f"round {repeat + 1}/{args.repeats}: {len(a.losses)} vs {len(b.losses)} batches, "
                f"final loss {a.losses[-1]:.6f} vs {b.losses[-1]:.6f}",
                file=sys.stderr,
            )

    medians = {k: 1000 * statistics.median(v) for k, v in timed.items()}
    ratio = medians["lightning"] / medians["plain"]
    mode = "sequential" if args.sequential else "lock step"
    print(
        f"torch {torch.__version__}, lightning {L.__version__}, {args.threads} threads, "
        f"{args.model} on {args.data}, seed {args.seed}, logger={args.logger}, progress bar "
        f"{'on' if args.progress_bar else 'off'}, {mode}"
    )
    if args.overrides:
        print("overrides: " + " ".join(args.overrides))
    print(
        f"{args.steps} optimiser steps ({batches} batches) x {args.repeats} rounds, first "
        f"{args.warmup} batches of each untimed"
    )
    print(f"{'ms per batch':12} {'timed':>6} {'median':>9} {'mean':>9} {'min':>9}")
    for name, seconds in timed.items():
        ms = [1000 * s for s in seconds]
        print(
            f"{name:12} {len(ms):6d} {statistics.median(ms):9.2f} {statistics.fmean(ms):9.2f} "
            f"{min(ms):9.2f}"
        )
    if any(statistics.fmean(v) > 1.5 * statistics.median(v) for v in timed.values()):
        print("note: means far above medians: other load on the machine? the ratio is noisy")
    overhead = medians["lightning"] - medians["plain"]
    print(f"overhead per batch {overhead:+.2f} ms (difference of the medians)")
    print(f"initial weights equal: {'yes' if weights_agree else 'NO'}")
    print(
        f"max |loss difference| {worst:.3g}; losses agree to {DECIMALS} decimals: "
        f"{'yes' if losses_agree else 'NO'}"
    )
    print(f"overhead ratio {ratio:.3f} (target <= {TARGET}): {'OK' if ratio <= TARGET else 'OVER'}")
    sys.exit(0 if losses_agree and weights_agree else 1)


if __name__ == "__main__":
    main()
