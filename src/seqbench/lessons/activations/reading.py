"""The activation lesson's sentences: per model how often the gradient norm exceeded the clip
threshold, then whether tanh exploded least, as the textbook expects."""

from seqbench.page.formats import MISSING, names, number


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
