"""`seqbench-together`: several `seqbench-train` runs at once, one process each, sharing
the machine's cores between them.

    seqbench-together seed=0 seed=1 -- data=shakespeare model=rnn budget=default

trains `seed=0` and `seed=1` of the same (data, model) cell side by side. Why: the models
compared here are small, so one run barely gains from a second thread; measured on 2 cores,
two single-threaded runs side by side took 18.7 s where the same two runs one after the other
with two threads each took 30.5 s (results identical to the digit), and each process's start-up
(Python, Lightning, Hydra: ~6 s) is paid side by side too. A DVC stage runs one of these per
cell, so changing one model re-runs only that model's stages.

The first run keeps the terminal (its progress bar); the others write to a log file whose tail
is printed if the run fails. The exit status is the first failed run's, so DVC sees a failure.
"""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

USAGE = "usage: seqbench-together VARIANT [VARIANT ...] -- OVERRIDE [OVERRIDE ...]"
TAIL_LINES = 30


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def split_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """The variants (one run each) and the overrides they share, either side of `--`."""
    if "--" not in argv:
        raise ValueError(f"no `--` between the runs' variants and their shared overrides; {USAGE}")
    cut = argv.index("--")
    variants, common = argv[:cut], argv[cut + 1 :]
    if not variants or not all("=" in v for v in variants):
        raise ValueError(f"give each run as one Hydra override such as seed=0; {USAGE}")
    return variants, common


def thread_env(runs: int) -> dict[str, str]:
    """The cores shared evenly between the runs (at least one thread each), unless the
    caller already chose a thread count."""
    env = dict(os.environ)
    threads = str(max(1, cores() // runs))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, threads)
    return env


def run_all(variants: list[str], common: list[str], log_dir: Path) -> int:
    """Start every run, wait for all of them; the first non-zero exit status, else 0."""
    env = thread_env(len(variants))
    procs: list[tuple[str, subprocess.Popen, Path | None]] = []
    try:
        for i, variant in enumerate(variants):
            cmd = ["seqbench-train", *common, variant]
            log = None if i == 0 else log_dir / f"run-{i}.log"
            out = None if log is None else log.open("w")
            procs.append((variant, subprocess.Popen(cmd, env=env, stdout=out, stderr=out), log))
        codes = [proc.wait() for _, proc, _ in procs]
    except KeyboardInterrupt:
        for _, proc, _ in procs:
            proc.send_signal(signal.SIGINT)  # each run records itself as interrupted
        for _, proc, _ in procs:
            proc.wait()
        return 130
    for (variant, _, log), code in zip(procs, codes, strict=True):
        if code and log is not None:
            tail = log.read_text(errors="replace").splitlines()[-TAIL_LINES:]
            print(f"--- {variant} (exit {code}), last lines:", *tail, sep="\n", file=sys.stderr)
    return next((code for code in codes if code), 0)


def check_all(variants: list[str], common: list[str]) -> str | None:
    """Every run checked as `seqbench-train` checks it, before any starts: a mistake in the
    shared overrides is one line, not one per run and a log tail."""
    from seqbench.errors import SeqbenchError
    from seqbench.precheck import precheck
    from seqbench.redaction import scrub

    for variant in variants:
        try:
            precheck([*common, variant], child_rank=False)
        except SeqbenchError as error:
            return scrub(f"run {variant}: {error}", [*common, *variants])
    return None


def main(argv: list[str] | None = None) -> int:
    try:
        variants, common = split_args(sys.argv[1:] if argv is None else argv)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    refused = check_all(variants, common)
    if refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="seqbench-together-") as tmp:
        return run_all(variants, common, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
