"""LightningModules: one per kind of task; any backbone plugs into any of them."""

from seqbench.tasks.ability import Ability
from seqbench.tasks.anomaly import Anomaly
from seqbench.tasks.base import SequenceTask
from seqbench.tasks.classifier import Classifier
from seqbench.tasks.language_model import LanguageModel
from seqbench.tasks.memory import Adding, Copy

TASK_KINDS = {
    task.__name__: task.kind for task in (LanguageModel, Classifier, Adding, Copy, Ability, Anomaly)
}

__all__ = [
    "TASK_KINDS",
    "Ability",
    "Adding",
    "Anomaly",
    "Classifier",
    "Copy",
    "LanguageModel",
    "SequenceTask",
]
