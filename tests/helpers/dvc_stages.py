"""dvc.yaml's stages as data, and what each one's deps cover once fingerprint stages count."""

import yaml

from helpers.cli import ROOT

FINGERPRINT = "python -m seqbench.launch.fingerprint"  # a stage that hashes code for others


def stages() -> dict:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def watched(stage: dict, all_stages: dict) -> list[str]:
    """The plain paths a stage's deps name, with those of the fingerprint stages whose
    output it depends on."""
    deps = [str(d) for d in stage.get("deps", []) if "${" not in str(d)]
    outputs = {
        str(next(iter(out)) if isinstance(out, dict) else out): other
        for other in all_stages.values()
        if other.get("cmd", "").startswith(FINGERPRINT)
        for out in other.get("outs", [])
    }
    return deps + [dep for d in deps if d in outputs for dep in watched(outputs[d], all_stages)]


def covers(deps: list[str], path: str) -> bool:
    """Whether one of ``deps`` (files or folders) covers ``path``."""
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in deps)
