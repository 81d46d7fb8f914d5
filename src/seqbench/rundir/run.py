"""One run read back from its folder: what its metrics.json says, its curves and its config.
The comparison and every lesson read runs through this one record."""

import math
from dataclasses import dataclass, field
from pathlib import Path


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
        return main_metric(self.monitor)

    @property
    def score(self) -> float | None:
        value = (self.metrics.get("test") or {}).get(self.metric)
        return float(value) if isinstance(value, int | float) else None

    @property
    def ok(self) -> bool:
        """Finished with a finite main metric: the only runs that enter means and winners."""
        return self.metrics.get("status") == "finished" and finite(self.score)

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


def main_metric(monitor: str) -> str:
    """The main metric: the test value of the metric that picked the best checkpoint."""
    return "test/" + monitor.split("/", 1)[-1]


def finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
