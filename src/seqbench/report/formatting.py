"""How one model's result reads in the comparison's tables and readings (the number
formats themselves are the page kit's: :mod:`seqbench.page.formats`)."""

from seqbench.page.formats import spread
from seqbench.report.results import ModelResult


def mean_std(model: ModelResult) -> str:
    """Mean ± std over a model's seeds, the value for one seed, "failed" for none."""
    return "failed" if model.mean is None else spread(model.mean, model.std)


def seeds_text(model: ModelResult) -> str:
    """Seeds that count, with the failed ones named beside them rather than hidden."""
    failed = len(model.failed)
    return f"{model.n}" + (f" (+{failed} failed)" if failed else "")
