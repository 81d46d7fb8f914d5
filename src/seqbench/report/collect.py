"""Read run directories into records and aggregate them per dataset and model.

A run directory is any folder holding a metrics.json, at any depth, so `runs/`, one dataset's
folder and a Hydra multirun sweep all work. In a sweep, Hydra's job folders hold only
.hydra/ and the log, while metrics.json lands in the job's ``paths.run_dir``; the job's config
leads there. A run that failed, was interrupted or never wrote its results is kept, with its
reason, so it is reported instead of silently dropped or poisoning the averages.
"""

import csv
import json
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import OmegaConf

RESULTS = "metrics.json"
MODEL_ORDER = ("rnn", "lstm", "gru", "transformer")


@dataclass(eq=False)  # identity: runs key dicts, and two runs with equal records differ
class Run:
    """One training run as its directory records it."""

    path: Path
    metrics: dict
    curves: list[dict[str, float]] = field(default_factory=list)
    config: dict | None = None

    @property
    def data(self) -> str:
        return str(self.metrics.get("data", "?"))

    @property
    def model(self) -> str:
        return str(self.metrics.get("model", "?"))

    @property
    def seed(self) -> int | str:
        return self.metrics.get("seed", "?")

    @property
    def monitor(self) -> str:
        return self.metrics.get("monitor") or "val/loss"

    @property
    def metric(self) -> str:
        """The main metric: the test value of the metric that picked the best checkpoint."""
        return "test/" + self.monitor.split("/", 1)[-1]

    @property
    def score(self) -> float | None:
        value = (self.metrics.get("test") or {}).get(self.metric)
        return float(value) if isinstance(value, int | float) else None

    @property
    def ok(self) -> bool:
        """Finished with a finite main metric: the only runs that enter means and winners."""
        return self.metrics.get("status") == "finished" and _finite(self.score)

    @property
    def status(self) -> str:
        status = str(self.metrics.get("status", "unknown"))
        return "failed" if status == "finished" and not self.ok else status

    @property
    def reason(self) -> str:
        """Why a run does not count; empty for a good run."""
        if self.ok:
            return ""
        if self.metrics.get("reason"):
            return str(self.metrics["reason"])
        if self.metrics.get("status") == "running":
            return "still running (or killed before it could record why)"
        if self.metrics.get("status") == "finished":
            return f"{self.metric} is {self.score} (not a finite number)"
        return "no reason recorded"


@dataclass
class ModelResult:
    """All runs of one model on one dataset; statistics over the good ones."""

    model: str
    runs: list[Run]

    @property
    def good(self) -> list[Run]:
        return [run for run in self.runs if run.ok]

    @property
    def failed(self) -> list[Run]:
        return [run for run in self.runs if not run.ok]

    @property
    def values(self) -> list[float]:
        return [run.score for run in self.good if run.score is not None]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @property
    def std(self) -> float | None:
        """Sample standard deviation over seeds; None with fewer than two seeds."""
        return statistics.stdev(self.values) if len(self.values) > 1 else None

    def average(self, key: str) -> float | None:
        values = [run.metrics.get(key) for run in self.good]
        values = [float(v) for v in values if isinstance(v, int | float) and _finite(v)]
        return statistics.fmean(values) if values else None

    @property
    def num_parameters(self) -> int | None:
        counts = [run.metrics.get("num_parameters") for run in self.runs]
        counts = [c for c in counts if isinstance(c, int)]
        return Counter(counts).most_common(1)[0][0] if counts else None


@dataclass
class DatasetResult:
    """Every model on one dataset, with what is needed to judge them."""

    data: str
    models: list[ModelResult]
    monitor: str
    mode: str
    baseline: float | None
    baseline_metric: str | None
    task: str | None = None
    provenance: dict | None = None

    @property
    def metric(self) -> str:
        return "test/" + self.monitor.split("/", 1)[-1]

    @property
    def runs(self) -> list[Run]:
        return [run for model in self.models for run in model.runs]

    @property
    def ranked(self) -> list[ModelResult]:
        """Models with at least one good run, best mean first."""
        scored = [m for m in self.models if m.mean is not None]
        return sorted(scored, key=lambda m: m.mean if self.mode == "min" else -m.mean)

    @property
    def better(self) -> str:
        return "lower is better" if self.mode == "min" else "higher is better"

    def label(self, split: str = "test") -> str:
        """The main metric in words with its unit, e.g. "validation loss (nats/char)"."""
        return f"{SPLIT_WORDS.get(split, split)} {metric_words(self.monitor, self.kind)}"

    @property
    def kind(self) -> str:
        """text, sensor, adding or copy: from the task class, else the data's provenance."""
        task = (self.task or "").rsplit(".", 1)[-1]
        by_task = {
            "LanguageModel": "text",
            "Classifier": "sensor",
            "Adding": "adding",
            "Copy": "copy",
        }
        return by_task.get(task) or str((self.provenance or {}).get("kind", ""))

    @property
    def baseline_applies(self) -> bool:
        """The trivial baseline is only drawn against the metric it was computed for."""
        suffix = self.monitor.split("/", 1)[-1]
        return self.baseline is not None and self.baseline_metric in (None, suffix)


SPLIT_WORDS = {"test": "test", "val": "validation"}
LOSS_UNITS = {"text": "nats/char", "copy": "nats/step"}
METRIC_WORDS = {
    "acc": "accuracy",
    "f1": "macro F1",
    "mse": "MSE",
    "bpc": "bits/char",
    "perplexity": "perplexity",
    "recall_acc": "recall accuracy",
}


def metric_words(metric: str, kind: str = "") -> str:
    """A metric name ("val/loss") in words with its unit where it has one."""
    name = metric.split("/", 1)[-1]
    if name == "loss":
        return f"loss ({LOSS_UNITS.get(kind, 'nats')})"
    return METRIC_WORDS.get(name, name)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _read_json(path: Path) -> dict:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return {"status": "failed", "reason": f"unreadable {path.name}: {error}"}
    return loaded if isinstance(loaded, dict) else {"status": "failed", "reason": "bad metrics"}


def read_curves(path: Path) -> list[dict[str, float]]:
    """curves.csv rows as numbers; empty cells are left out, a missing file gives []."""
    if not path.is_file():
        return []
    rows = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            parsed = {}
            for key, value in row.items():
                try:
                    parsed[key] = float(value)
                except (TypeError, ValueError):
                    continue
            rows.append(parsed)
    return rows


def _load_yaml(path: Path) -> dict | None:
    """A saved config, resolved where its interpolations allow, else as written."""
    try:
        cfg = OmegaConf.load(path)
    except Exception:  # a damaged file must not stop the report
        return None
    try:
        loaded = OmegaConf.to_container(cfg, resolve=True)
    except Exception:
        loaded = OmegaConf.to_container(cfg, resolve=False)
    return loaded if isinstance(loaded, dict) else None


def read_config(run_dir: Path) -> dict | None:
    """Hydra's composed config, else the copy the CSV logger kept in hparams.yaml."""
    hydra_config = run_dir / ".hydra" / "config.yaml"
    if hydra_config.is_file():
        return _load_yaml(hydra_config)
    hparams = run_dir / "csv" / "hparams.yaml"
    if hparams.is_file():
        loaded = _load_yaml(hparams)
        if loaded and isinstance(loaded.get("config"), dict):
            return loaded["config"]
    return None


def read_run(run_dir: Path, config: dict | None = None) -> Run:
    metrics = _read_json(run_dir / RESULTS)
    return Run(
        path=run_dir,
        metrics=metrics,
        curves=read_curves(run_dir / "curves.csv"),
        config=config if config is not None else read_config(run_dir),
    )


def _sweep_job_run_dir(job_dir: Path, config: dict) -> Path | None:
    """Where a multirun job wrote its results: its paths.run_dir, relative to Hydra's cwd."""
    run_dir = (config.get("paths") or {}).get("run_dir")
    if not isinstance(run_dir, str) or "${" in run_dir:
        return None
    path = Path(run_dir)
    if not path.is_absolute():
        hydra_cfg = _load_yaml(job_dir / ".hydra" / "hydra.yaml") or {}
        cwd = ((hydra_cfg.get("hydra") or {}).get("runtime") or {}).get("cwd")
        path = Path(cwd) / path if isinstance(cwd, str) else job_dir / path
    return path


def _sweep_runs(runs_dir: Path, seen: set[Path]) -> list[Run]:
    """Runs that Hydra multirun job folders point at, including jobs that never wrote results."""
    found = []
    for config_path in sorted(runs_dir.rglob(".hydra/config.yaml")):
        job_dir = config_path.parent.parent
        if (job_dir / RESULTS).is_file():
            continue
        config = _load_yaml(config_path)
        run_dir = _sweep_job_run_dir(job_dir, config) if config else None
        if run_dir is None or run_dir.resolve() in seen:
            continue
        seen.add(run_dir.resolve())
        if (run_dir / RESULTS).is_file():
            found.append(read_run(run_dir, config=config))
            continue
        metrics = {
            "status": "failed",
            "reason": f"no {RESULTS} in {run_dir} (the job stopped before training started)",
            "data": (config.get("data") or {}).get("name", "?"),
            "model": (config.get("model") or {}).get("name", "?"),
            "seed": config.get("seed", "?"),
            "study": config.get("study"),
        }
        found.append(Run(path=job_dir, metrics=metrics, config=config))
    return found


def find_runs(runs_dir: Path) -> list[Run]:
    """Every run under runs_dir (at any depth), including Hydra multirun jobs."""
    runs_dir = Path(runs_dir)
    result_files = sorted(p for p in runs_dir.rglob(RESULTS) if p.is_file())
    runs = [read_run(path.parent) for path in result_files]
    seen = {run.path.resolve() for run in runs}
    runs += _sweep_runs(runs_dir, seen)
    return sorted(runs, key=lambda r: (r.data, model_rank(r.model), _seed_key(r.seed), str(r.path)))


def _seed_key(seed: object) -> tuple[int, int, str]:
    """Seeds in numeric order (2 before 10); anything odd after them."""
    return (0, seed, "") if isinstance(seed, int) else (1, 0, str(seed))


def model_rank(model: str) -> tuple[int, str]:
    """The paper order (rnn, lstm, gru, transformer), then any other model by name."""
    return (MODEL_ORDER.index(model) if model in MODEL_ORDER else len(MODEL_ORDER), model)


def read_provenance(data: str, raw_dirs: list[Path]) -> dict | None:
    """The dataset's provenance.json from the first raw directory that has it."""
    for raw_dir in raw_dirs:
        path = Path(raw_dir) / data / "provenance.json"
        if path.is_file():
            loaded = _read_json(path)
            if "reason" not in loaded:
                return loaded | {"path": str(path)}
    return None


def _most_common(values: list) -> object:
    values = [v for v in values if v is not None]
    return Counter(values).most_common(1)[0][0] if values else None


def summarise(runs: list[Run], raw_dir: Path | None = None) -> list[DatasetResult]:
    """Group runs per dataset and model; per-dataset facts come from the runs' majority."""
    by_data: dict[str, list[Run]] = {}
    for run in runs:
        by_data.setdefault(run.data, []).append(run)
    results = []
    for data, data_runs in sorted(by_data.items()):
        by_model: dict[str, list[Run]] = {}
        for run in data_runs:
            by_model.setdefault(run.model, []).append(run)
        models = [ModelResult(m, by_model[m]) for m in sorted(by_model, key=model_rank)]
        recorded = [r for r in data_runs if "monitor" in r.metrics] or data_runs
        configs = [r.config for r in data_runs if r.config]
        raw_dirs = [raw_dir] if raw_dir else []
        raw_dirs += [Path(c["paths"]["raw_dir"]) for c in configs if _config_raw_dir(c)]
        baseline = _most_common([r.metrics.get("baseline") for r in recorded])
        results.append(
            DatasetResult(
                data=data,
                models=models,
                monitor=str(_most_common([r.monitor for r in recorded])),
                mode=str(_most_common([r.metrics.get("mode") for r in recorded]) or "min"),
                baseline=float(baseline) if _finite(baseline) else None,
                baseline_metric=_most_common([r.metrics.get("baseline_metric") for r in recorded]),
                task=_most_common([(c.get("task") or {}).get("_target_") for c in configs]),
                provenance=read_provenance(data, raw_dirs),
            )
        )
    return results


def _config_raw_dir(config: dict) -> bool:
    raw = (config.get("paths") or {}).get("raw_dir")
    return isinstance(raw, str) and "${" not in raw
