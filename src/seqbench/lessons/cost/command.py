"""The cost lesson's command: ``seqbench cost-bench``, training step time and memory against
sequence length per model with fitted exponents, one JSON file for the report, written
atomically."""

import argparse
from pathlib import Path

from seqbench.lessons.sources import MODELS_HELP, write_json


def _cost_bench(args: argparse.Namespace) -> int:
    """Training step time and memory against T per model, with fitted exponents (see cost)."""
    from rich.progress import Progress

    from seqbench.config.device import resolve_device
    from seqbench.lessons.cost.measure import measure, summary
    from seqbench.models import MODELS

    args.out.parent.mkdir(parents=True, exist_ok=True)  # a bad --out is refused before the work
    models = args.models or MODELS
    with Progress(transient=True) as progress:
        bars = {m: progress.add_task(f"cost {m}", total=None) for m in models}

        def advance(model: str, length: int) -> None:
            progress.advance(bars[model])

        given = {k: getattr(args, k) for k in ("lengths", "batch", "steps")}
        given = {k: v for k, v in given.items() if v is not None}
        device = resolve_device(args.device)
        result = measure(models=models, **given, device=device, progress=advance)
    write_json(args.out, result)
    for line in summary(result):
        print(line)
    fitted = ", ".join(map(str, result["fit_lengths"])) or "none (give two lengths or more)"
    print(f"exponents fitted over T = {fitted}; {result['seconds']:.0f} s -> {args.out}")
    return 0


def add_commands(commands: argparse._SubParsersAction, raw_dir: Path) -> None:
    """Add cost-bench to the `seqbench` parser (it builds its models: no data read)."""
    cost = commands.add_parser("cost-bench", help="training step time and memory against T")
    cost.add_argument("--lengths", type=int, nargs="+", metavar="T", help="default 64 ... 4096")
    cost.add_argument("--batch", type=int, help="sequences per step (default 2)")
    cost.add_argument("--steps", type=int, help="timed steps per T, median taken (default 5)")
    cost.add_argument("--out", type=Path, default=Path("reports/lessons/cost.json"))
    cost.add_argument("--models", nargs="+", metavar="MODEL",
                       help=MODELS_HELP)  # fmt: skip
    cost.set_defaults(run=_cost_bench)
    cost.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
