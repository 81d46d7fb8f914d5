"""Where a lesson's numbers come from besides a run's own files: the JSON files the lesson
commands write (read back leniently, written atomically), and the runs of one study."""

import json
from pathlib import Path

from seqbench.rundir.run import Run
from seqbench.safety import atomic

MODELS_HELP = (
    "the models measured (default: rnn lstm gru transformer): any backbone by name, or "
    "NAME/sequential for one trained through its recurrence instead of its parallel form"
)


def read_json(path: Path) -> dict | None:
    """A lesson file as a dict; None when it is missing, unreadable or not an object."""
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def write_json(path: Path, result: dict, ensure_ascii: bool = True) -> None:
    """A lesson file, atomically: a DVC stage never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json.dumps(result, indent=2, ensure_ascii=ensure_ascii) + "\n")


def study_runs(runs: list[Run], study: str) -> list[Run]:
    """The runs a study (``experiment=...``) recorded as its own in metrics.json."""
    return [run for run in runs if run.metrics.get("study") == study]
