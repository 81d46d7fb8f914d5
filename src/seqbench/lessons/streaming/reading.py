"""The streaming lesson's sentences: the textbook's expectation (an RNN's step costs the same
at any position, a Transformer's state grows with it), what was measured and how, and
whether they agree."""

import math
import statistics
from itertools import pairwise

from seqbench.models import BACKBONES
from seqbench.page.formats import names, number

SAME_COST = 1.25  # per-step latency within this factor from first to last position: "constant"


LINEAR_STATE = 1.05  # bytes added per position within 5 % along the stream: "linear"


STREAMING_EXPECTED = (
    "A Streamer feeds one step at a time and keeps state. An RNN's hidden state has a fixed "
    "size, so the textbook expects each step to cost the same at any position; a "
    "Transformer keeps every past key and value, so its state should grow linearly with the "
    "position and each step attend over all of it. Outputs equal the full forward pass "
    "(tested)."
)


def streams_with_cache(variant: str) -> bool:
    """Whether the model a lesson row names keeps a cache that grows (a KV cache)."""
    backbone = BACKBONES.get(variant.partition("/")[0])
    return backbone.streams_with_cache if backbone is not None else variant == "transformer"


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
        attends = streams_with_cache(model)
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
