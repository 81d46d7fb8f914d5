"""The deploy lesson's commands: ``seqbench export`` (a run for a device, with parity),
``seqbench deploy`` (each run's on-device cost into its deploy.json) and ``seqbench choose``
(the simplest model that fits a latency and memory budget)."""

import argparse
from pathlib import Path

from seqbench.errors import ConfigError


def _checkpoint_of(target: Path) -> tuple[Path, Path | None]:
    """The checkpoint a run folder or a .ckpt names, and the run folder when there is one."""
    from seqbench import rundir

    if target.is_dir():
        best = rundir.checkpoint(target)
        if not best.is_file():
            raise ConfigError(f"{target} holds no {best.relative_to(target)}; train it first")
        return best, target
    if not target.is_file():
        raise ConfigError(f"{target} is neither a run folder nor a checkpoint file")
    run = target.parent.parent  # <run>/checkpoints/<name>.ckpt
    return target, run if rundir.hydra_file(run, "config.yaml").is_file() else None


def _export(args: argparse.Namespace) -> int:
    from seqbench.config.memory import steps
    from seqbench.lessons.deploy import bundle, export, quantize, test_split
    from seqbench.tasks.checkpoint import load_task

    if args.quantize and args.format != "onnx":
        raise ConfigError(f"--quantize {args.quantize} is for --format onnx (onnxruntime's)")
    checkpoint, run = _checkpoint_of(args.target)
    task = load_task(checkpoint)
    batches, where = [], "random inputs (no run folder with its data beside the checkpoint)"
    if run is not None:
        batches = list(test_split.test_batches(run, task, args.test_batches))
        where = f"the first test window of {run}"
    ex = export.example(task, steps(task.data_info), batches[0][0] if batches else None)
    out = args.out or checkpoint.parent.parent / "export"
    stem = type(task.backbone).__name__.lower()
    shapes = export.SHAPES if args.shape == "both" else (args.shape,)
    for shape in shapes:
        facts = bundle.write(task, args.format, shape, ex, out, stem)
        error = facts["parity"]["max_error"]
        print(
            f"{facts['file']}: {facts['bytes'] / 1024:.0f} KB, parity {error:.1e} "
            f"(tolerance {export.TOLERANCE:.0e}) on {where} -> {out}"
        )
    if args.quantize:
        if not batches:
            raise ConfigError("--quantize measures quality on the test split: give a run folder")
        facts = quantize.write(task, ex, batches, out, stem)
        for metric, delta in facts["change"].items():
            print(
                f"int8: {metric} {facts['float'][metric]:.4g} -> {facts['int8'][metric]:.4g} "
                f"({delta:+.4g}) over {facts['int8']['batches']} test batches; "
                f"{facts['float_bytes'] / 1024:.0f} KB -> {facts['int8_bytes'] / 1024:.0f} KB"
            )
    return 0


def runs_below(targets: list[Path]) -> list[Path]:
    """The trained runs (a best checkpoint) given or below the targets, found as the report
    finds runs: at any depth, and where a sweep's jobs wrote them (report.collect)."""
    from seqbench import rundir
    from seqbench.report.collect import find_runs

    found: list[Path] = []
    for target in targets:
        if not target.is_dir():
            raise ConfigError(f"{target} is not a folder of runs")
        found += [run.path for run in find_runs(target) if rundir.checkpoint(run.path).is_file()]
    if not found:
        where = ", ".join(map(str, targets))
        raise ConfigError(f"no trained run (metrics.json, checkpoints/best.ckpt) in {where}")
    return list(dict.fromkeys(found))


def _deploy(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from seqbench.lessons.deploy.measure import DEPLOY, measure_runs

    runs = runs_below(args.runs)
    lines = []
    # refreshed by hand: measure_runs forks, and a refresh thread must not be running then
    with Progress(transient=True, auto_refresh=False) as progress:
        bar = progress.add_task("measuring runs", total=len(runs))
        progress.refresh()

        def done(run: Path, result: dict) -> None:
            progress.advance(bar)
            progress.refresh()
            eager, onnx = result["step_ms"]["eager"], result["step_ms"]["onnx"]
            runtime = f", onnx {onnx['median']:.3f} ms" if onnx else ""
            memory = result["memory_bytes"] / 1024
            lines.append(
                f"{run}: {result['parameters']} parameters, {memory:.0f} KB, "
                f"step {eager['median']:.3f} ms eager{runtime} -> {DEPLOY}"
            )

        measure_runs(runs, args.steps, args.warmup, done)
    print("\n".join(lines))
    return 0


def add_commands(commands: argparse._SubParsersAction, raw_dir: Path) -> None:
    """Add export, deploy and choose to the `seqbench` parser."""
    from seqbench.lessons.deploy import choose

    export = commands.add_parser(
        "export", help="a trained run for a device (onnx, torchscript, exported-program)"
    )
    export.add_argument("target", type=Path, help="a run folder or a .ckpt file")
    export.add_argument(
        "--format", required=True, choices=("onnx", "torchscript", "exported-program")
    )
    export.add_argument(
        "--shape", default="both", choices=("whole", "step", "both"),
        help="the whole-sequence model, the streaming step (state in, state out), or both",
    )  # fmt: skip
    export.add_argument("--out", type=Path, help="default: <run>/export")
    export.add_argument("--quantize", choices=("int8",), help="also an int8 ONNX, quality measured")
    export.add_argument(
        "--test-batches", type=int, help="read only the first N test batches (default: all)"
    )
    export.set_defaults(run=_export)
    deploy = commands.add_parser("deploy", help="each run's on-device cost into its deploy.json")
    deploy.add_argument("runs", type=Path, nargs="+", help="run folders, or folders holding runs")
    deploy.add_argument("--steps", type=int, default=1000, help="timed steps per runtime")
    deploy.add_argument("--warmup", type=int, default=100, help="untimed steps first")
    deploy.set_defaults(run=_deploy)
    chooser = commands.add_parser(
        "choose", help="the simplest model within a latency/memory budget"
    )
    choose.add_arguments(chooser)
    chooser.set_defaults(run=choose.run)
