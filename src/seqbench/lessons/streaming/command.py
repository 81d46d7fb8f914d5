"""The streaming lesson's command: ``seqbench stream-bench``, per-step latency and state
memory of the four models, one JSON file for the report, written atomically."""

import argparse
from pathlib import Path

from seqbench.lessons.sources import MODELS_HELP, write_json


def _stream_bench(args: argparse.Namespace) -> int:
    """Per-step streaming latency and state memory of the four models (see streaming_bench)."""
    import torch
    from rich.progress import Progress

    from seqbench.config.device import resolve_device
    from seqbench.lessons.streaming.measure import measure, summary
    from seqbench.models import MODELS

    models = args.models or MODELS
    with Progress(transient=True) as progress:
        bars = {m: progress.add_task(f"streaming {m}", total=args.positions) for m in models}

        def advance(model: str, done: int) -> None:
            progress.update(bars[model], completed=done)

        device = resolve_device(args.device)
        rows = measure(args.positions, models=models, progress=advance, device=device)
    result = {"positions": args.positions, "rows": rows, "torch": torch.__version__, "threads": 1}
    result["device"] = args.device
    write_json(args.out, result)
    for line in summary(rows):
        print(line)
    print(f"-> {args.out}")
    return 0


def add_commands(commands: argparse._SubParsersAction, raw_dir: Path) -> None:
    """Add stream-bench to the `seqbench` parser (it builds its models: no data read)."""
    bench = commands.add_parser("stream-bench", help="streaming latency and state memory")
    bench.add_argument("--positions", type=int, default=4096, help="steps to stream per model")
    bench.add_argument("--out", type=Path, default=Path("reports/lessons/streaming.json"))
    bench.add_argument("--models", nargs="+", metavar="MODEL",
                       help=MODELS_HELP)  # fmt: skip
    bench.set_defaults(run=_stream_bench)
    bench.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
