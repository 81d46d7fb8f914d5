"""How numbers read on a page: one format for every table, reading and figure label,
so the same value never shows two ways on one page (the comparison and every lesson)."""

MISSING = "–"


def number(value: float | None) -> str:
    """Three decimals in the everyday range, three significant digits outside it."""
    if value is None:
        return MISSING
    return f"{value:.3f}" if value == 0 or 0.001 <= abs(value) < 1000 else f"{value:.3g}"


def spread(mean: float, std: float | None) -> str:
    """ "0.512 ± 0.021", or just the mean where there is no spread (one seed)."""
    return number(mean) + (f" ± {number(std)}" if std is not None else "")


def over_seeds(values: list[float], note: str = "") -> str:
    """ "0.512 ± 0.021 (n=3)": mean, sample std and seed count of one cell; a note joins n."""
    import statistics

    if not values:
        return MISSING
    std = statistics.stdev(values) if len(values) > 1 else None
    return f"{spread(statistics.fmean(values), std)} (n={len(values)}{note})"


def seconds(value: float | None) -> str:
    """Durations in the unit a person would say: seconds, minutes or hours."""
    if value is None:
        return MISSING
    if value < 120:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min" if value < 7200 else f"{value / 3600:.1f} h"


def count(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.0f}"


def names(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
