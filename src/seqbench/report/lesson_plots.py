"""Figures for the RNN lessons: gradient flow, memory against T, activations, exposure bias,
streaming cost. Same style, colours and inline-SVG output as the comparison figures."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.report.plots import BASELINE_STYLE, STYLE, colour, to_svg

Profile = list[tuple[float, float]]  # (distance from the loss, ‖∂L/∂h‖)


def _legend(fig: Figure, ax, ncol: int = 5) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ncol = min(len(handles), ncol)
        fig.legend(handles, labels, loc="outside upper center", ncol=ncol, frameon=False)


def gradient_flow_svg(name: str, profiles: dict[str, dict[str, Profile]]) -> str:
    """‖∂L/∂h_t‖ (log) against distance from the loss; solid trained, dashed at init."""
    models = list(profiles)
    with rc_context(STYLE):
        fig = Figure(figsize=(6.6, 4.3), layout="constrained")
        ax = fig.subplots()
        for model, by_stage in profiles.items():
            for stage, style in (("trained", "-"), ("init", "--")):
                points = [(d, n) for d, n in by_stage.get(stage, []) if n > 0]
                if points:
                    xs, ys = zip(*points, strict=True)
                    label = f"{model} ({stage})"
                    ax.plot(xs, ys, style, color=colour(model, models), label=label, linewidth=1.6)
        ax.set_yscale("log")
        ax.set_xlabel("distance from the loss (time steps)")
        ax.set_ylabel("‖∂L/∂h_t‖ (mean over 16 sequences)")
        ax.set_title(name, fontsize=10)
        _legend(fig, ax, ncol=4)
        return to_svg(fig, f"gradflow-{name}")


def memory_svg(
    task: str,
    label: str,
    series: dict[str, list[tuple[int, float, float]]],
    baseline: float,
    log: bool,
) -> str:
    """A test metric against sequence length T per model (mean ± std over seeds)."""
    models = list(series)
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.3), layout="constrained")
        ax = fig.subplots()
        lengths = sorted({t for points in series.values() for t, _, _ in points})
        for model, points in series.items():
            ts, means, stds = zip(*sorted(points), strict=True)
            tint = colour(model, models)
            ax.errorbar(ts, means, yerr=stds, color=tint, marker="o", capsize=4, label=model)
        ax.axhline(baseline, **BASELINE_STYLE, label="trivial baseline")
        if log:
            ax.set_yscale("log")
        ax.set_xscale("log", base=2)
        ax.set_xticks(lengths, [str(t) for t in lengths])
        ax.set_xlabel("sequence length T")
        ax.set_ylabel(label)
        ax.set_title(f"{task}: {label} against T", fontsize=10)
        _legend(fig, ax)
        return to_svg(fig, f"memory-{task}")


def activations_svg(data: str, rows: list[dict]) -> str:
    """Per RNN variant: steps whose gradient norm exceeded the threshold, clipping on/off."""
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.subplots()
        ax.grid(axis="x", visible=False)
        variants = sorted({row["model"] for row in rows}, key=[r["model"] for r in rows].index)
        for offset, clip, tint in ((-0.2, True, "#0072B2"), (0.2, False, "#D55E00")):
            for x, variant in enumerate(variants):
                match = [r for r in rows if r["model"] == variant and r["clip"] is clip]
                share = match[0]["exploded_share"] if match else None
                if share is None:
                    continue
                label = f"clipping {'on' if clip else 'off'}" if x == 0 else None
                ax.bar(x + offset, 100 * share, width=0.38, color=tint, label=label, zorder=2)
                ax.annotate(
                    f"{100 * share:.0f}%",
                    (x + offset, 100 * share),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
        ax.set_xticks(range(len(variants)), variants)
        ax.set_ylabel("steps with ‖g‖ > grad_clip (%)")
        ax.set_title(f"{data}: exploding-gradient steps", fontsize=10)
        _legend(fig, ax)
        return to_svg(fig, f"activations-{data}")


def exposure_svg(models: dict[str, dict]) -> str:
    """Teacher-forced loss on real text vs the model's loss on its own free-running text."""
    keys = (
        ("teacher_forced_loss", "real text, teacher forcing", "#0072B2"),
        ("self_loss", "own samples (T=1.0)", "#D55E00"),
    )
    names = list(models)
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.subplots()
        ax.grid(axis="x", visible=False)
        for i, (key, label, tint) in enumerate(keys):
            xs = [x + (i - 0.5) * 0.38 for x in range(len(names))]
            ax.bar(xs, [models[n].get(key) or 0 for n in names], 0.38, color=tint, label=label)
        ax.set_xticks(range(len(names)), names)
        ax.set_ylabel("loss (nats/char)")
        ax.set_title("exposure bias: what the model sees vs what it makes", fontsize=10)
        _legend(fig, ax)
        return to_svg(fig, "exposure")


def streaming_svg(rows: list[dict]) -> str:
    """Per-step latency and state memory against stream position, one line per model."""
    models = list(dict.fromkeys(row["model"] for row in rows))
    with rc_context(STYLE):
        fig = Figure(figsize=(11, 4.0), layout="constrained")
        latency, memory = fig.subplots(1, 2)
        for model in models:
            mine = [r for r in rows if r["model"] == model]
            xs = [r["position"] for r in mine]
            tint = colour(model, models)
            latency.plot(xs, [r["latency_ms"] for r in mine], color=tint, label=model)
            memory.plot(xs, [r["state_bytes"] / 1024 for r in mine], color=tint)
        latency.set_ylim(bottom=0)
        memory.set_yscale("log")
        latency.set_xlabel("stream position t")
        memory.set_xlabel("stream position t")
        latency.set_ylabel("latency per step (ms, median)")
        memory.set_ylabel("state memory (KiB)")
        _legend(fig, latency)
        return to_svg(fig, "streaming")
