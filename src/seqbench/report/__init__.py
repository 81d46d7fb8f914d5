"""The comparison report: `write_report` (HTML and Markdown from run directories) and
`publish` (the same panels as a W&B Report). W&B is imported only when publishing."""

from seqbench.report.build import write_report


def publish(target: str, group: str) -> str:
    """Build and save the W&B Report for one run group; returns its URL (see wandb_report)."""
    from seqbench.report.wandb_report import publish as _publish

    return _publish(target, group)


__all__ = ["publish", "write_report"]
