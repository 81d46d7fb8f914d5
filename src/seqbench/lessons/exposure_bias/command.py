"""The exposure-bias lesson's commands: ``seqbench text-lessons`` (samples and exposure bias
of every trained character model, one JSON file for the report, written atomically) and
``seqbench generate`` (text from one checkpoint). Heavy imports wait for the command."""

import argparse
from pathlib import Path

from seqbench.lessons.sources import write_json


def _optional_int(value: str) -> int | None:
    return None if value.lower() == "none" else int(value)


def _generate(args: argparse.Namespace) -> int:
    """Print the prompt followed by what a character LM checkpoint writes after it, as it is
    written: a long generation shows its progress."""
    from seqbench.config.device import resolve_device
    from seqbench.lessons.exposure_bias.generation import check_request, check_sampling, stream_text
    from seqbench.tasks.checkpoint import load_task

    check_sampling(args.temperature, args.top_k)  # before the checkpoint is even read
    check_request(args.prompt, args.chars, args.seed)
    task = load_task(args.ckpt, resolve_device(args.device))
    text = stream_text(task, args.prompt, args.chars, args.temperature, args.top_k, args.seed)
    print(args.prompt, end="", flush=True)
    for piece in text:
        print(piece, end="", flush=True)
    print()
    return 0


def _text_lessons(args: argparse.Namespace) -> int:
    """Samples and exposure-bias numbers for every trained character model, as JSON."""
    from seqbench.config.device import resolve_device
    from seqbench.lessons.exposure_bias.measure import summary, text_lessons

    sampling = {"temperature": args.temperature, "top_k": args.top_k}
    device = resolve_device(args.device)
    result = text_lessons(
        args.runs_dir,
        args.data,
        args.seed,
        args.prompt,
        args.chars,
        args.raw_dir,
        device,
        **sampling,
    )
    write_json(args.out, result, ensure_ascii=False)
    for line in summary(result):
        print(line)
    print(f"-> {args.out}")
    return 0


def add_commands(commands: argparse._SubParsersAction, raw_dir: Path) -> None:
    """Add generate and text-lessons to the `seqbench` parser; ``raw_dir``: its --raw-dir."""
    generate = commands.add_parser("generate", help="sample text from a character LM")
    generate.add_argument("ckpt", type=Path, help="a checkpoint, e.g. runs/.../best.ckpt")
    text = commands.add_parser("text-lessons", help="samples and exposure bias of text models")
    text.add_argument("runs_dir", type=Path, help="holds <data>/<model>/<seed>/checkpoints")
    text.add_argument("--data", default="shakespeare")
    text.add_argument("--raw-dir", type=Path, default=raw_dir)
    text.add_argument("--out", type=Path, default=Path("reports/lessons/text.json"))
    for sub, chars in ((generate, 500), (text, 300)):
        sub.add_argument("--prompt", default="ROMEO:")
        sub.add_argument("--chars", type=int, default=chars, help="characters to sample")
        sub.add_argument("--temperature", type=float, default=0.8)
        sub.add_argument("--top-k", type=_optional_int, default=20, help="an int, or none")
        sub.add_argument("--seed", type=int, default=0)
    for sub in (generate, text):
        sub.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    generate.set_defaults(run=_generate)
    text.set_defaults(run=_text_lessons)
