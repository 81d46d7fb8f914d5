"""The parts of Hydra's own config (``hydra.*``) a single run depends on, checked before
Hydra starts the job: the classes it builds (its callbacks, the logging handlers, filters
and formatters, which Python's ``logging.config`` builds from any name it is given), and
``hydra.job.chdir``, under which every relative path of the config (``data/raw``, the
run folder) would resolve against the run folder instead of where the user stands.
"""

import importlib
import logging

from omegaconf import DictConfig, OmegaConf

from seqbench.errors import ConfigError

CALLBACKS = ("seqbench.train.sweep.SweepSummary",)
LOGGING_CLASSES = ("seqbench.safety.redaction.ScrubFilter",)  # beside the standard library's own
LOGGING_BASES = (logging.Handler, logging.Formatter, logging.Filter)


def _standard_logging_class(name: str) -> bool:
    """A handler, formatter or filter class of ``logging`` or ``logging.handlers``."""
    module, _, attribute = name.rpartition(".")
    if module not in ("logging", "logging.handlers"):
        return False
    found = getattr(importlib.import_module(module), attribute, None)
    return isinstance(found, type) and issubclass(found, LOGGING_BASES)


def check_logging(hydra: DictConfig) -> None:
    """Every class a logging config names (``()`` factories and handlers' ``class``)."""
    for section in ("hydra_logging", "job_logging"):
        config = OmegaConf.to_container(hydra.get(section) or {}, resolve=False)
        for kind in ("handlers", "filters", "formatters"):
            for name, entry in (config.get(kind) or {}).items():
                for key in ("()", "class"):
                    value = entry.get(key) if isinstance(entry, dict) else None
                    if value is None or value in LOGGING_CLASSES:
                        continue
                    if not isinstance(value, str) or not _standard_logging_class(value):
                        raise ConfigError(
                            f"hydra.{section}.{kind}.{name}.{key}={value!r} is not a logging "
                            "class seqbench allows (logging's own handlers, formatters and "
                            "filters, seqbench.safety.redaction.ScrubFilter)"
                        )


def check_hydra(hydra: DictConfig) -> None:
    """``hydra.job.chdir`` off, and only seqbench's and logging's classes built by Hydra."""
    if OmegaConf.select(hydra, "job.chdir"):
        raise ConfigError(
            "hydra.job.chdir=true is not supported: seqbench's relative paths (data/raw, "
            "runs/) resolve against the folder you run from; leave it false (the run "
            "folder is paths.run_dir)"
        )
    for name, node in (hydra.get("callbacks") or {}).items():
        target = node.get("_target_") if isinstance(node, DictConfig) else None
        if node is not None and target not in CALLBACKS:
            raise ConfigError(
                f"hydra.callbacks.{name}._target_={target!r} is not one of seqbench's "
                f"classes (valid: {', '.join(CALLBACKS)}); a config never names code to run"
            )
    check_logging(hydra)
