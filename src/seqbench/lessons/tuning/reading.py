"""The tuning lesson's sentences, from the numbers only: each model's chosen setting against
the shared one, both rankings, and whether tuning changed the ranking. Whether a winner may
be named is the report's own judgement (seqbench.report.judgement) applied to each ranking
unchanged: every curve flattened and the gap beyond the seed-to-seed variation."""

from itertools import pairwise

from seqbench.lessons.tuning.measure import Tuned
from seqbench.page.formats import names, number
from seqbench.report.formatting import mean_std
from seqbench.report.judgement import Judgement, judge
from seqbench.report.results import DatasetResult


def setting_words(setting: tuple[float, float] | None) -> str:
    if setting is None:
        return "unknown"
    return f"lr={setting[0]:g}, weight decay {setting[1]:g}"


def order(result: DatasetResult) -> str:
    """The ranking as `a > b = c`, best first by the result's own mode."""
    ranked = result.ranked
    if not ranked:
        return "none finished"
    text = ranked[0].model
    for a, b in pairwise(ranked):
        text += f" {'=' if a.mean == b.mean else '>'} {b.model}"
    return text


def _verdict(label: str, verdict: Judgement) -> str:
    if verdict.named:
        return (
            f"{label}: {verdict.named.model} is named the winner (every curve had flattened "
            "and the gap is larger than the seed-to-seed variation)."
        )
    if verdict.runner_up is None:
        return f"{label}: fewer than two models finished, so there is no ranking to judge."
    return f"{label}: no winner is named ({'; '.join(verdict.reasons)})."


def _change(shared: DatasetResult, tuned: DatasetResult, a: Judgement, b: Judgement) -> str:
    """Whether the ranking changed, and what that may be read as under the verdict rules."""
    models = {m.model for m in tuned.ranked} & {m.model for m in shared.ranked}
    before = [m.model for m in shared.ranked if m.model in models]
    after = [m.model for m in tuned.ranked if m.model in models]
    if len(models) < 2:
        return (
            "Fewer than two models finished under both settings: no rankings to set side by side."
        )
    if a.named and b.named and a.named.model != b.named.model:
        return (
            f"The winner changed with tuning, from {a.named.model} (shared setting) to "
            f"{b.named.model} (tuned): the shared ranking was an artefact of one learning rate."
        )
    if before == after:
        same = "The ranking is the same with each model at its own best setting"
        if a.named and b.named:
            return (
                f"{same}, and {a.named.model} wins under both: the result does not hinge on "
                "the learning rate."
            )
        return f"{same} ({' > '.join(after)})."
    moved = [m for m, n in zip(before, after, strict=True) if m != n]
    unnamed = [label for label, v in (("shared", a), ("tuned", b)) if not v.named]
    caveat = (
        f", but no winner is named under the {' or '.join(unnamed)} setting, so the change may "
        "be seed-to-seed noise rather than the learning rate"
        if unnamed
        else ""
    )
    return (
        f"The ranking changed with tuning ({names(sorted(moved))} moved: shared "
        f"{' > '.join(before)}, tuned {' > '.join(after)}){caveat}."
    )


def model_lines(shared: DatasetResult | None, tuned: DatasetResult, cells: dict[str, Tuned],
                shared_settings: dict[str, tuple[float, float] | None]) -> list[str]:  # fmt: skip
    """Per model: the setting chosen, the shared one, and the test metric under each."""
    lines = []
    before = {m.model: m for m in (shared.models if shared else [])}
    for model in tuned.models:
        cell = cells.get(model.model)
        chosen = setting_words(cell.chosen if cell else None)
        was = setting_words(shared_settings.get(model.model))
        text = f"{model.model}: chose {chosen} (shared: {was})"
        text += f"; {tuned.label()} {mean_std(model)} tuned (n={model.n})"
        if (old := before.get(model.model)) and old.mean is not None and model.mean is not None:
            gained = old.mean - model.mean if tuned.mode == "min" else model.mean - old.mean
            word = "better" if gained > 0 else "worse" if gained < 0 else "no different"
            text += f" against {mean_std(old)} shared (n={old.n}): {number(abs(gained))} {word}"
        lines.append(text + ".")
    return lines


def tuning_reading(
    shared: DatasetResult | None,
    tuned: DatasetResult,
    cells: dict[str, Tuned],
    shared_settings: dict[str, tuple[float, float] | None],
) -> list[str]:
    """Every sentence of one dataset's tuning section, from its two results."""
    lines = model_lines(shared, tuned, cells, shared_settings)
    b = judge(tuned)
    lines.append(f"Tuned order ({tuned.label()}, {tuned.better}): {order(tuned)}.")
    if shared is None:
        lines.append(
            "The comparison has no runs of these models on this dataset at the shared setting."
        )
        return [*lines, _verdict("Tuned", b)]
    a = judge(shared)
    lines.insert(len(lines) - 1, f"Shared-setting order: {order(shared)}.")
    lines += [_verdict("Shared setting", a), _verdict("Tuned", b), _change(shared, tuned, a, b)]
    return lines


def caveats(cells: dict[str, Tuned]) -> list[str]:
    """The tune seed inside the comparison seeds, and grid runs that failed."""
    lines = []
    overlap = sorted(
        {(c.choice or {}).get("tune_seed") for c in cells.values()}
        & {s for c in cells.values() for s in (c.choice or {}).get("seeds") or []}
    )
    if overlap:
        lines.append(
            f"Seed {', '.join(map(str, overlap))} was also the tune seed: that seed's tuned run "
            "was trained afresh but repeats the grid run it was chosen on, so the tuned mean "
            "carries some of the choice's optimism."
        )
    failed = [
        f"{c.model} {f}" for c in cells.values() for f in (c.choice or {}).get("failed") or []
    ]
    if failed:
        lines.append(f"Grid runs that failed (never chosen): {'; '.join(failed)}.")
    missing = [c.model for c in cells.values() if c.chosen is None]
    if missing:
        lines.append(f"No readable choice.json for {names(missing)}.")
    return lines
