"""The cost lesson's sentences: what was measured and how, from the file's own record, and
whether attention's exponents are measurably steeper than every recurrent model's; they say
only what the exponents show."""

import math

from seqbench.lessons.cost.measure import exponent_text
from seqbench.lessons.streaming.reading import streams_with_cache

MARGIN = 0.1  # an exponent difference smaller than this is not worth a sentence


FUSED = (
    " A fused attention kernel, such as the scaled_dot_product_attention the Transformer "
    "calls, need not keep the T×T attention weights for the backward pass."
)


def steeper(fit: dict | None, other: dict | None) -> bool | None:
    """Whether ``fit``'s exponent is measurably larger than ``other``'s: by more than twice
    their combined standard error and by at least MARGIN. None when either lacks an error
    estimate (fitted through two points) or is missing: then nothing can be said."""
    if not fit or not other or fit.get("stderr") is None or other.get("stderr") is None:
        return None
    gap = fit["exponent"] - other["exponent"]
    return gap > max(MARGIN, 2 * math.hypot(fit["stderr"], other["stderr"]))


def verdict(kind: str, fits: dict[str, dict]) -> str:
    """One sentence per attention model: does its ``kind`` ("time" or "memory") exponent
    exceed every recurrent model's, measurably? Empty without both kinds of model."""
    attending = [m for m in fits if streams_with_cache(m)]
    recurrent = {m: f[kind] for m, f in fits.items() if m not in attending and f.get(kind)}
    said = [
        _verdict(kind, model if len(attending) > 1 else "attention", fits[model][kind], recurrent)
        for model in attending
        if recurrent and fits[model].get(kind)
    ]
    level = kind == "memory" and any("not measurably larger" in s for s in said)
    return " ".join(said) + (FUSED if level else "")


def _verdict(kind: str, who: str, attention: dict, recurrent: dict[str, dict]) -> str:
    """``who``: "attention" (one attention model) or the model's name, kept as it is spelt."""
    what = {"time": "step time", "memory": "memory"}[kind]
    others = ", ".join(f"{m} {exponent_text(f)}" for m, f in recurrent.items())
    judged = [steeper(attention, f) for f in recurrent.values()]
    mine = f"{who}'s {what} exponent {exponent_text(attention)}"
    if any(j is None for j in judged):
        return (
            f"The {what} exponents ({mine}; {others}) come from two lengths and carry no "
            "error estimate, so they are not compared; fit over more lengths to compare them."
        )
    mine = (
        f"The {what} exponent of {who}, {exponent_text(attention)},"
        if who != "attention"
        else (mine[0].upper() + mine[1:])
    )
    if all(judged):
        return (
            f"{mine} is measurably larger than every recurrent model's ({others}): "
            f"{who}'s {what} grows faster with T."
        )
    level = [m for m, j in zip(recurrent, judged, strict=True) if not j]
    return (
        f"{mine} is not measurably larger than that of {', '.join(level)} ({others}): over "
        f"these lengths the measurements do not show {who}'s {what} growing faster."
    )


def setting(found: dict) -> str:
    """What was measured and how, from the file's own record of it."""
    threads = found.get("threads")
    where = found.get("device", "cpu") + (f", {_count(threads, 'thread')}" if threads else "")
    return (
        f"Each model, sized to the same parameter budget as in training, takes full training "
        f"steps ({found.get('step', 'forward, backward, optimiser update')}) on a batch of "
        f"{found.get('batch_size', '?')} sensor windows of T steps ({where}); a step's time is "
        f"the median of {_count(found.get('timed_steps'), 'timed step')} after "
        f"{_count(found.get('warmup_steps'), 'warm-up step')}. "
        f"Memory: {found.get('memory_measure', 'as recorded')}."
    )


def _count(n: object, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
