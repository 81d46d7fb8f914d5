"""No secret reaches a file or a log: values of secret-looking keys given on the command line,
and the W&B API key, are absent from every byte seqbench and its libraries write (the
run's .hydra record, the CSV and W&B logs, the sweep's files) and from what it prints. And
a W&B key with no W&B server to talk to means offline logging within seconds, not a hang."""

import socket
from pathlib import Path

import pytest
import yaml
from refusals import TRAIN, seqbench

from seqbench import builder

SECRETS = {
    "+secret_token": "tok-SECRET-1",
    "+db.password": "pw-SECRET-2",
    "+my_api_key": "key-SECRET-3",
}
SMOKE = ("data=copy", "model=gru", "budget=smoke", "data.batch_size=8", "budget.val_batches=2")


def leaks(root: Path, values: list[str], *texts: str) -> list[str]:
    """Where any of ``values`` appears: file paths below ``root``, or "output"."""
    found = [
        str(path)
        for path in root.rglob("*")
        if path.is_file() and any(v.encode() in path.read_bytes() for v in values)
    ]
    return found + ["output" for text in texts if any(v in text for v in values)]


@pytest.fixture
def fresh_project(tmp_path, raw_dir):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "raw").symlink_to(raw_dir)
    return project


@pytest.mark.slow
def test_a_run_writes_no_secret_anywhere(fresh_project):
    overrides = [f"{key}={value}" for key, value in SECRETS.items()]
    key = "wandb-key-SECRET-4"
    result = seqbench(
        fresh_project,
        "train",
        *SMOKE,
        "logger=wandb",
        *overrides,
        env={"WANDB_API_KEY": key, "WANDB_MODE": "offline"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run = fresh_project / "outputs" / "copy" / "gru" / "0"
    assert list((run / "wandb").glob("offline-run-*/*.wandb")), "W&B wrote no offline run"
    record = yaml.safe_load((run / ".hydra" / "config.yaml").read_text())
    assert record["secret_token"] == record["db"]["password"] == "***"
    assert record["data"]["name"] == "copy"  # the record is the run's config, not a stub
    overrides_kept = yaml.safe_load((run / ".hydra" / "overrides.yaml").read_text())
    assert "+secret_token=***" in overrides_kept and "data=copy" in overrides_kept
    assert leaks(fresh_project, [*SECRETS.values(), key], result.stdout, result.stderr) == []


@pytest.mark.slow
def test_a_sweep_writes_no_secret_anywhere(fresh_project):
    result = seqbench(
        fresh_project,
        "train",
        "-m",
        *TRAIN[1:],
        *SMOKE,
        "seed=0,1",
        "+api_key=sweep-SECRET-5",
        "hydra.sweep.dir=multirun/s",
        timeout=400,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    sweep = fresh_project / "multirun" / "s"
    assert (sweep / "multirun.yaml").is_file() and (sweep / "sweep_summary.csv").is_file()
    assert "+api_key=***" in (sweep / "sweep_summary.csv").read_text()
    assert leaks(fresh_project, ["sweep-SECRET-5"], result.stdout, result.stderr) == []


@pytest.mark.parametrize(
    "argv",
    [
        ("secret_token=echo-SECRET-6",),  # Hydra: "To append to your config use +secret..."
        ("+api_key=echo-SECRET-6", "model.hidden_size=[1"),
        ("+api_key=echo-SECRET-6", "data.seq_len=${oops}"),
        ("+password=echo-SECRET-6", "paths.run_dir=data/raw/copy"),
    ],
)
def test_error_lines_do_not_echo_secrets(fresh_project, argv):
    result = seqbench(fresh_project, *TRAIN, *argv)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert leaks(fresh_project, ["echo-SECRET-6"], result.stdout, result.stderr) == []


class Silent:
    """A server that accepts connections and never answers: a network that hangs."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"


def test_wandb_goes_online_only_where_a_server_answers(monkeypatch, tmp_path, answering_server):
    for key in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert builder.wandb_mode() == "offline"  # no credentials
    monkeypatch.setenv("WANDB_API_KEY", "x")
    monkeypatch.setenv("WANDB_BASE_URL", answering_server)
    assert builder.wandb_mode() == "online"
    monkeypatch.setenv("WANDB_BASE_URL", Silent().url)
    assert builder.wandb_mode() == "offline"


@pytest.mark.slow
def test_a_wandb_key_without_a_server_trains_offline(fresh_project):
    silent = Silent()
    env = {"WANDB_API_KEY": "k-SECRET-7", "WANDB_BASE_URL": silent.url, "WANDB_MODE": ""}
    result = seqbench(fresh_project, "train", *SMOKE, "logger=wandb", env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warning: the W&B server" in result.stderr and "logging offline" in result.stderr
    run = fresh_project / "outputs" / "copy" / "gru" / "0"
    assert list((run / "wandb").glob("offline-run-*/*.wandb"))
    assert leaks(fresh_project, ["k-SECRET-7"], result.stdout, result.stderr) == []

    explicit = seqbench(
        fresh_project,
        "train",
        *SMOKE,
        "seed=1",
        "logger=wandb",
        env=env | {"WANDB_MODE": "online"},
    )
    assert explicit.returncode == 2
    errors = [line for line in explicit.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "WANDB_MODE=online but the W&B server" in errors[0]
    assert "Traceback" not in explicit.stderr
