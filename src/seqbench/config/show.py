"""Showing a composed config without its secrets."""

from omegaconf import DictConfig, OmegaConf
from rich.tree import Tree

from seqbench.safety.redaction import scrub_all


def clean(cfg: DictConfig) -> dict:
    """The config resolved, secrets redacted: what a run shows and what its loggers record
    (one redaction for both)."""
    return scrub_all(OmegaConf.to_container(cfg, resolve=True))


def tree(cfg: DictConfig | dict) -> Tree:
    """The composed config as a rich tree, one branch per group, secrets redacted (a dict is
    taken as :func:`clean` made it)."""
    root = Tree("config", guide_style="dim")
    resolved = cfg if isinstance(cfg, dict) else clean(cfg)
    for key, value in resolved.items():
        branch = root.add(f"[bold]{key}[/]" if isinstance(value, dict) else f"{key}: {value}")
        if isinstance(value, dict):
            branch.add(OmegaConf.to_yaml(value).rstrip() or "{}")
    return root
