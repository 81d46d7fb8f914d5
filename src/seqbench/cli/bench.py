"""The lesson benchmarks as `seqbench` commands: streaming latency (`stream-bench`) and
training cost against sequence length (`cost-bench`). Each writes one JSON file for the
report's lesson sections, atomically, so a DVC stage never leaves half a file behind."""

import argparse
import json
from pathlib import Path

from seqbench.cli.command import Command
from seqbench.safety import atomic


def _write_json(path: Path, result: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json.dumps(result, indent=2) + "\n")


def _stream_bench(args: argparse.Namespace) -> int:
    """Per-step streaming latency and state memory of the four models (see streaming_bench)."""
    import torch
    from rich.progress import Progress

    from seqbench.config.device import resolve_device
    from seqbench.lessons.streaming_bench import measure, summary
    from seqbench.models import MODELS

    with Progress(transient=True) as progress:
        bars = {m: progress.add_task(f"streaming {m}", total=args.positions) for m in MODELS}

        def advance(model: str, done: int) -> None:
            progress.update(bars[model], completed=done)

        rows = measure(args.positions, progress=advance, device=resolve_device(args.device))
    result = {"positions": args.positions, "rows": rows, "torch": torch.__version__, "threads": 1}
    result["device"] = args.device
    _write_json(args.out, result)
    for line in summary(rows):
        print(line)
    print(f"-> {args.out}")
    return 0


def _cost_bench(args: argparse.Namespace) -> int:
    """Training step time and memory against T per model, with fitted exponents (see cost)."""
    from rich.progress import Progress

    from seqbench.config.device import resolve_device
    from seqbench.lessons.cost import measure, summary
    from seqbench.models import MODELS

    args.out.parent.mkdir(parents=True, exist_ok=True)  # a bad --out is refused before the work
    with Progress(transient=True) as progress:
        bars = {m: progress.add_task(f"cost {m}", total=None) for m in MODELS}

        def advance(model: str, length: int) -> None:
            progress.advance(bars[model])

        given = {k: getattr(args, k) for k in ("lengths", "batch", "steps")}
        device = resolve_device(args.device)
        result = measure(**{k: v for k, v in given.items() if v is not None}, device=device,
                         progress=advance)  # fmt: skip
    _write_json(args.out, result)
    for line in summary(result):
        print(line)
    fitted = ", ".join(map(str, result["fit_lengths"])) or "none (give two lengths or more)"
    print(f"exponents fitted over T = {fitted}; {result['seconds']:.0f} s -> {args.out}")
    return 0


def _stream_arguments(bench: argparse.ArgumentParser) -> None:
    bench.add_argument("--positions", type=int, default=4096, help="steps to stream per model")
    bench.add_argument("--out", type=Path, default=Path("reports/lessons/streaming.json"))
    bench.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")


def _cost_arguments(cost: argparse.ArgumentParser) -> None:
    cost.add_argument("--lengths", type=int, nargs="+", metavar="T", help="default 64 ... 4096")
    cost.add_argument("--batch", type=int, help="sequences per step (default 2)")
    cost.add_argument("--steps", type=int, help="timed steps per T, median taken (default 5)")
    cost.add_argument("--out", type=Path, default=Path("reports/lessons/cost.json"))
    cost.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")


COMMANDS = [  # entries of the `seqbench` command table (seqbench.cli.main)
    Command("stream-bench", "streaming latency and state memory", _stream_bench, _stream_arguments),
    Command("cost-bench", "training step time and memory against T", _cost_bench, _cost_arguments),
]
