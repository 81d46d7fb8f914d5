"""LightningModules: one per kind of task; any backbone plugs into any of them."""

from seqbench.tasks.ability import Ability
from seqbench.tasks.anomaly import Anomaly
from seqbench.tasks.base import SequenceTask
from seqbench.tasks.classifier import Classifier
from seqbench.tasks.forecast import Forecast, ForecastAutoregressive
from seqbench.tasks.language_model import LanguageModel
from seqbench.tasks.memory import Adding, Copy
from seqbench.tasks.text_classify import TextClassify

TASKS = (LanguageModel, Classifier, Adding, Copy, Ability, Forecast, ForecastAutoregressive)
TASKS += (Anomaly, TextClassify)
TASK_KINDS = {task.__name__: task.kind for task in TASKS}

__all__ = [
    "TASK_KINDS",
    "Ability",
    "Adding",
    "Anomaly",
    "Classifier",
    "Copy",
    "Forecast",
    "ForecastAutoregressive",
    "LanguageModel",
    "SequenceTask",
    "TextClassify",
]
