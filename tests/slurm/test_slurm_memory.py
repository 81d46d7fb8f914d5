"""SLURM's memory request: one of mem_gb, mem_per_cpu, mem_per_gpu (sbatch refuses two). The
default 2G per CPU gives way to whichever the user sets; two set are refused in one line.
tests/slurm/test_slurm.py submits the request to a real cluster."""

import pytest
from helpers.cli import one_line_error, run_cli

from seqbench import config
from seqbench.errors import ConfigError
from seqbench.launch import slurm


def request(*overrides: str) -> dict:
    cfg = config.compose(["hydra/launcher=slurm", *overrides], hydra_config=True)
    return {key: value for key, value in slurm.job_request(cfg).items() if key in slurm.MEMORY}


@pytest.mark.parametrize(
    ("overrides", "memory"),
    [
        ((), {"mem_per_cpu": "2G"}),  # the default
        (("hydra.launcher.mem_gb=2",), {"mem_gb": 2}),  # replaces the default
        (("hydra.launcher.mem_per_gpu=8G", "trainer=gpu"), {"mem_per_gpu": "8G"}),
        (("hydra.launcher.mem_per_cpu=4G",), {"mem_per_cpu": "4G"}),
        (("hydra.launcher.mem_per_cpu=null",), {}),  # none: the cluster's default
    ],
)
def test_one_memory_knob_replaces_the_default(overrides, memory):
    assert {k: v for k, v in request(*overrides).items() if v is not None} == memory


@pytest.mark.parametrize(
    "overrides",
    [
        ("hydra.launcher.mem_gb=2", "hydra.launcher.mem_per_cpu=4G"),
        ("hydra.launcher.mem_gb=2", "hydra.launcher.mem_per_gpu=8G"),
        ("hydra.launcher.mem_per_cpu=1G", "hydra.launcher.mem_per_gpu=8G"),
    ],
)
def test_two_memory_knobs_are_refused_in_one_line(overrides):
    with pytest.raises(ConfigError, match="sbatch takes one memory request") as error:
        request(*overrides)
    assert all(override in str(error.value) for override in overrides)


def test_two_memory_knobs_stop_a_slurm_sweep_before_anything_is_submitted(tmp_path):
    result = run_cli(
        "seqbench.train", "-m", "hydra/launcher=slurm", "hydra.launcher.mem_gb=2",
        "hydra.launcher.mem_per_cpu=4G", f"paths.root_dir={tmp_path}",
        f"hydra.sweep.dir={tmp_path / 'sweep'}", timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "sbatch takes one memory request" in one_line_error(result)
    assert not (tmp_path / "sweep" / ".submitit").exists()
