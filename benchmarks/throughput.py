"""Training throughput of `seqbench-train` against a plain PyTorch loop, on any device.

    python benchmarks/throughput.py --device cuda            # the GPU targets (issue 10)
    python benchmarks/throughput.py --device cpu --presets lstm --steps 60

For each preset the same model, data, precision, optimiser, schedule and clipping run three
or four ways, one after another in this process: seqbench as a user runs it (default
callbacks: progress bar, gradient-flow probe every --probe-every steps, checkpoints; CSV
logger), seqbench without the probe, optionally seqbench with compile=true, and a plain loop
written the way nanoGPT's train.py is (autocast, fused AdamW on CUDA, pinned non-blocking
copies, no host sync per step). Each side is timed from the end of step --warmup to the end
of the last step, with a device synchronisation at both ends only, so asynchronous GPU work
is counted where it finishes. Validation happens once, after the timed window.

Printed per preset: tokens/s of each side, seqbench / plain, and the probe's cost (1 - with /
without). Targets: >= 0.95x the plain loop at GPU sizes (lstm-5m, nanogpt; the plain loop of
the nanoGPT-shaped Transformer stands in for nanoGPT's eager step; issue 10), >= 0.98x at the
default sizes (lstm, transformer; issue 21), and the probe at most 2 %.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import lightning as L
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig
from overhead import RAW_DIR, PlainModel, quiet, timed_by

from seqbench import config
from seqbench.train import run as train_main
from seqbench.train.build import build

PRESETS = {
    "lstm": ["model=lstm"],
    "transformer": ["model=transformer"],
    "lstm-5m": ["model=lstm", "task.param_budget=5000000", "data.batch_size=256"],
    "nanogpt": [  # nanoGPT's shakespeare_char GPU config: 6 layers, 6 heads, width 384
        "model=transformer", "model.num_layers=6", "model.num_heads=6", "model.hidden_size=384",
        "task.embed_dim=384", "data.seq_len=256", "data.batch_size=64", "optimizer.lr=1e-3",
    ],
}  # fmt: skip
CLASSIC = tuple(PRESETS)  # the default set
MODERN = ("mingru", "minlstm", "lru", "mamba", "xlstm", "retnet", "transformer_pp")
PRESETS |= {name: [f"model={name}"] for name in MODERN}  # --presets modern: all of them
TARGETS = {"lstm": 0.98, "transformer": 0.98, "lstm-5m": 0.95, "nanogpt": 0.95}
TARGETS |= dict.fromkeys(MODERN, 0.98)
PROBE_TARGET = 0.02


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Window(L.Callback):
    """Times training from the end of step ``warmup`` to the end of the run."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.started, self.seconds, self.tokens = warmup, 0.0, 0.0, 0

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx: int) -> None:
        step = trainer.global_step
        if step == self.warmup:
            sync(module.device)
            self.started = time.perf_counter()
        elif step == trainer.max_steps:
            sync(module.device)
            self.seconds = time.perf_counter() - self.started
        if self.warmup < step:
            self.tokens += math.prod(batch[0].shape[:2])


def compose_config(args: argparse.Namespace, preset: str, root: Path, *extra: str) -> DictConfig:
    trainer = "trainer=gpu" if args.device == "cuda" else "trainer=cpu"
    overrides = [
        *PRESETS[preset], "data=shakespeare", trainer, "logger=csv", "print_config=false",
        f"budget.max_steps={args.steps}", f"budget.val_every={args.steps}",
        "budget.val_batches=2", "budget.test_batches=1", f"paths.root_dir={root}",
        f"paths.raw_dir={args.raw_dir.resolve()}", f"seed={args.seed}",
        f"callbacks.gradient_flow.every_n_steps={args.probe_every}", *args.overrides, *extra,
    ]  # fmt: skip
    if args.precision:
        overrides.append(f"trainer.precision={args.precision}")
    with initialize_config_dir(config_dir=str(config.CONF_DIR), version_base="1.3"):
        return compose("train", overrides=overrides)


def seqbench_tokens_per_s(cfg: DictConfig, warmup: int) -> float:
    window = Window(warmup)
    with timed_by(window), contextlib.redirect_stdout(io.StringIO()):  # the test table
        train_main.train(cfg)
    return window.tokens / window.seconds


def plain_steps(cfg: DictConfig, root: Path, device: torch.device, steps: int) -> Iterator[tuple]:
    """The same training as a hand-written loop (nanoGPT's train.py, without its logging):
    yields (step, inputs) after each of ``steps`` steps, for a caller that times them."""
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule, task, _, _ = build(cfg, root / "plain")
    model = PlainModel(task.inputs, task.backbone, task.head).to(device).train()
    fused = {"fused": True} if device.type == "cuda" else {}
    optimizer = instantiate(cfg.optimizer)(model.parameters(), **fused)
    scheduler = instantiate(cfg.scheduler)(optimizer) if cfg.scheduler else None
    bf16 = str(cfg.trainer.precision).startswith("bf16")
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)
    limit = task.grad_clip or math.inf
    batches = iter(datamodule.train_dataloader())
    for step in range(1, steps + 1):
        x, y = next(batches)
        if device.type == "cuda":
            x, y = x.pin_memory(), y.pin_memory()
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with autocast:
            outputs, _ = model(x)
            loss = task.loss(outputs if task.per_step_targets else outputs[:, -1], y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), limit)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        yield step, x


def plain_tokens_per_s(cfg: DictConfig, root: Path, device: torch.device, warmup: int) -> float:
    """Tokens/s of :func:`plain_steps` after ``warmup`` steps."""
    started, tokens = 0.0, 0
    for step, x in plain_steps(cfg, root, device, cfg.budget.max_steps):
        if step == warmup:
            sync(device)
            started = time.perf_counter()
        elif step > warmup:
            tokens += math.prod(x.shape[:2])
    sync(device)
    return tokens / (time.perf_counter() - started)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    parser.add_argument("--presets", default=",".join(CLASSIC),
                        help=f"comma-separated, or 'modern' for {','.join(MODERN)}")  # fmt: skip
    parser.add_argument("--steps", type=int, default=300, help="optimiser steps per run")
    parser.add_argument("--warmup", type=int, default=50, help="first steps not timed")
    parser.add_argument("--probe-every", type=int, default=100, help="the default budget's")
    parser.add_argument("--precision", help="default: bf16-mixed on cuda, 32-true on cpu")
    parser.add_argument("--compile", action="store_true", help="also time compile=true")
    parser.add_argument("--repeats", type=int, default=1, help="rounds; medians reported")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--raw-dir", type=Path, default=RAW_DIR)
    parser.add_argument("overrides", nargs="*", help="more Hydra overrides for every preset")
    args = parser.parse_args()
    if args.presets == "modern":
        args.presets = ",".join(MODERN)
    unknown = set(args.presets.split(",")) - set(PRESETS)
    if unknown:
        parser.error(f"unknown presets {sorted(unknown)}; known: {', '.join(PRESETS)}")
    if args.steps <= args.warmup:
        parser.error("--steps must exceed --warmup")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but torch sees no CUDA GPU; use --device cpu")
    return args


def main() -> None:
    args = parse_args()
    quiet()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    setting = f"{args.steps} steps ({args.warmup} untimed), probe every {args.probe_every}"
    print(f"torch {torch.__version__}, lightning {L.__version__}, {name}, {setting}")
    header = f"{'preset':12} {'params':>9} {'seqbench':>10} {'no probe':>10} {'plain':>10}"
    header += f" {'ratio':>6} {'target':>7} {'probe':>6}" + (" compiled" if args.compile else "")
    print(header + "   (tokens/s)")
    failed = False
    for preset in args.presets.split(","):
        rows: dict[str, list[float]] = {"seqbench": [], "no probe": [], "plain": [], "compiled": []}
        with tempfile.TemporaryDirectory(prefix="seqbench-throughput-") as tmp:
            for r in range(args.repeats):
                root = Path(tmp) / str(r)
                cfg = compose_config(args, preset, root / "a")
                rows["seqbench"].append(seqbench_tokens_per_s(cfg, args.warmup))
                rows["plain"].append(plain_tokens_per_s(cfg, root, device, args.warmup))
                bare = compose_config(args, preset, root / "b", "~callbacks.gradient_flow")
                rows["no probe"].append(seqbench_tokens_per_s(bare, args.warmup))
                if args.compile:
                    fast = compose_config(args, preset, root / "c", "compile=true")
                    rows["compiled"].append(seqbench_tokens_per_s(fast, args.warmup))
            params = build(cfg, Path(tmp) / "size")[1].num_parameters
        median = {k: statistics.median(v) for k, v in rows.items() if v}
        ratio = median["seqbench"] / median["plain"]
        probe = 1 - median["seqbench"] / median["no probe"]
        ok = ratio >= TARGETS[preset] and probe <= PROBE_TARGET
        failed |= not ok
        line = f"{preset:12} {params:9,d} {median['seqbench']:10,.0f} {median['no probe']:10,.0f}"
        line += f" {median['plain']:10,.0f} {ratio:6.2f}x {TARGETS[preset]:6.2f}x {probe:6.1%}"
        line += f" {median['compiled']:8,.0f}" if args.compile else ""
        print(line + ("" if ok else "   OVER TARGET"), flush=True)
    print("all targets met" if not failed else "some targets missed (see OVER TARGET)")
    sys.exit(0)


if __name__ == "__main__":
    main()
