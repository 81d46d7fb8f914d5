"""The streaming lesson's figure: per-step latency and state memory against the position in
the stream, one line per model."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.page.svg import STYLE, colour, legend, to_svg


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
        legend(fig, latency)
        return to_svg(fig, "streaming")
