"""The exposure-bias lesson's sentences: what teacher forcing and free-running generation
are, then how far each model's own text drifts from real text, beyond sampling noise."""

from seqbench.page.formats import number

EXPECTED = (
    "Training feeds the true previous character (teacher forcing); generation feeds "
    "the model its own samples, so its mistakes become its inputs (exposure bias). "
    "From the same validation prompts, each model continues the text freely at "
    "temperature 1; its loss on its own continuation is set against its loss on the "
    "real one, and the character statistics of what it wrote are compared with the "
    "validation text by Jensen-Shannon divergence (0 = identical; the noise floor is "
    "real text of the same size)."
)


def bias_reading(models: dict[str, dict]) -> str:
    """How far each model's free-running text drifts from real text, beyond sampling noise."""
    parts = []
    for name, v in models.items():
        drift, floor = v.get("js_bigram_bits"), v.get("floor_js_bigram_bits")
        if isinstance(drift, int | float) and isinstance(floor, int | float):
            parts.append(
                f"{name} {number(drift)} bits ({number(drift / floor if floor else None)}"
                "x the noise floor)"
            )
    return ("Bigram drift of free-running text: " + "; ".join(parts) + ".") if parts else ""
