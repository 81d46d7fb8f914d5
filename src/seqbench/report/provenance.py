"""What a reader needs to check a comparison's fairness and reproduce it: each run's
configuration (what all runs share, what each sets differently) and where the data came from."""

from pathlib import Path

from seqbench.report.results import Run

HIDDEN_CONFIG = ("paths.", "hydra.", "print_config", "overwrite", "ckpt_path")
SAME_AS_SHARED = "(same as shared)"


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


def settings_text(settings: dict[str, str]) -> str:
    """One run's own settings on one line ("model.name=gru, seed=1")."""
    return ", ".join(f"{k}={v}" for k, v in settings.items()) or SAME_AS_SHARED


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
        length = f", T={source['length']}" if "length" in source else ""  # parity has none
        return f"generated, seed {source.get('seed')}{length}"
    return ", ".join(f"{k} {v}" for k, v in source.items() if k != "type") or "–"


def provenance_rows(provenance: dict | None) -> list[tuple[str, str]]:
    """(field, value) pairs: source, revision, content hash, split rule, rows, licence."""
    if not provenance:
        return [("provenance", "not found: no provenance.json for this dataset in the raw dir")]
    if provenance.get("problem"):
        return [("provenance", f"does not verify: {provenance['problem']}")]
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


def where(run: Run, base: Path | None) -> str:
    """A run's directory relative to the runs folder when it lies inside it (shorter)."""
    try:
        return str(run.path.resolve().relative_to(base.resolve())) if base else str(run.path)
    except ValueError:
        return str(run.path)
