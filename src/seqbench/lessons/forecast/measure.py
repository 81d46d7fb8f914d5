"""What the forecasting runs measured: each finished run's test MSE and MAE (normalised
scale), its MSE per horizon step and the baselines' numbers on the same test windows, by
dataset and model. The runs are trained by the ``forecast`` DVC stage
(``seqbench-train experiment=forecast data=<dataset>``)."""

from dataclasses import dataclass, field

from seqbench.rundir.run import Run, finite

STUDY = "forecast"


@dataclass
class Dataset:
    """One dataset's results: per model every seed's numbers; the baselines once."""

    name: str
    horizon: int
    context: int
    baselines: dict[str, dict]  # name -> {"mse", "mae", "mse_by_horizon"}
    baseline_windows: int | None
    mse: dict[str, list[float]] = field(default_factory=dict)
    mae: dict[str, list[float]] = field(default_factory=dict)
    by_horizon: dict[str, list[list[float]]] = field(default_factory=dict)
    windows: dict[str, list[int]] = field(default_factory=dict)  # test windows each run scored
    unsettled: list[str] = field(default_factory=list)  # still improving (section)


def measured(runs: list[Run]) -> tuple[dict[str, Dataset], list[str]]:
    """{dataset: Dataset} over the forecasting runs, and the runs that failed or did not
    finish, each as "data/model/seed: why" (never averaged)."""
    found: dict[str, Dataset] = {}
    failed = []
    for run in runs:
        extra = run.metrics.get("test_extra") or {}
        test = run.metrics.get("test") or {}
        mse, mae = test.get("test/mse"), test.get("test/mae")
        if run.metrics.get("status") != "finished" or not (finite(mse) and finite(mae)):
            failed.append(f"{run.data}/{run.model}/{run.seed}: {run.reason or 'no result'}")
            continue
        if "baselines" not in extra:
            failed.append(f"{run.data}/{run.model}/{run.seed}: no baselines in test_extra")
            continue
        data = found.setdefault(
            run.data,
            Dataset(
                run.data,
                int(extra["horizon"]),
                int(extra["context"]),
                extra["baselines"],
                extra.get("baseline_windows"),
            ),
        )
        data.mse.setdefault(run.model, []).append(float(mse))
        data.mae.setdefault(run.model, []).append(float(mae))
        data.by_horizon.setdefault(run.model, []).append(extra.get("mse_by_horizon", []))
        data.windows.setdefault(run.model, []).append(extra.get("test_windows"))
    return found, failed
