"""Composing a config with Hydra's Compose API: the one place that does it.

``seqbench-train`` composes before Hydra starts the job (to refuse a run before anything is
written), the dataset registry composes each dataset's ``data`` node as a run would, and the
tests compose the configs they train. All of them call :func:`compose` (one config) or
:func:`composer` (several in one Hydra session, or Hydra's loader in between), so the config
folder, the version base and the multirun form are chosen here once.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from omegaconf import DictConfig

from seqbench.config.paths import CONF_DIR

VERSION_BASE = "1.3"  # as `hydra.main` in seqbench.train.run
CONFIG_NAME = "train"


class Composer:
    """Composes configs inside one initialised Hydra session (see :func:`composer`)."""

    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir

    def __call__(
        self,
        overrides: Iterable[str] = (),
        config_name: str = CONFIG_NAME,
        hydra_config: bool = False,
        multirun: bool = False,
    ) -> DictConfig:
        """One config from ``overrides``. ``hydra_config`` keeps the ``hydra`` node; ``multirun``
        composes it as Hydra's ``get_mode`` reads a sweep (the ``hydra`` node kept, sweep
        overrides not expanded: they must be left out of ``overrides``)."""
        from hydra import compose as hydra_compose

        overrides = list(overrides)
        if multirun:
            from hydra.core.global_hydra import GlobalHydra
            from hydra.types import RunMode

            return GlobalHydra.instance().hydra.compose_config(
                config_name, overrides, RunMode.MULTIRUN, validate_sweep_overrides=False
            )
        return hydra_compose(config_name, overrides=overrides, return_hydra_config=hydra_config)


@contextmanager
def composer(config_dir: Path | str | None = None) -> Iterator[Composer]:
    """A Hydra session on ``config_dir`` (the shipped configs by default), for callers that
    compose several configs, or use Hydra's config loader while it is open (sweep checks)."""
    from hydra import initialize_config_dir

    folder = Path(config_dir or CONF_DIR).resolve()
    with initialize_config_dir(config_dir=str(folder), version_base=VERSION_BASE):
        yield Composer(folder)


def compose(
    overrides: Iterable[str] = (),
    *,
    config_dir: Path | str | None = None,
    config_name: str = CONFIG_NAME,
    hydra_config: bool = False,
) -> DictConfig:
    """One config composed as ``seqbench-train`` composes it, in a Hydra session of its own."""
    with composer(config_dir) as composing:
        return composing(overrides, config_name, hydra_config=hydra_config)
