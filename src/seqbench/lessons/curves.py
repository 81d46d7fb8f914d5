"""Whether a study's runs had finished learning (read by the lessons' sections, on the
report's layer: see tests/unit/test_layout.py): a lesson names a winner only when every
compared model's validation curve had flattened, the report's own rule
(:data:`seqbench.report.convergence.FLAT_RULE`), so no ranking comes from curves still falling."""

from seqbench.page.formats import names
from seqbench.report.collect import summarise
from seqbench.report.convergence import trends
from seqbench.rundir.run import Run


def unsettled(runs: list[Run]) -> dict[str, list[str]]:
    """Per dataset, the models whose validation curve was still improving at the end of
    training, or recorded too few validations to tell (no curve of a good run counts so)."""
    found = {}
    for result in summarise(runs):
        flat = {m for m, t in trends(result).items() if t.state == "flattened"}
        found[result.data] = sorted({m.model for m in result.models} - flat)
    return found


def mark_unsettled(found: dict, runs: list[Run]) -> None:
    """Set each dataset's ``unsettled`` models (``found``: a lesson's measured results by
    dataset), from the runs that measured them."""
    learning = unsettled([run for run in runs if run.data in found])
    for name, item in found.items():
        item.unsettled = learning.get(name, [])


def unsettled_words(data: str, models: list[str]) -> str:
    """The sentence that replaces a winner while ``models`` were still learning."""
    verb = "was" if len(models) == 1 else "were"
    return (
        f"{data}: no winner is named: {names(models)} {verb} still improving at the end of "
        "training (or recorded too few validations to tell), so more steps could change the order."
    )
