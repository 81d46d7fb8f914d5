"""What `seqbench choose` answers, as lines of text: the models that meet the constraints,
simplest first, what was left out and why, the best of every model with results, and the
simplest that fits whose quality is not separable from it (or why none is named)."""

from seqbench.lessons.deploy.constraints import Limits
from seqbench.lessons.deploy.reading import KB, Board, Choice, Entry, choose
from seqbench.lessons.deploy.record import DEPLOY
from seqbench.page.formats import MISSING, count, names, number
from seqbench.report.formatting import mean_std


def quality_fits(found: Board, value: float, bound: float) -> bool:
    return value <= bound if found.mode == "min" else value >= bound


def misses(found: Board, entry: Entry, given: Limits) -> list[str]:
    """Each constraint the model breaks, in words; empty when it fits."""
    missed = []
    if given.max_step_ms is not None:
        timing = entry.step(given.runtime)
        if timing is None:
            missed.append(f"no {given.runtime} step time (not exported or not measured)")
        elif timing.median > given.max_step_ms:
            missed.append(f"step {number(timing.median)} ms > {number(given.max_step_ms)}")
    memory = entry.cost.memory_bytes / KB
    if given.max_memory_kb is not None and memory > given.max_memory_kb:
        missed.append(f"memory {number(memory)} kB > {number(given.max_memory_kb)}")
    if given.min_quality is not None and not quality_fits(found, entry.mean, given.min_quality):
        sign = "<" if found.mode == "max" else ">"
        missed.append(f"quality {number(entry.mean)} {sign} {number(given.min_quality)}")
    return missed


def constraints_words(found: Board, given: Limits) -> str:
    parts = []
    if given.max_step_ms is not None:
        parts.append(f"step <= {number(given.max_step_ms)} ms ({given.runtime})")
    if given.max_memory_kb is not None:
        parts.append(f"memory <= {number(given.max_memory_kb)} kB (1 kB = 1,000 bytes)")
    if given.min_quality is not None:
        sign = ">=" if found.mode == "max" else "<="
        parts.append(f"{found.result.label()} {sign} {number(given.min_quality)}")
    return ", ".join(parts) or "none (every measured model is listed)"


def table(found: Board, entries: list[Entry], runtime: str) -> list[str]:
    """Plain aligned text: a row per model, simplest first."""
    header = ["model", "parameters", "state B", found.result.label(), f"step ms ({runtime})",
              "memory kB"]  # fmt: skip
    rows = []
    for entry in entries:
        cost, timing = entry.cost, entry.step(runtime)
        growth = f" +{count(cost.state_growth_bytes)}/step" if cost.state_growth_bytes else ""
        rows.append([
            entry.label,
            count(cost.parameters),
            count(cost.state_bytes) + growth,
            f"{mean_std(entry.result)} (n={entry.result.n})",
            number(timing.median) if timing else MISSING,
            number(cost.memory_bytes / KB),
        ])  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in [header, *rows]
    ]  # fmt: skip


def verdict(found: Board, choice: Choice, fitting: list[Entry]) -> str:
    """The answer in one sentence, from the numbers and the report's rule only."""
    best, label = choice.best, found.result.label()
    if choice.reasons:
        return (
            f"too unsettled to choose: {'; '.join(choice.reasons)}. The list is ordered by "
            "size, not ranked: train more seeds (or steps) and ask again."
        )
    best_words = f"{best.label} ({mean_std(best.result)}, n={best.result.n})"
    if choice.named is None:
        closest = min(fitting, key=lambda e: e.mean if found.mode == "min" else -e.mean)
        return (
            f"no model that fits comes within the seed-to-seed variation of the best, "
            f"{best_words}: each is separably worse by Welch's t-test at 5 %; the best that "
            f"fits is {closest.label} ({mean_std(closest.result)}, n={closest.result.n})."
        )
    if choice.named is best:
        return f"choose {best.label}: the best {label}, {best_words}, and it fits."
    return (
        f"choose {choice.named.label}: the simplest model that fits whose {label} is not "
        f"separable from the best, {best_words}, by Welch's t-test over seeds at 5 %."
    )


def answer(found: Board, given: Limits) -> tuple[list[str], int]:
    """What `seqbench choose` prints, and its exit status (1: nothing fits)."""
    lines = [
        f"{found.data}: {found.result.label()}, {found.result.better}; "
        f"{len(found.scored)} models with results, {len(found.measured)} measured on a device",
        f"constraints: {constraints_words(found, given)}",
    ]
    fitting = [e for e in found.measured if not misses(found, e, given)]
    left = [e for e in found.measured if misses(found, e, given)]
    if fitting:
        lines += ["fits, simplest first:", *table(found, fitting, given.runtime)]
    for entry in left:
        lines.append(f"left out: {entry.label} ({'; '.join(misses(found, entry, given))})")
    if missing := [e.label for e in found.unmeasured]:
        lines.append(
            f"not measured (no {DEPLOY}): {names(missing)}; `seqbench deploy` measures them"
        )
    lines += [f"unreadable, left out: {why}" for why in found.unreadable]
    best = found.best
    where = "fits" if best in fitting else "does not fit" if best.cost else "not measured"
    lines.append(f"best: {best.label}, {mean_std(best.result)} (n={best.result.n}); {where}")
    if not fitting:
        lines.append("nothing fits these constraints: every measured model is left out above.")
        return lines, 1
    lines.append(verdict(found, choose(found, fitting), fitting))
    return lines, 0
