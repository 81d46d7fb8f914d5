"""LightningModules: one per kind of task; any backbone plugs into any of them."""

from seqbench.tasks.base import SequenceTask
from seqbench.tasks.classifier import Classifier
from seqbench.tasks.language_model import LanguageModel
from seqbench.tasks.memory import Adding, Copy

__all__ = ["Adding", "Classifier", "Copy", "LanguageModel", "SequenceTask"]
