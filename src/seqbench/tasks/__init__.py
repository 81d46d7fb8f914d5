"""LightningModules: one per kind of task; any backbone plugs into any of them."""

from seqbench.tasks.ability import Ability
from seqbench.tasks.base import SequenceTask
from seqbench.tasks.classifier import Classifier
from seqbench.tasks.language_model import LanguageModel
from seqbench.tasks.memory import Adding, Copy
from seqbench.tasks.text_classify import TextClassify

TASK_KINDS = {
    task.__name__: task.kind
    for task in (LanguageModel, Classifier, Adding, Copy, Ability, TextClassify)
}

__all__ = [
    "TASK_KINDS",
    "Ability",
    "Adding",
    "Classifier",
    "Copy",
    "LanguageModel",
    "SequenceTask",
    "TextClassify",
]
