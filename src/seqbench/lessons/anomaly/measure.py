"""What the anomaly runs measured: per dataset and model, every seed's test quality (AUROC,
AUPRC, and at the validation-chosen threshold precision, recall, F1 and detection delay) and
its streaming step time; the z-score and last-value baselines on the same test steps. The runs
are trained by the ``anomaly`` DVC stage (``seqbench-train experiment=anomaly data=mitdb``)."""

from dataclasses import dataclass, field

from seqbench.rundir.run import Run, finite

STUDY = "anomaly"
QUALITY = ("auroc", "auprc", "precision", "recall", "f1", "delay")
BASELINES = {"zscore": "z-score of the signal", "last_value": "last-value forecast error"}


@dataclass
class Detection:
    """One dataset's results: per model and metric every seed's test value, the baselines."""

    data: str
    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # model -> metric
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> test/auroc..
    unsettled: list[str] = field(default_factory=list)  # still improving (section)

    def of(self, model: str, metric: str) -> list[float]:
        return self.values.get(model, {}).get(metric, [])


def measured(runs: list[Run]) -> tuple[dict[str, Detection], list[str]]:
    """{dataset: Detection} over the anomaly runs, and the runs that failed or did not finish,
    each as "data/model/seed: why" (never averaged)."""
    found: dict[str, Detection] = {}
    failed = []
    for run in runs:
        test = run.metrics.get("test") or {}
        if run.metrics.get("status") != "finished" or not finite(test.get("test/auroc")):
            failed.append(f"{run.data}/{run.model}/{run.seed}: {run.reason or 'no result'}")
            continue
        detection = found.setdefault(run.data, Detection(run.data))
        extra = run.metrics.get("test_extra") or {}
        detection.baselines = detection.baselines or extra.get("baselines") or {}
        metrics = detection.values.setdefault(run.model, {})
        for name in (*QUALITY, "step_ms"):
            value = test.get(f"test/{name}")
            if finite(value):
                metrics.setdefault(name, []).append(float(value))
    return found, failed
