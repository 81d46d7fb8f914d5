"""`seqbench report RUNS_DIR`: collect the runs, then write comparison.html and .md."""

import datetime
import json
from pathlib import Path

from seqbench.errors import SeqbenchError
from seqbench.lessons import registry
from seqbench.report import output, reference
from seqbench.report.collect import find_runs, summarise
from seqbench.report.html import render_html
from seqbench.report.judgement import judge
from seqbench.report.markdown import render_markdown
from seqbench.report.page import build_page
from seqbench.report.results import DatasetResult
from seqbench.report.verdicts import leader

HTML_NAME, MARKDOWN_NAME = "comparison.html", "comparison.md"


def headline(results: list[DatasetResult]) -> list[dict]:
    """One row per (dataset, model): the numbers of the results tables, for callers."""
    rows = []
    for result in results:
        best, named = leader(result), judge(result).named
        for model in result.models:
            rows.append(
                {
                    "data": result.data,
                    "model": model.model,
                    "metric": result.metric,
                    "mode": result.mode,
                    "mean": model.mean,
                    "std": model.std,
                    "seeds": model.n,
                    "failed": len(model.failed),
                    "num_parameters": model.num_parameters,
                    "train_seconds": model.average("train_seconds"),
                    "throughput_tokens_per_s": model.average("throughput_tokens_per_s"),
                    "baseline": result.baseline if result.baseline_applies else None,
                    "leader": model is best,
                    "named_winner": model is named,
                }
            )
    return rows


def write_report(
    runs_dir: Path, out_dir: Path, raw_dir: Path, lessons_dir: Path | None = None
) -> dict:
    """Write comparison.html and comparison.md for every run under runs_dir.

    raw_dir is where each dataset's provenance.json is looked up (then the raw_dir each
    run's config names); out_dir/reference/full.json, where present, is the full-budget
    reference the rankings are compared with. Writes comparison.json (the rankings) beside
    the pages. Returns the paths written, run counts, the named winner per dataset (None
    where the verdict names none) and the headline rows. Raises SeqbenchError when runs_dir
    holds no run, or when out_dir holds a file of the report's names that no report wrote
    (report/output.py: a report replaces only its own files, all three or none).
    """
    runs_dir, out_dir = Path(runs_dir), Path(out_dir)
    if not runs_dir.is_dir():
        raise SeqbenchError(f"{runs_dir} is not a directory; give the folder seqbench-train wrote")
    output.check_out_dir(out_dir, [HTML_NAME, MARKDOWN_NAME, reference.JSON_NAME])
    runs = find_runs(runs_dir)
    if not runs:
        raise SeqbenchError(
            f"no runs under {runs_dir}: found no metrics.json at any depth; train first "
            "(seqbench-train ...) or give the runs/ (DVC), outputs/ (by hand) or multirun/ folder"
        )
    results = summarise(
        [run for run in runs if not run.metrics.get("study")], Path(raw_dir) if raw_dir else None
    )
    lessons_dir = Path(lessons_dir) if lessons_dir else out_dir / "lessons"
    sections = registry.sections(runs, lessons_dir)  # every lesson's, seqbench/lessons/*/
    generated = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    html_path, markdown_path = out_dir / HTML_NAME, out_dir / MARKDOWN_NAME
    json_path, reference_path = out_dir / reference.JSON_NAME, out_dir / reference.REFERENCE
    stored, why = reference.load(reference_path)
    held = (stored, reference.note(reference_path, stored, why))
    page = build_page(results, runs_dir, generated, sections, held)
    rankings = {"generator": output.GENERATOR} | reference.summary(results, generated)
    output.write_all(
        out_dir,
        {
            HTML_NAME: render_html(page),
            MARKDOWN_NAME: render_markdown(page),
            reference.JSON_NAME: json.dumps(rankings, indent=2) + "\n",
        },
    )
    winners = {r.data: (w.model if (w := judge(r).named) else None) for r in results}
    return {
        "html": html_path,
        "markdown": markdown_path,
        "json": json_path,
        "reference": stored is not None,
        "runs": len(runs),
        "finished": sum(run.ok for run in runs),
        "failed": [
            {
                "path": str(run.path),
                "data": run.data,
                "model": run.model,
                "seed": run.seed,
                "status": run.status,
                "reason": run.reason,
            }
            for run in runs
            if not run.ok
        ],
        "datasets": [r.data for r in results],
        "winners": winners,
        "rows": headline(results),
        "lessons": [section.key for section in sections],
    }
