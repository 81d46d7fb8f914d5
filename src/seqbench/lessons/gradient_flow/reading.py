"""The gradient-flow lesson's sentences, generated from the profiles they sit beside: the
textbook's expectation is stated as an expectation, then what was measured, then whether the
measurement agrees. A made-up result where the textbook is wrong must read as such."""

import math
import statistics

from seqbench.lessons.gradient_flow.measure import slope
from seqbench.page.formats import MISSING

STRAIGHT_R2 = 0.9  # a log-scale profile this well fitted by a line "falls as a straight line"


FLAT_FACTOR = 2.0  # a fitted change under 2x across every measured distance is "flat"


Profile = list[tuple[float, float]]  # (distance from the loss, gradient norm)


def fit(profile: Profile) -> tuple[float, float, float] | None:
    """(decades per step, R² of the line on log10 norms, distances spanned); None when fewer
    than two norms are positive."""
    points = [(d, math.log10(n)) for d, n in profile if d > 0 and n > 0]
    value = slope(dict(profile))
    if value is None or len(points) < 2:
        return None
    mean_v = statistics.fmean(v for _, v in points)
    mean_d = statistics.fmean(d for d, _ in points)
    total = sum((v - mean_v) ** 2 for _, v in points)
    residual = sum((v - mean_v - value * (d - mean_d)) ** 2 for d, v in points)
    r2 = 1 - residual / total if total > 0 else 1.0
    return value, r2, max(d for d, _ in points) - min(d for d, _ in points)


def shape(profile: Profile) -> str:
    """How the profile looks on the log scale, by the rules above."""
    found = fit(profile)
    if found is None:
        return "vanished below float range"
    value, r2, span = found
    if abs(value) * span < math.log10(FLAT_FACTOR):
        return "flat"
    if value > 0:
        return "rises"
    return "falls as a straight line" if r2 >= STRAIGHT_R2 else "falls, not as a straight line"


def _described(profile: Profile) -> str:
    found = fit(profile)
    if found is None:
        return shape(profile)
    return f"{shape(profile)} (×10^{10 * found[0]:+.2f} / 10 steps, R² {found[1]:.2f})"


GRADIENT_EXPECTED = (
    "The loss sits on the last step; each curve shows how strongly it reaches the state t "
    "steps earlier. The textbook expects a vanilla RNN's curve to fall as a straight line on "
    "the log scale (its recurrent Jacobian multiplies in at every step: vanishing gradients), "
    "the LSTM's and GRU's to fall more slowly (the cell state and the update gate keep a "
    "near-identity path open), and the Transformer's to be flat (attention reaches every "
    "position directly). "
    f"Read here: flat when the fitted change across all distances is under {FLAT_FACTOR:g}x, "
    f"a straight line when the fit on the log scale has R² >= {STRAIGHT_R2}."
)


def _against_textbook(profiles: dict[str, Profile]) -> str:
    differs = []
    rnn = profiles.get("rnn")
    if rnn is not None and not shape(rnn).startswith(("falls as a straight", "vanished")):
        differs.append(f"rnn {shape(rnn)}")
    if "transformer" in profiles and shape(profiles["transformer"]) != "flat":
        differs.append(f"transformer is not flat ({shape(profiles['transformer'])})")
    rnn_fit = fit(rnn) if rnn is not None else None
    for gated in ("lstm", "gru"):
        found = fit(profiles[gated]) if gated in profiles else None
        if rnn_fit and found and found[0] <= rnn_fit[0]:
            differs.append(f"{gated} decays no more slowly than rnn")
    if not differs:
        return "as the textbook expects"
    return "not as the textbook expects: " + "; ".join(differs)


def gradient_reading(panels: dict[str, dict[str, Profile]]) -> list[str]:
    """The expectation, then per panel what each trained profile shows and whether it agrees."""
    lines = [GRADIENT_EXPECTED]
    for name, profiles in panels.items():
        found = "; ".join(f"{model} {_described(p)}" for model, p in profiles.items())
        lines.append(f"After training, {name}: {found}; {_against_textbook(profiles)}.")
    return lines


def slope_text(profile: list[tuple[float, float]] | None) -> str:
    """The fitted decay as "×10^k per 10 steps"; "vanished" when nothing is left to fit."""
    value = slope(dict(profile)) if profile else None
    if value is None:
        return "vanished" if profile else MISSING
    return f"×10^{10 * value:+.2f} / 10 steps"
