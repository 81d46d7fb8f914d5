"""What the ability probes measured: each finished run's test accuracy, overall and per test
group (test length, or number of key-value pairs), by probe and model. The runs are trained
by the ``abilities`` DVC stage (``seqbench-train experiment=abilities data=<probe>``)."""

from dataclasses import dataclass, field

from seqbench.rundir.run import Run, finite

STUDY = "abilities"


@dataclass
class Probe:
    """One probe's results: per model, every seed's overall accuracy and accuracy per group."""

    name: str
    groups: list[int]
    group_by: str  # "length" or "answers" (key-value pairs)
    train_length: int
    chance: float
    accuracy: dict[str, list[float]] = field(default_factory=dict)
    by_group: dict[str, list[list[float | None]]] = field(default_factory=dict)
    state_floats: dict[str, int] = field(default_factory=dict)
    state_grows: dict[str, bool] = field(default_factory=dict)  # attention's cache


def measured(runs: list[Run]) -> tuple[dict[str, Probe], list[str]]:
    """{probe: Probe} over the ability runs, and the runs that failed or did not finish, each
    as "data/model/seed: why" (never averaged)."""
    probes: dict[str, Probe] = {}
    failed = []
    for run in runs:
        extra = run.metrics.get("test_extra") or {}
        accuracy = (run.metrics.get("test") or {}).get("test/acc")
        if run.metrics.get("status") != "finished" or not finite(accuracy) or "groups" not in extra:
            failed.append(f"{run.data}/{run.model}/{run.seed}: {run.reason or 'no result'}")
            continue
        groups = [int(g) for g in extra["groups"]]
        probe = probes.setdefault(
            run.data,
            Probe(run.data, groups, extra["group_by"], int(extra["train_length"]), extra["chance"]),
        )
        probe.accuracy.setdefault(run.model, []).append(float(accuracy))
        per_group = extra.get("acc_by_group", [accuracy])
        probe.by_group.setdefault(run.model, []).append(per_group)
        if isinstance(run.metrics.get("state_floats"), int):
            probe.state_floats[run.model] = run.metrics["state_floats"]
        probe.state_grows[run.model] = run.metrics.get("state_grows") is True
    return probes, failed
