"""The OmegaConf resolvers seqbench's configs use, registered on `import seqbench`, so that
any process reading a saved run config (.hydra/config.yaml, e.g. `seqbench report`) resolves
it as the training run did, not only the processes that import the Hydra entry point."""

from omegaconf import ListConfig, OmegaConf


def output_dir_or(default: str) -> str:
    """Hydra's output directory once a job runs, so `hydra.run.dir=X` moves the run's own
    outputs too; `default` before that (while Hydra works hydra.run.dir out of paths.run_dir),
    under the Compose API, which has no output directory, and outside Hydra."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        output_dir = OmegaConf.select(HydraConfig.get(), "runtime.output_dir", default=None)
        if output_dir:
            return output_dir
    return default


def device_count(devices: object) -> int:
    """How many devices ``trainer.devices`` names (a count or a list of device indices):
    a SLURM job runs one task per device."""
    if isinstance(devices, int) and not isinstance(devices, bool):
        return devices
    if isinstance(devices, list | tuple | ListConfig):
        return len(devices)
    raise ValueError(f"trainer.devices={devices}: give SLURM a number (hydra.launcher.*)")


def slurm_gpus(accelerator: str, devices: object) -> int | None:
    """GPUs per node for a SLURM job: one per device, and no GPU request at all (not even
    ``--gpus-per-node=0``, which a partition without GPUs may refuse) for a CPU trainer."""
    return None if accelerator == "cpu" else device_count(devices)


def if_none(default: object, *others: object) -> object:
    """``default`` unless one of ``others`` is set: a setting that another one replaces
    (SLURM's default memory per CPU, when mem_gb or mem_per_gpu is given)."""
    return default if all(other is None for other in others) else None


# `${lower:${task.clip_gradients}}` writes a flag as DVC writes it in a path (true, not True),
# so a run directory named by Hydra is the one a dvc.yaml matrix stage expects
OmegaConf.register_new_resolver("lower", lambda value: str(value).lower(), replace=True)
# paths.run_dir: ${output_dir_or:...} makes paths.run_dir and hydra.run.dir one knob
OmegaConf.register_new_resolver("output_dir_or", output_dir_or, replace=True)
# conf/hydra/launcher/slurm.yaml: tasks and GPUs follow the trainer
OmegaConf.register_new_resolver("slurm_gpus", slurm_gpus, replace=True)
OmegaConf.register_new_resolver("device_count", device_count, replace=True)
OmegaConf.register_new_resolver("if_none", if_none, replace=True)
