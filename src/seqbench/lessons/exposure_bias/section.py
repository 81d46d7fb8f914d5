"""The exposure-bias lesson as a page section, from the file ``seqbench text-lessons`` writes:
each character model's losses and drift, a figure, and one generated sample per model."""

from pathlib import Path

from seqbench.lessons.exposure_bias.figure import exposure_svg
from seqbench.lessons.exposure_bias.reading import EXPECTED, bias_reading
from seqbench.lessons.sources import read_json
from seqbench.models import model_rank
from seqbench.page.formats import number
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run

TEXT_FILE = "text.json"


COLUMNS = {  # exposure.py's keys -> table headers
    "teacher_forced_loss": "val loss, teacher forcing",
    "real_loss_same_positions": "loss on real continuations",
    "self_loss": "loss on own samples (T=1)",
    "js_unigram_bits": "JS unigram (bits)",
    "js_bigram_bits": "JS bigram (bits)",
    "reference_js_bigram_bits": "JS bigram, T=0.8 top-20",
    "floor_js_bigram_bits": "JS bigram, real text (noise floor)",
}


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from text.json (``seqbench text-lessons``); None without models in it."""
    found = read_json(Path(lessons_dir) / TEXT_FILE)
    if not found or not found.get("models"):
        return None
    models = dict(sorted(found["models"].items(), key=lambda item: model_rank(item[0])))
    rows = [[name, *(number(v.get(k)) for k in COLUMNS)] for name, v in models.items()]
    prompt = found.get("prompt", "")
    section = Section(
        "exposure-bias",
        "Teacher forcing, exposure bias and generated text",
        [EXPECTED, bias_reading(models)],
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
                exposure_svg(models),
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
