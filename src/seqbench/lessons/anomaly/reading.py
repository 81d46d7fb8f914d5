"""The anomaly lesson's sentences, from the numbers only.

A model "beats" a baseline when every seed's test AUROC is above the baseline's (the
baselines are deterministic); fewer than :data:`SEEDS` seeds never name a winner or a beaten
baseline, only the numbers."""

import statistics

from seqbench.lessons.anomaly.measure import BASELINES, Detection
from seqbench.lessons.curves import unsettled_words
from seqbench.page.formats import names, number

SEEDS = 3


def mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def baseline_auroc(detection: Detection, name: str) -> float | None:
    value = detection.baselines.get(name, {}).get("test/auroc")
    return float(value) if isinstance(value, int | float) else None


def listed(models: list[str]) -> str:
    return names(models) if models else "none"


def beats(values: list[float], baseline: float | None) -> bool | None:
    """True: every seed above; False: none above; None: undecided (seeds disagree or too few)."""
    if baseline is None or len(values) < SEEDS:
        return None
    above = [v > baseline for v in values]
    return True if all(above) else False if not any(above) else None


def anomaly_reading(detection: Detection) -> list[str]:
    """Baselines, who beats them on every seed, the best mean AUROC (only with enough seeds),
    and the streaming step times."""
    lines = []
    said = [
        f"{words} {number(baseline_auroc(detection, name))}"
        for name, words in BASELINES.items()
        if baseline_auroc(detection, name) is not None
    ]
    if said:
        lines.append(f"{detection.data}: test AUROC of the baselines: {', '.join(said)}.")
    models = list(detection.values)
    best_baseline = max(
        (v for n in BASELINES if (v := baseline_auroc(detection, n)) is not None), default=None
    )
    settled = [m for m in models if len(detection.of(m, "auroc")) >= SEEDS]
    few = [m for m in models if m not in settled]
    above = [m for m in settled if beats(detection.of(m, "auroc"), best_baseline) is True]
    below = [m for m in settled if beats(detection.of(m, "auroc"), best_baseline) is False]
    if best_baseline is not None and settled:
        lines.append(
            f"Above the better baseline's AUROC ({number(best_baseline)}) on every seed: "
            f"{listed(above)}; below it on every seed: {listed(below)}; "
            "the rest are undecided (seeds on both sides)."
        )
    if few:
        lines.append(
            f"Fewer than {SEEDS} seeds (no verdict, numbers only): "
            + ", ".join(f"{m} AUROC {number(mean(detection.of(m, 'auroc')))}" for m in few)
            + "."
        )
    learning = [m for m in settled if m in detection.unsettled]
    if len(settled) > 1 and learning:
        lines.append(unsettled_words(detection.data, learning))
    elif len(settled) > 1:
        top = max(settled, key=lambda m: mean(detection.of(m, "auroc")) or 0.0)
        lines.append(
            f"Highest mean test AUROC over {SEEDS}+ seeds: {top} "
            f"{number(mean(detection.of(top, 'auroc')))}; the ± in the table says whether the "
            "gap to the next is larger than the seeds' spread."
        )
    timed = {m: mean(detection.of(m, "step_ms")) for m in models if detection.of(m, "step_ms")}
    if timed:
        fast, slow = min(timed, key=timed.get), max(timed, key=timed.get)
        lines.append(
            f"Streaming one sample at a time through step() (median per step over the test "
            f"split): fastest {fast} {number(timed[fast])} ms, slowest {slow} "
            f"{number(timed[slow])} ms."
        )
    return lines
