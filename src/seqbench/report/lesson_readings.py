"""The lessons' sentences about results, generated from the numbers they sit beside: the
textbook's expectation is stated as an expectation, then what was measured, then whether the
measurement agrees. A made-up result where the textbook is wrong must read as such."""

import math
import statistics
from itertools import pairwise

from seqbench.lessons.gradient_flow import slope
from seqbench.report.formatting import MISSING, names, number

STRAIGHT_R2 = 0.9  # a log-scale profile this well fitted by a line "falls as a straight line"
FLAT_FACTOR = 2.0  # a fitted change under 2x across every measured distance is "flat"
SAME_COST = 1.25  # per-step latency within this factor from first to last position: "constant"
LINEAR_STATE = 1.05  # bytes added per position within 5 % along the stream: "linear"
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


STREAMING_EXPECTED = (
    "A Streamer feeds one step at a time and keeps state. An RNN's hidden state has a fixed "
    "size, so the textbook expects each step to cost the same at any position; a "
    "Transformer keeps every past key and value, so its state should grow linearly with the "
    "position and each step attend over all of it. Outputs equal the full forward pass "
    "(tested)."
)


def _ends(values: list[float]) -> tuple[float, float]:
    """Medians of the first and last three kept positions (one position alone is noisy)."""
    return statistics.median(values[:3]), statistics.median(values[-3:])


def _state(rows: list[dict]) -> str:
    sizes = [(r["position"], r["state_bytes"]) for r in rows]
    if sizes[0][1] == sizes[-1][1]:
        return f"state constant at {sizes[0][1]:,} bytes"
    steps = [(b1 - b0) / (p1 - p0) for (p0, b0), (p1, b1) in pairwise(sizes)]
    linear = min(steps) > 0 and max(steps) / min(steps) <= LINEAR_STATE
    words = "grows linearly" if linear else "grows, not linearly"
    return f"state {words} ({sizes[0][1]:,} → {sizes[-1][1]:,} bytes)"


def streaming_reading(found: dict) -> list[str]:
    """What each model's latency and state did along the stream, with how it was measured
    (threads, device, the median window) as recorded, and whether it agrees."""
    rows = found["rows"]
    window = rows[0].get("window")
    how = [
        f"device {found.get('device', 'not recorded')}",
        "batch 1",
        f"{found['threads']} CPU thread(s)" if found.get("threads") else "threads not recorded",
        f"each latency the median of {window} steps" if window else "median window not recorded",
    ]
    parts, differs = [], []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        first, last = _ends([r["latency_ms"] for r in mine])
        ratio = last / first if first else math.inf
        constant = 1 / SAME_COST <= ratio <= SAME_COST
        state = _state(mine)
        parts.append(
            f"{model} {number(first)} → {number(last)} ms per step (×{number(ratio)}, "
            f"{'about constant' if constant else 'not constant'}), {state}"
        )
        attends = model == "transformer"
        if not attends and not (constant and state.startswith("state constant")):
            differs.append(f"{model}'s cost or state is not constant")
        if attends and "grows linearly" not in state:
            differs.append(f"{model}'s state does not grow linearly")
    verdict = "as the textbook expects" if not differs else "not as expected: " + names(differs)
    measured = f"Measured ({', '.join(how)}; first and last three positions): "
    return [STREAMING_EXPECTED, measured + "; ".join(parts) + f"; {verdict}."]


def streaming_caption(found: dict) -> str:
    window = found["rows"][0].get("window")
    median = f"median of {window} steps" if window else "median over a few steps"
    return f"Per-step latency ({median}) and state memory against the position in the stream."


def activation_reading(data: str, rows: list[dict]) -> str:
    """Per model the largest share of steps whose gradient norm exceeded the clip threshold
    (over clipping on and off) and the largest norm, then whether tanh exploded least."""
    shares: dict[str, list[float]] = {}
    norms: dict[str, list[float]] = {}
    for row in rows:
        if isinstance(row.get("exploded_share"), int | float):
            shares.setdefault(row["model"], []).append(row["exploded_share"])
        if isinstance(row.get("max_grad_norm"), int | float):
            norms.setdefault(row["model"], []).append(row["max_grad_norm"])
    if not shares:
        return f"{data}: no run recorded its gradient counts."
    most = {model: max(values) for model, values in shares.items()}
    parts = [
        f"{model} up to {share:.0%} of steps (max ‖g‖ "
        f"{number(max(norms[model])) if model in norms else MISSING})"
        for model, share in most.items()
    ]
    others = [m for m in most if m != "rnn"]
    if "rnn" not in most or not others:
        verdict = ""
    elif all(most["rnn"] <= most[m] for m in others):
        verdict = "; tanh (rnn) exceeded it least, as the textbook expects"
    else:
        beaten = names([m for m in others if most[m] < most["rnn"]])
        verdict = f"; not as the textbook expects: tanh (rnn) exceeded it more often than {beaten}"
    measured = f"Measured, {data}: gradient norm above the clip threshold on {'; '.join(parts)}"
    return measured + verdict + "."
