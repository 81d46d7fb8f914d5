"""Showing a composed config without its secrets."""

from omegaconf import DictConfig, OmegaConf
from rich.tree import Tree

from seqbench.safety.redaction import scrub_all


def tree(cfg: DictConfig) -> Tree:
    """The composed config as a rich tree, one branch per group, secrets redacted."""
    root = Tree("config", guide_style="dim")
    resolved = scrub_all(OmegaConf.to_container(cfg, resolve=True))
    for key, value in resolved.items():
        branch = root.add(f"[bold]{key}[/]" if isinstance(value, dict) else f"{key}: {value}")
        if isinstance(value, dict):
            branch.add(OmegaConf.to_yaml(value).rstrip() or "{}")
    return root
