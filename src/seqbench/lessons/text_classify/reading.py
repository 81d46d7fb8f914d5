"""The text-classification lesson's sentences, from the numbers only.

A model "beats" a baseline when every seed's test accuracy is above the baseline's, "does not"
when no seed's is, and is "undecided" when the seeds disagree or fewer than :data:`SEEDS`
finished. One model is said to be ahead of the others only when it has at least SEEDS seeds,
as has every other, its worst seed is above every other model's best seed, and every model's
validation curve had flattened (seqbench.lessons.curves)."""

import statistics

from seqbench.lessons.curves import unsettled_words
from seqbench.lessons.text_classify.measure import Results
from seqbench.page.formats import number

SEEDS = 3
BASELINE_WORDS = {"majority": "majority class", "bag_of_chars": "bag of characters"}


def versus(values: list[float], baseline: float) -> str:
    """A model's seeds against one baseline's accuracy: beats, does not, or undecided."""
    if len(values) < SEEDS:
        return "undecided"
    above = [v > baseline for v in values]
    return "beats" if all(above) else "does not beat" if not any(above) else "undecided"


def ahead(results: Results) -> str | None:
    """The model whose worst seed is above every other model's best, all with >= SEEDS seeds."""
    models = list(results.acc)
    if len(models) < 2 or any(len(results.acc[m]) < SEEDS for m in models):
        return None
    best = max(models, key=lambda m: min(results.acc[m]))
    others = [max(results.acc[m]) for m in models if m != best]
    return best if min(results.acc[best]) > max(others) else None


def text_reading(found: dict[str, Results]) -> list[str]:
    lines = []
    for data, results in found.items():
        said = [
            f"{BASELINE_WORDS.get(name, name)} accuracy {number(s['acc'])}, macro F1 "
            f"{number(s['f1'])}"
            for name, s in results.baselines.items()
        ]
        if said:
            lines.append(f"{data}, baselines fit on train only: {'; '.join(said)}.")
        else:
            lines.append(f"{data}: no baselines recorded (run `seqbench text-baselines {data}`).")
        bag = results.baselines.get("bag_of_chars", {}).get("acc")
        for model, values in results.acc.items():
            f1 = statistics.fmean(results.f1[model])
            line = (
                f"{data}, {model}: test accuracy {number(statistics.fmean(values))}, macro F1 "
                f"{number(f1)} (n={len(values)})"
            )
            if bag is not None:
                above = sum(v > bag for v in values)
                line += (
                    f"; above the bag of characters on {above} of {len(values)} seeds: "
                    f"{versus(values, bag)}"
                )
            lines.append(line + ".")
        leader = ahead(results)
        learning = [m for m in results.acc if m in results.unsettled]
        if len(results.acc) > 1 and learning:
            lines.append(unsettled_words(data, learning))
        elif leader:
            lines.append(f"{data}: {leader}'s worst seed is above every other model's best seed.")
        elif len(results.acc) > 1:
            few = [m for m, values in results.acc.items() if len(values) < SEEDS]
            why = (
                f"{', '.join(few)} {'has' if len(few) == 1 else 'have'} fewer than {SEEDS} seeds"
                if few
                else "no model's worst seed is above every other model's best"
            )
            lines.append(f"{data}: {why}: no winner.")
    return lines
