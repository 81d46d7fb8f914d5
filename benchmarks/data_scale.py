"""Text at any size: fetch and training start-up for a generated corpus of N MB.

    python benchmarks/data_scale.py --mb 100 [--dir /tmp/scale] [--vocab char|byte] [--before]

Writes N MB of seeded random words (a fixed word list with some non-ASCII words, documents
of 50-150 KB, one ``*.txt`` file each) to a temporary folder, then runs, each in its own
process so each peak RSS is its own:

- fetch: ``text_files.build`` + ``snapshot.write`` (Arrow + token ids + md5s);
- start-up: ``CharLMDataModule.setup`` (snapshot check + memory-mapping), the first batch
  out of the training DataLoader ("first batch"), then the first training step of a real
  seqbench model (LanguageModel, 2-layer LSTM, 128 units, batch 64, seq_len 128; "done",
  which adds torch's one-off start-up of its first LSTM call), as after a fetch; then again
  with no remembered md5s (a fresh checkout: every file hashed). Each ``--repeats`` times:
  median time, largest peak.

Peak RSS is measured above the child's baseline after its imports (``/proc/self/clear_refs``
resets VmHWM, then VmHWM - VmRSS); times exclude imports (``import lightning`` alone takes
seconds), which are printed too. ``--before`` runs main's path before this change (documents
read back as strings and re-encoded at start-up; vocabulary from the materialised column at
fetch). Ends with ``peak RSS / corpus: R, first batch: S s`` (R the larger peak over the
corpus size, S the time to the first batch as after a fetch).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WORDS = (  # noqa: SIM905  (a readable word list)
    "the of and to in is was that for on with as by at from his her they which this be not "
    "are or had have one all were we when there can an been more if will would who so what "
    "time people year way day man thing woman life child world school state family student "
    "group country problem hand part place case week company system program question work "
    "café naïve façade smørrebrød straße żółć Ωmega λόγος мир 東京 ünter élan"
).split()


def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def write_corpus(folder: Path, megabytes: int, seed: int = 0) -> int:
    """Documents of random phrases until ``megabytes`` MB; returns the bytes written."""
    rng = np.random.default_rng(seed)
    words = np.array(WORDS, dtype=object)
    phrases = [
        " ".join(words[rng.integers(0, len(words), rng.integers(4, 16))]) + rng.choice([" ", "\n"])
        for _ in range(8192)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    total, target, index = 0, megabytes * 1_000_000, 0
    while total < target:
        want = min(int(rng.integers(50_000, 150_000)), target - total)
        picks = rng.integers(0, len(phrases), want // 40 + 1)
        data = "".join(phrases[i] for i in picks).encode()[:want].decode("utf-8", "ignore")
        payload = data.encode()
        (folder / f"doc{index:06d}.txt").write_bytes(payload)
        total, index = total + len(payload), index + 1
    return total


def child_fetch(work: Path, before: bool) -> dict:
    from seqbench.data import snapshot
    from seqbench.data.sources import text_files

    base = start()
    built = text_files.build("corpus/*.txt", root=work)
    if before:  # main's _stage: save, then the vocabulary from the materialised column
        built.splits.save_to_disk(str(work / "before"))
        sorted(set().union(*(set(text) for text in built.splits["train"]["text"])))
    else:
        snapshot.write("corpus", "text", "generated corpus", built, work / "raw")
    return finish(base)


def child_startup(work: Path, vocab: str, before: bool) -> dict:
    import functools

    import torch

    from seqbench.data.text import CharLMDataModule, encode
    from seqbench.models import BACKBONES
    from seqbench.tasks.language_model import LanguageModel

    class Before(CharLMDataModule):
        """main's build (a9a696b): every document as a string, encoded in memory."""

        def build(self, splits):
            from seqbench.data import snapshot
            from seqbench.data.batches import TokenWindows

            self.vocab = snapshot.load_vocab(self.name, self.raw_dir)
            ids = {
                s: encode("\n".join(splits[s].data.column("text").to_pylist()), self.vocab)
                for s in ("train", "validation", "test")
            }
            self.train_counts = np.bincount(ids["train"], minlength=self.vocab_size).tolist()
            return {s: TokenWindows(a, self.seq_len, self.stride) for s, a in ids.items()}

    torch.manual_seed(0)
    base = start()
    module = (Before if before else CharLMDataModule)(
        "corpus", work / "raw", seq_len=128, batch_size=64, steps_per_epoch=100, vocab=vocab
    )
    module.setup("fit")
    task = LanguageModel(
        backbone=functools.partial(BACKBONES["lstm"], hidden_size=128, num_layers=2),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info=module.info(),
    )
    optimiser = torch.optim.AdamW(task.parameters(), lr=1e-3)
    x, y = next(iter(module.train_dataloader()))
    batch = time.perf_counter() - base[0]
    logits, _ = task(x)
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
    loss.backward()
    optimiser.step()
    return finish(base) | {"batch_seconds": batch, "windows": len(module.datasets["train"])}


def start() -> tuple[float, int]:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    return time.perf_counter(), rss_kb("VmRSS")


def finish(base: tuple[float, int]) -> dict:
    seconds, rss = base
    peak = (rss_kb("VmHWM") - rss) * 1024
    return {"seconds": time.perf_counter() - seconds, "peak_bytes": peak, "imports": IMPORTED}


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"child {args[:2]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=10)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp)")
    parser.add_argument("--vocab", choices=("char", "byte"), default="char")
    parser.add_argument("--before", action="store_true", help="main's path before this change")
    parser.add_argument("--repeats", type=int, default=3, help="start-ups of each kind")
    parser.add_argument("--child", choices=("fetch", "startup"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="seqbench-scale-"))
    before = ["--before"] if args.before else []
    if args.child == "fetch":
        print(json.dumps(child_fetch(work, args.before)))
        return
    if args.child == "startup":
        print(json.dumps(child_startup(work, args.vocab, args.before)))
        return
    try:
        made = time.perf_counter()
        corpus = write_corpus(work / "corpus", args.mb)
        print(f"corpus: {corpus / 1e6:.1f} MB in {time.perf_counter() - made:.1f} s ({work})")
        fetched = run_child("--child", "fetch", "--dir", str(work), *before)
        if args.before:  # the snapshot itself, for start-up, written the current way
            run_child("--child", "fetch", "--dir", str(work))
        show("fetch", fetched, corpus)
        common = ("--child", "startup", "--dir", str(work), "--vocab", args.vocab, *before)
        started = repeat(common, args.repeats, work, forget=False)
        show("start-up to first step", started, corpus)
        show("start-up, no remembered md5s", repeat(common, args.repeats, work, True), corpus)
        ratio = max(fetched["peak_bytes"], started["peak_bytes"]) / corpus
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"peak RSS / corpus: {ratio:.2f}, first batch: {started['batch_seconds']:.2f} s")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


def repeat(command: tuple[str, ...], times: int, work: Path, forget: bool) -> dict:
    """Median time and largest peak of ``times`` start-ups (``forget``: each with no stamps)."""
    runs = []
    for _ in range(times):
        if forget:
            shutil.rmtree(work / ".raw-verified", ignore_errors=True)
        runs.append(run_child(*command))
    return {
        "batch_seconds": statistics.median(r["batch_seconds"] for r in runs),
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_bytes": max(r["peak_bytes"] for r in runs),
        "imports": statistics.median(r["imports"] for r in runs),
    }


def show(what: str, result: dict, corpus: int) -> None:
    peak = result["peak_bytes"]
    batch = f"first batch {result['batch_seconds']:5.2f} s, " if "batch_seconds" in result else ""
    print(
        f"{what:30} {batch}done {result['seconds']:6.2f} s  peak RSS +{peak / 1e6:7.1f} MB "
        f"({peak / corpus:5.2f}x corpus; imports {result['imports']:.1f} s)"
    )


IMPORTED = 0.0
if __name__ == "__main__":
    began = time.perf_counter()
    import lightning  # noqa: F401  (imported before the baseline, as training has it)

    import seqbench.data.snapshot  # noqa: F401

    IMPORTED = time.perf_counter() - began
    main()
