"""The forecasting lesson's sentences, each from the measured numbers.

A model is said to beat (or lose to) a baseline only when every one of at least
:data:`SEEDS` seeds does; "a linear model beats every recurrent model here" only when the
linear baseline's test MSE is below every seed of every recurrent model measured. With fewer
seeds, or while a model's validation curve was still improving (seqbench.lessons.curves), the
numbers are shown and no winner is named.
"""

import statistics

from seqbench.lessons.curves import unsettled_words
from seqbench.lessons.forecast.measure import Dataset
from seqbench.page.formats import names, number

SEEDS = 3
RECURRENT = ("rnn", "lstm", "gru", "mingru", "minlstm", "lru", "mamba", "xlstm", "retnet")
WORDS = {
    "last_value": "last value",
    "seasonal_naive": "seasonal naive",
    "linear": "linear (least squares on the window)",
}


def best_baseline(data: Dataset) -> tuple[str, float]:
    name = min(data.baselines, key=lambda n: data.baselines[n]["mse"])
    return name, float(data.baselines[name]["mse"])


def settled(data: Dataset) -> list[str]:
    """The models with enough finished seeds for a verdict."""
    return [m for m, values in data.mse.items() if len(values) >= SEEDS]


def _versus_baseline(data: Dataset, model: str, name: str) -> str | None:
    line, values = data.baselines[name]["mse"], data.mse[model]
    if all(v < line for v in values):
        return "below"
    if all(v > line for v in values):
        return "above"
    return None


def dataset_reading(data: Dataset) -> list[str]:
    said = []
    baseline, _ = best_baseline(data)
    baseline_text = "; ".join(
        f"{WORDS.get(n, n)} {number(b['mse'])}" for n, b in data.baselines.items()
    )
    said.append(
        f"On {data.name} ({data.context} steps of context, {data.horizon} ahead) the "
        f"baselines' test MSE (normalised scale) is: {baseline_text}; the best is "
        f"{WORDS.get(baseline, baseline)}."
    )
    short = [m for m in data.mse if m not in settled(data)]
    if short:
        said.append(
            f"{names(sorted(short))} finished fewer than {SEEDS} seeds, so no verdict is "
            "drawn for them against the baselines or each other."
        )
    ready = settled(data)
    if not ready:
        return said
    beat = [m for m in ready if _versus_baseline(data, m, baseline) == "below"]
    lost = [m for m in ready if _versus_baseline(data, m, baseline) == "above"]
    if beat:
        said.append(f"Below the best baseline on every seed: {names(beat)}.")
    if lost:
        said.append(f"Above the best baseline on every seed: {names(lost)}.")
    if "linear" in data.baselines:
        recurrent = [m for m in ready if m in RECURRENT]
        if recurrent and all(_versus_baseline(data, m, "linear") == "above" for m in recurrent):
            everyone = all(_versus_baseline(data, m, "linear") == "above" for m in ready)
            what = "every model measured" if everyone else "every recurrent model measured"
            said.append(
                f"A linear model beats {what} here: its test MSE "
                f"{number(data.baselines['linear']['mse'])} is below every seed of "
                f"{names(recurrent if not everyone else ready)} (as Zeng et al. 2023 found "
                "against Transformer forecasters)."
            )
    said += _ranking(data, ready)
    return said


def _ranking(data: Dataset, ready: list[str]) -> list[str]:
    """The best model, only when its worst seed is below every other model's best seed."""
    if len(ready) < 2:
        return []
    if learning := [m for m in ready if m in data.unsettled]:
        return [unsettled_words(data.name, learning)]
    order = sorted(ready, key=lambda m: statistics.fmean(data.mse[m]))
    first, rest = order[0], order[1:]
    if max(data.mse[first]) < min(min(data.mse[m]) for m in rest):
        return [f"{first} has the lowest test MSE, every seed below every other model's."]
    return ["No model's test MSE is below every other model's on every seed."]


def windows_note(data: Dataset) -> list[str]:
    """Said when a run scored fewer test windows than the baselines (a limited test budget)."""
    short = sorted(
        {m for m, ws in data.windows.items() if any(w != data.baseline_windows for w in ws)}
    )
    if not short or data.baseline_windows is None:
        return []
    return [
        f"{names(short)} scored fewer test windows than the baselines' "
        f"{data.baseline_windows} (budget.test_batches below 1): their numbers are not on "
        "exactly the same windows."
    ]


def forecast_reading(datasets: dict[str, Dataset]) -> list[str]:
    said = []
    for name in sorted(datasets):
        said += dataset_reading(datasets[name]) + windows_note(datasets[name])
    return said
