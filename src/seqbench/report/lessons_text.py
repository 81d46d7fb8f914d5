"""Report sections from the lesson files that are not runs: generated text with exposure bias
(``seqbench text-lessons``) and streaming cost (``seqbench stream-bench``)."""

import json
from pathlib import Path

from seqbench.report import lesson_plots
from seqbench.report.formatting import number
from seqbench.report.lesson_readings import streaming_caption, streaming_reading
from seqbench.report.page import Figure, Lesson
from seqbench.report.results import model_rank
from seqbench.report.tables import Table

TEXT_FILE, STREAMING_FILE = "text.json", "streaming.json"


def _load(path: Path) -> dict | None:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


COLUMNS = {  # exposure.py's keys -> table headers
    "teacher_forced_loss": "val loss, teacher forcing",
    "real_loss_same_positions": "loss on real continuations",
    "self_loss": "loss on own samples (T=1)",
    "js_unigram_bits": "JS unigram (bits)",
    "js_bigram_bits": "JS bigram (bits)",
    "reference_js_bigram_bits": "JS bigram, T=0.8 top-20",
    "floor_js_bigram_bits": "JS bigram, real text (noise floor)",
}


def exposure_section(lessons_dir: Path) -> Lesson | None:
    found = _load(Path(lessons_dir) / TEXT_FILE)
    if not found or not found.get("models"):
        return None
    models = dict(sorted(found["models"].items(), key=lambda item: model_rank(item[0])))
    rows = [[name, *(number(v.get(k)) for k in COLUMNS)] for name, v in models.items()]
    prompt = found.get("prompt", "")
    section = Lesson(
        "exposure-bias",
        "Teacher forcing, exposure bias and generated text",
        [
            "Training feeds the true previous character (teacher forcing); generation feeds "
            "the model its own samples, so its mistakes become its inputs (exposure bias). "
            "From the same validation prompts, each model continues the text freely at "
            "temperature 1; its loss on its own continuation is set against its loss on the "
            "real one, and the character statistics of what it wrote are compared with the "
            "validation text by Jensen-Shannon divergence (0 = identical; the noise floor is "
            "real text of the same size).",
            _bias_reading(models),
        ],
        [
            Table(
                ["model", *COLUMNS.values()],
                rows,
                caption=f"{found.get('data', '')}, seed {found.get('seed', '')}",
            )
        ],
        [
            Figure(
                "exposure",
                lesson_plots.exposure_svg(models),
                "Loss on real text under teacher forcing vs "
                "loss on the model's own free-running samples.",
            )
        ],
        [
            (f"{name}: prompt {prompt!r}", prompt + str(v.get("sample", "")))
            for name, v in models.items()
        ],
    )
    if found.get("missing"):
        section.reading.append(f"No checkpoint for: {', '.join(found['missing'])}.")
    return section


def _bias_reading(models: dict[str, dict]) -> str:
    """How far each model's free-running text drifts from real text, beyond sampling noise."""
    parts = []
    for name, v in models.items():
        drift, floor = v.get("js_bigram_bits"), v.get("floor_js_bigram_bits")
        if isinstance(drift, int | float) and isinstance(floor, int | float):
            parts.append(
                f"{name} {number(drift)} bits ({number(drift / floor if floor else None)}"
                "x the noise floor)"
            )
    return ("Bigram drift of free-running text: " + "; ".join(parts) + ".") if parts else ""


def streaming_section(lessons_dir: Path) -> Lesson | None:
    found = _load(Path(lessons_dir) / STREAMING_FILE)
    rows = (found or {}).get("rows") or []
    if not rows:
        return None
    table = []
    for model in dict.fromkeys(row["model"] for row in rows):
        mine = [r for r in rows if r["model"] == model]
        first, last = mine[0], mine[-1]
        table.append(
            [
                model,
                str(first.get("num_parameters", "–")),
                f"{number(first['latency_ms'])} → {number(last['latency_ms'])}",
                f"{first['state_bytes']:,} → {last['state_bytes']:,}",
            ]
        )
    positions = rows[-1]["position"]
    return Lesson(
        "streaming",
        "Streaming: one time step at a time",
        streaming_reading(found),
        [
            Table(
                ["model", "parameters", "latency per step (ms)", "state (bytes)"],
                table,
                caption=f"positions 1 → {positions}",
            )
        ],
        [
            Figure(
                "streaming",
                lesson_plots.streaming_svg(rows),
                streaming_caption(found),
                wide=True,
            )
        ],
    )
