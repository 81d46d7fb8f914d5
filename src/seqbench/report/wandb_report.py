"""`seqbench report --wandb ENTITY/PROJECT --group G`: the comparison as a W&B Report.

The panels mirror the HTML report: validation metrics over ``trainer/global_step`` (the
step WandbLogger logs against) and over wall-clock time, and the test metrics as bars,
with the group's runs grouped by model (mean line, ±1 std band). The numbers live on the
W&B server, so only the page model's names are shared: title, model list, metric order and
axis labels. Building the Report object needs no network, so it is unit-tested offline;
saving needs a login and the server.
"""

import os
import socket
from collections.abc import Sequence
from urllib.parse import urlparse

from seqbench.config.wandb_login import base_url, logged_in
from seqbench.errors import SeqbenchError, one_line
from seqbench.report.page import MODELS_COMPARED, TITLE
from seqbench.report.results import METRIC_WORDS, STEP_AXIS, TIME_AXIS

# seqbench-train logs the composed config under the W&B config key "config"
MODEL_KEY = "config.config.model.name"
METRIC_ORDER = tuple(METRIC_WORDS)
GRID_WIDTH, PANEL_WIDTH, PANEL_HEIGHT = 24, 8, 6


def order_metrics(metrics: Sequence[str]) -> list[str]:
    """val/ and test/ metrics, main ones first (loss, acc, mse), unique."""

    def rank(metric: str) -> tuple[int, str]:
        name = metric.split("/", 1)[-1]
        return (METRIC_ORDER.index(name) if name in METRIC_ORDER else len(METRIC_ORDER), name)

    return sorted(dict.fromkeys(m for m in metrics if m.startswith(("val/", "test/"))), key=rank)


def _layout(index: int):
    import wandb_workspaces.reports.v2 as wr

    per_row = GRID_WIDTH // PANEL_WIDTH
    return wr.Layout(
        x=(index % per_row) * PANEL_WIDTH,
        y=(index // per_row) * PANEL_HEIGHT,
        w=PANEL_WIDTH,
        h=PANEL_HEIGHT,
    )


def build_panels(metrics: Sequence[str]) -> list:
    """Line plots of each val metric (vs step; the main one also vs time), one test bar plot."""
    import wandb_workspaces.reports.v2 as wr

    ordered = order_metrics(metrics)
    val = [m for m in ordered if m.startswith("val/")]
    test = [m for m in ordered if m.startswith("test/")]
    grouped = {"groupby_aggfunc": "mean", "groupby_rangefunc": "stddev"}
    panels = [
        wr.LinePlot(
            title=f"{metric} vs step",
            x="trainer/global_step",
            y=[metric],
            title_x=STEP_AXIS,
            title_y=metric,
            **grouped,
        )
        for metric in val
    ]
    if val:
        panels.append(
            wr.LinePlot(
                title=f"{val[0]} vs wall-clock time",
                x="RelativeTime(Wall)",
                y=[val[0]],
                title_x=TIME_AXIS,
                title_y=val[0],
                **grouped,
            )
        )
    if test:
        panels.append(wr.BarPlot(title="test metrics", metrics=test, orientation="v", **grouped))
    for index, panel in enumerate(panels):
        panel.layout = _layout(index)
    return panels


def build_report(entity: str, project: str, group: str, metrics: Sequence[str]):
    """The Report object for the runs of one W&B group, grouped by model; no network."""
    import wandb_workspaces.reports.v2 as wr

    runset = wr.Runset(
        entity=entity,
        project=project,
        name=f"group {group}",
        filters=f"Group = {group!r}",
        groupby=[MODEL_KEY],
    )
    ordered = order_metrics(metrics)
    main = next((m for m in ordered if m.startswith("test/")), None)
    summary = f"Main metric: {main}. " if main else ""
    return wr.Report(
        entity=entity,
        project=project,
        title=f"seqbench: {group} — {MODELS_COMPARED}",
        description=f"Runs of W&B group {group!r}, grouped by model; built by seqbench report.",
        width="fluid",
        blocks=[
            wr.H1(text=f"{TITLE} — group {group}"),
            wr.P(
                text=(
                    f"{summary}Lines are the mean over each model's seeds with a ±1 std band; "
                    "bars are the test metrics of the best checkpoint, averaged over seeds."
                )
            ),
            wr.PanelGrid(runsets=[runset], panels=build_panels(metrics)),
        ],
    )


def _needs(what: str) -> SeqbenchError:
    return SeqbenchError(
        f"{what}; seqbench report --wandb needs a W&B login (`wandb login` or WANDB_API_KEY) "
        f"and network access to {base_url()}"
    )


def _check_online() -> None:
    """Fail in one line before W&B's own retries and prompts: mode, login, reachability."""
    mode = os.environ.get("WANDB_MODE", "")
    if mode in ("offline", "disabled", "dryrun"):
        raise _needs(f"WANDB_MODE={mode} keeps W&B offline (unset it to publish)")
    if not logged_in():
        raise _needs("not logged in to W&B")
    url = urlparse(base_url())
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=10).close()
    except OSError as error:
        raise _needs(f"cannot reach {url.hostname}:{port} ({one_line(error)})") from error


def group_metrics(entity: str, project: str, group: str) -> list[str]:
    """The val/ and test/ metrics the group's runs logged (from their summaries)."""
    import wandb

    runs = wandb.Api(timeout=30).runs(f"{entity}/{project}", filters={"group": group})
    keys: set[str] = set()
    count = 0
    for run in runs:
        count += 1
        keys |= {k for k, v in run.summary_metrics.items() if isinstance(v, int | float)}
    if not count:
        raise SeqbenchError(f"W&B project {entity}/{project} has no runs in group {group!r}")
    return order_metrics(keys)


def publish(target: str, group: str) -> str:
    """Build and save the Report for group's runs in target ("ENTITY/PROJECT"); its URL.

    Raises SeqbenchError (one line) when offline, logged out or the server is unreachable.
    """
    entity, _, project = target.partition("/")
    if not entity or not project or "/" in project:
        raise SeqbenchError(f"--wandb {target!r} must be ENTITY/PROJECT, e.g. my-team/seqbench")
    _check_online()
    try:
        metrics = group_metrics(entity, project, group)
        report = build_report(entity, project, group, metrics)
        report.save()
    except SeqbenchError:
        raise
    except Exception as error:  # requests, wandb CommError...: one line, not a traceback
        raise _needs(f"saving the W&B report failed: {one_line(error)[:300]}") from error
    return report.url
