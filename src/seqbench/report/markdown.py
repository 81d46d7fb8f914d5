"""The report as Markdown, and the words both renderings share: number formats, the
generated reading of each dataset's result, run configurations and data provenance.

Every sentence of the reading is computed from the numbers, so it cannot drift from the
tables: who won, by how much, against the trivial baseline, and whether the spread across
seeds is small enough for the gap to mean anything.
"""

from itertools import pairwise
from pathlib import Path

from seqbench.report.results import DatasetResult, ModelResult, Run, metric_words

KIND_WORDS = {
    "text": "character language model",
    "sensor": "sequence classification",
    "adding": "adding problem (regression)",
    "copy": "copy memory",
}
HIDDEN_CONFIG = ("paths.", "hydra.", "print_config", "overwrite", "ckpt_path")


# --- numbers ------------------------------------------------------------------------------
def number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if value == 0 or 0.001 <= abs(value) < 1000 else f"{value:.3g}"


def mean_std(model: ModelResult) -> str:
    """Mean ± std ("0.512 ± 0.021") over several seeds, the value for one, "failed" for none."""
    if model.mean is None:
        return "failed"
    return number(model.mean) + (f" ± {number(model.std)}" if model.std is not None else "")


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 120:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min" if value < 7200 else f"{value / 3600:.1f} h"


def count(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def seeds_text(model: ModelResult) -> str:
    failed = len(model.failed)
    return f"{model.n}" + (f" (+{failed} failed)" if failed else "")


# --- the reading --------------------------------------------------------------------------
def _better(a: float, b: float, mode: str) -> bool:
    return a < b if mode == "min" else a > b


def _names(models: list[ModelResult]) -> str:
    names = [m.model for m in models]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _spread(best: ModelResult, second: ModelResult) -> str:
    if best.n < 2 or second.n < 2:
        single = _names([m for m in (best, second) if m.n < 2])
        return (
            f"Single seed ({single}): no spread to judge whether the gap is meaningful; "
            "train more seeds to tell."
        )
    low_best, high_best = best.mean - best.std, best.mean + best.std
    low_second, high_second = second.mean - second.std, second.mean + second.std
    if low_best <= high_second and low_second <= high_best:
        return (
            f"The seed spreads overlap ({best.model} {mean_std(best)} over {best.n} seeds, "
            f"{second.model} {mean_std(second)} over {second.n}), so the gap is within "
            "seed-to-seed variation: not a meaningful difference at this number of seeds."
        )
    return (
        f"The mean ± std ranges do not overlap ({best.n} and {second.n} seeds), so the gap "
        "is larger than the seed-to-seed variation."
    )


def _baseline(result: DatasetResult, ranked: list[ModelResult]) -> str:
    base = result.baseline
    losers = [m for m in ranked if not _better(m.mean, base, result.mode)]
    best = ranked[0]
    if best in losers:
        return f"No model beats the trivial baseline ({number(base)})."
    sentence = (
        f"The trivial baseline scores {number(base)}; {best.model} beats it by "
        f"{number(abs(best.mean - base))}."
    )
    if losers:
        verb = "does" if len(losers) == 1 else "do"
        sentence += f" {_names(losers)} {verb} not beat it."
    return sentence


def _failures(result: DatasetResult) -> str:
    failed = [run for run in result.runs if not run.ok]
    if not failed:
        return ""
    first = failed[0]
    reason = first.reason if len(first.reason) <= 140 else first.reason[:137] + "..."
    more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
    return (
        f"{len(failed)} of {len(result.runs)} runs did not finish and are left out of the "
        f"averages ({first.model} seed {first.seed}: {reason}{more})."
    )


def reading(result: DatasetResult) -> list[str]:
    """Plain sentences that read the result of one dataset."""
    ranked = result.ranked
    words = f"test {metric_words(result.monitor, result.kind)}"
    failures = _failures(result)
    if not ranked:
        return [f"No model finished on {result.data}, so there is nothing to compare.", failures]
    best = ranked[0]
    if len(ranked) == 1:
        sentences = [
            f"{best.model} is the only model that finished on {result.data} "
            f"({words} {mean_std(best)})."
        ]
        if best.n < 2:
            sentences.append("Single seed: no spread to judge.")
    else:
        second = ranked[1]
        gap = abs(best.mean - second.mean)
        relative = f" ({gap / abs(second.mean):.1%} relative)" if second.mean else ""
        if gap == 0:
            lead = f"{best.model} and {second.model} tie on {result.data} ({words} "
            lead += f"{number(best.mean)})."
        else:
            lead = (
                f"{best.model} wins on {result.data} with {words} {mean_std(best)}, ahead of "
                f"{second.model} ({mean_std(second)}) by {number(gap)}{relative}; {result.better}."
            )
        order = ranked[0].model + "".join(
            f" {'=' if b.mean == a.mean else '>'} {b.model}" for a, b in pairwise(ranked)
        )
        sentences = [lead, f"Ranking: {order}.", _spread(best, second)]
    if result.baseline_applies:
        sentences.insert(1, _baseline(result, ranked))
    return [s for s in [*sentences, failures] if s]


def winner(result: DatasetResult) -> ModelResult | None:
    return result.ranked[0] if result.ranked else None


# --- configuration and provenance ---------------------------------------------------------
def flatten(config: dict | None, prefix: str = "") -> dict[str, str]:
    """Nested config -> {"model.hidden_size": "68", ...}, lists kept as one value."""
    flat: dict[str, str] = {}
    for key, value in (config or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= flatten(value, f"{name}.")
        else:
            flat[name] = "null" if value is None else str(value)
    return flat


def _settings(run: Run) -> dict[str, str]:
    """A run's flat config without machine-specific values: paths, and anything under its
    run directory (logger and checkpoint folders), which differ for every run by design."""
    flat = flatten(run.config)
    run_dir = flat.get("paths.run_dir") or "\0"
    return {k: v for k, v in flat.items() if not k.startswith(HIDDEN_CONFIG) and run_dir not in v}


def config_split(runs: list[Run]) -> tuple[dict[str, str], dict[Run, dict[str, str]]]:
    """Settings every run shares, and what each run sets differently (machine paths left out).

    Most keys are equal across one dataset's runs; showing the differences per run is what
    makes the comparison's fairness checkable at a glance.
    """
    flats = {run: _settings(run) for run in runs if run.config}
    if not flats:
        return {}, {}
    keys = sorted({k for flat in flats.values() for k in flat})
    shared = {}
    for key in keys:
        values = {flat.get(key) for flat in flats.values()}
        if len(values) == 1 and None not in values:
            shared[key] = values.pop()
    differs = {
        run: {k: v for k, v in flat.items() if k not in shared} for run, flat in flats.items()
    }
    return shared, differs


def revision(provenance: dict) -> str:
    """The dataset version: a Hub revision and commit, a package version or a generator seed."""
    source = provenance.get("source") or {}
    kind = source.get("type")
    if kind == "hub":
        sha = source.get("sha")
        return f"{source.get('revision')}" + (f" (commit {sha})" if sha else "")
    if kind == "package":
        return f"{source.get('package')} {source.get('version')}"
    if kind == "synthetic":
        return f"generated, seed {source.get('seed')}, T={source.get('length')}"
    return ", ".join(f"{k} {v}" for k, v in source.items() if k != "type") or "–"


def provenance_rows(provenance: dict | None) -> list[tuple[str, str]]:
    if not provenance:
        return [("provenance", "not found: no provenance.json for this dataset in the raw dir")]
    source = provenance.get("source") or {}
    where = source.get("repo") or source.get("package") or source.get("task") or "?"
    rows = provenance.get("rows") or {}
    return [
        ("source", f"{source.get('type', '?')}: {where}"),
        ("revision", revision(provenance)),
        ("content hash", str(provenance.get("content_hash", "–"))),
        ("split rule", str(provenance.get("split_rule", "–"))),
        ("rows", ", ".join(f"{split} {n}" for split, n in rows.items()) or "–"),
        ("licence", str(provenance.get("licence", "–"))),
    ]


def run_label(run: Run) -> str:
    return f"{run.model} seed {run.seed}"


# --- the Markdown document ----------------------------------------------------------------
def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def results_rows(result: DatasetResult) -> list[list[str]]:
    """The headline table of one dataset (the same rows in both renderings)."""
    rows = []
    best = winner(result)
    for model in result.models:
        status = "ok" if not model.failed else f"{len(model.failed)} failed"
        if model.mean is None:
            status = "failed"
        name = model.model + (" (best)" if model is best and len(result.ranked) > 1 else "")
        rows.append(
            [
                name,
                mean_std(model),
                seeds_text(model),
                count(model.num_parameters),
                seconds(model.average("train_seconds")),
                count(model.average("throughput_tokens_per_s")),
                status,
            ]
        )
    return rows


def results_header(result: DatasetResult) -> list[str]:
    return [
        "model",
        f"{result.label('test')} (mean ± std)",
        "seeds",
        "parameters",
        "training time",
        "throughput (time steps/s)",
        "status",
    ]


def where(run: Run, base: Path | None) -> str:
    """A run's directory relative to the runs folder when it lies inside it (shorter)."""
    try:
        return str(run.path.resolve().relative_to(base.resolve())) if base else str(run.path)
    except ValueError:
        return str(run.path)


def run_rows(result: DatasetResult, base: Path | None = None) -> list[list[str]]:
    rows = []
    for run in result.runs:
        best_val = run.metrics.get("best_val")
        rows.append(
            [
                run.model,
                str(run.seed),
                run.status,
                number(run.score),
                number(best_val) if isinstance(best_val, int | float) else "–",
                str(run.metrics.get("steps", "–")),
                seconds(run.metrics.get("train_seconds")),
                run.reason or where(run, base),
            ]
        )
    return rows


RUN_HEADER = ["model", "seed", "status", "test", "best val", "steps", "time", "directory or reason"]


def summary_rows(results: list[DatasetResult]) -> list[list[str]]:
    rows = []
    for result in results:
        ranked = result.ranked
        best = ranked[0] if ranked else None
        second = ranked[1] if len(ranked) > 1 else None
        gap = number(abs(best.mean - second.mean)) if best and second else "–"
        rows.append(
            [
                result.data,
                f"{result.label('test')}, {result.better}",
                f"{best.model} ({mean_std(best)})" if best else "none finished",
                f"{second.model} ({mean_std(second)})" if second else "–",
                gap,
                number(result.baseline) if result.baseline_applies else "–",
            ]
        )
    return rows


SUMMARY_HEADER = ["dataset", "main metric", "winner", "runner-up", "gap", "trivial baseline"]


def lesson_markdown(section) -> list[str]:
    """A lesson section (seqbench.report.lessons.Section); its figures are in the HTML."""
    lines = [f"## {section.title}", "", *(f"{line}\n" for line in section.reading if line)]
    for caption, header, rows in section.tables:
        lines += ([f"**{caption}**", ""] if caption else []) + _table(header, rows)
    for label, text in section.samples:
        lines += [f"**{label}**", "", "```text", text, "```", ""]
    return lines


def render_markdown(
    results: list[DatasetResult], runs_dir: Path, generated: str, lessons: list = ()
) -> str:
    runs = [run for result in results for run in result.runs]
    good = sum(run.ok for run in runs)
    lines = [
        "# seqbench: model comparison",
        "",
        f"Runs from `{runs_dir}`: {len(runs)} runs, {good} finished, {len(runs) - good} "
        f"failed or unfinished. Generated {generated}. Learning curves and bar charts are in "
        "`comparison.html`.",
        "",
        "## Summary",
        "",
        *_table(SUMMARY_HEADER, summary_rows(results)),
    ]
    for result in results:
        kind = KIND_WORDS.get(result.kind, result.kind or "task")
        baseline = [["trivial baseline", number(result.baseline), "", "", "", "", ""]]
        lines += [
            f"## {result.data}",
            "",
            f"*{kind}; main metric: {result.label('test')}, {result.better}.*",
            "",
            " ".join(reading(result)),
            "",
            *_table(
                results_header(result),
                results_rows(result) + (baseline if result.baseline_applies else []),
            ),
            f"### Runs ({result.data})",
            "",
            *_table(RUN_HEADER, run_rows(result, runs_dir)),
            f"### Data provenance ({result.data})",
            "",
            *[f"- **{key}**: {value}" for key, value in provenance_rows(result.provenance)],
            "",
            f"### Configuration ({result.data})",
            "",
            *_config_markdown(result.runs),
        ]
    for section in lessons:
        lines += lesson_markdown(section)
    return "\n".join(lines).rstrip() + "\n"


def _config_markdown(runs: list[Run]) -> list[str]:
    shared, differs = config_split(runs)
    if not shared and not differs:
        return ["No run recorded its configuration.", ""]
    lines = ["Settings that differ between runs:", ""]
    rows = [[run_label(r), ", ".join(f"{k}={v}" for k, v in d.items())] for r, d in differs.items()]
    lines += _table(["run", "settings"], rows)
    lines += ["Settings all runs share:", "", "```", *(f"{k}: {v}" for k, v in shared.items())]
    return [*lines, "```", ""]
