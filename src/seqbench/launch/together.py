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
is printed if the run fails. The exit status is the first failed run's, so DVC sees a failure;
a run that fails or is killed is reported at once and the others go on (their results stand on
their own; the OOM killer, which stops one run, leaves the others the memory).

SIGINT, SIGTERM and SIGHUP (a cancelled DVC stage, CI job or SLURM job) are forwarded to every
run (SIGHUP as SIGTERM); each stops at a step and records itself as interrupted, resumable with
``ckpt_path=last``, and this command waits for them, then exits 128 + the signal (130, 143).
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

USAGE = "usage: seqbench-together VARIANT [VARIANT ...] -- OVERRIDE [OVERRIDE ...]"
TAIL_LINES = 30
POLL_S = 0.2  # how soon a run that ended is noticed (and a failure reported)
FORWARDED = {
    signal.SIGINT: signal.SIGINT,
    signal.SIGTERM: signal.SIGTERM,
    signal.SIGHUP: signal.SIGTERM,
}


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


@dataclass
class Runs:
    """The runs started so far, and the first stop signal (SIGINT, SIGTERM, SIGHUP) that
    came: each is forwarded to every run, which stops at a step and records itself as
    interrupted (SIGHUP as SIGTERM: a run has no clean stop for it)."""

    procs: list[tuple[str, subprocess.Popen, Path | None]] = field(default_factory=list)
    stopped_by: int | None = None

    def stop(self, signum: int, frame: object = None) -> None:
        self.stopped_by = self.stopped_by or signum
        for _, proc, _ in self.procs:
            proc.send_signal(FORWARDED[signum])  # a run that already ended is skipped


@contextlib.contextmanager
def forwarding(runs: Runs) -> Iterator[None]:
    """The stop signals forwarded while the runs go on; one that this process was started
    ignoring (a shell's background job ignores SIGINT) stays ignored, as for the runs."""
    previous = {sig: signal.getsignal(sig) for sig in FORWARDED}
    for sig, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, runs.stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def exit_code(code: int) -> int:
    """The shell's status for a run: a run killed by a signal N (Popen: -N) is 128 + N."""
    return 128 - code if code < 0 else code


def report(variant: str, code: int, log: Path | None) -> None:
    """A run that ended badly, at once: how, and the tail of a quiet run's log."""
    how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
    tail = log.read_text(errors="replace").splitlines()[-TAIL_LINES:] if log else []
    print(f"--- {variant} ({how})" + (", last lines:" if tail else ""), *tail, sep="\n",
          file=sys.stderr)  # fmt: skip


def run_all(variants: list[str], common: list[str], log_dir: Path) -> int:
    """Start every run, wait for all of them: 128 + the signal if one stopped them, else the
    first non-zero exit status, else 0. A run that fails or is killed (the OOM killer, say)
    is reported at once and the others go on: their results stand on their own."""
    env = thread_env(len(variants))
    runs = Runs()
    with forwarding(runs):
        for i, variant in enumerate(variants):
            if runs.stopped_by:
                break  # stopped before all had started: start no more
            cmd = ["seqbench-train", *common, variant]
            log = None if i == 0 else log_dir / f"run-{i}.log"
            out = None if log is None else log.open("w")
            # a process group of its own: a terminal's Ctrl-C reaches the run once, from here
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out, process_group=0)
            runs.procs.append((variant, proc, log))
            if runs.stopped_by:  # it came while this run started
                proc.send_signal(FORWARDED[runs.stopped_by])
        running = list(runs.procs)
        codes: list[int] = []
        while running:
            for variant, proc, log in [r for r in running if r[1].poll() is not None]:
                running.remove((variant, proc, log))
                codes.append(exit_code(proc.returncode))
                if proc.returncode and not runs.stopped_by:
                    report(variant, proc.returncode, log)
            if running:
                time.sleep(POLL_S)
    if runs.stopped_by:
        for variant, proc, log in runs.procs[1:]:  # the first run's line is on the terminal
            last = log.read_text(errors="replace").strip().splitlines()[-1:] if log else []
            print(f"--- {variant} (exit {exit_code(proc.returncode)}):", *last, file=sys.stderr)
        return 128 + runs.stopped_by
    return next((code for code in codes if code), 0)


def check_all(variants: list[str], common: list[str]) -> str | None:
    """Every run checked as `seqbench-train` checks it, before any starts: a mistake in the
    shared overrides is one line, not one per run and a log tail."""
    from seqbench.errors import SeqbenchError
    from seqbench.safety.redaction import scrub
    from seqbench.train.precheck import precheck

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
