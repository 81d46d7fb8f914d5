"""No secret reaches a file or the console: values of secret-looking keys given on the command
line, and the W&B API key, are absent from every byte seqbench and its libraries write (the
run's .hydra record, the CSV and W&B logs, the sweep's files, file names) and from what it
prints, in any form Hydra makes of them (a sweep's values, a list's elements, a quoted value
with a space or a comma, a failed job's override list), and whatever fails. A W&B key given as
a config value is refused. And a W&B key with no W&B server to talk to means offline logging
within seconds, not a hang.

Every secret below holds the marker ``SEKRET``, so one search finds any fragment of it."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers.cli import SMOKE as QUICK
from helpers.refusals import TRAIN, Case, check, seqbench
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

from seqbench.safety.redaction import scrub
from seqbench.train import build

MARK = "SEKRET"
SECRETS = {  # an override -> how the run's .hydra/config.yaml must record it
    "+secret_token=tok-SEKRET-1": ("secret_token",),
    "+db.password=pw-SEKRET-2": ("db", "password"),
    "+my_api_key=key-SEKRET-3": ("my_api_key",),
    '+API_KEY="SEKRET_HEAD SEKRETTAIL"': ("API_KEY",),  # S05: a space, upper case
    "+a.b.secret='SEKRET_HEAD,SEKRETTAIL'": ("a", "b", "secret"),  # S06: a comma, nested
    "+passwords=[SEKRET_L1,SEKRET_L2]": ("passwords",),  # S11: a list
    r"+escaped_token=SEKRET_E1\,SEKRETTAIL": ("escaped_token",),  # Hydra's escaped comma
    "+service={token:SEKRET_D1,name:x}": ("service", "token"),  # a secret inside a dict
    "+ACCESS_TOKEN=${oc.env:SERVICE_CREDENTIAL}": ("ACCESS_TOKEN",),  # from the environment
}
ENV_SECRET = {"SERVICE_CREDENTIAL": "env-SEKRET-9"}  # a name that does not look secret
SMOKE = (
    "data=copy",
    "model=gru",
    "data.batch_size=8",
    *(o for o in QUICK if not o.startswith(("logger=", "print_config="))),
)


def leaks(root: Path, values: list[str], *texts: str) -> list[str]:
    """Where any of ``values`` appears: paths below ``root`` (in a name or in the bytes of a
    file), or "output"."""
    found = [
        str(path)
        for path in root.rglob("*")
        if any(v in str(path.relative_to(root)) for v in values)
        or (path.is_file() and any(v.encode() in path.read_bytes() for v in values))
    ]
    return found + ["output" for text in texts if any(v in text for v in values)]


@pytest.fixture
def fresh_project(tmp_path, raw_dir):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "raw").symlink_to(raw_dir)
    return project


VARIANTS = [
    "+secret_token=SEKRET_A,SEKRET_B",  # S04: a sweep
    '+secret_token="SEKRET_HEAD SEKRETTAIL"',  # S05
    '+secret_token="SEKRET_HEAD,SEKRETTAIL"',  # S06
    "+secret_token=[SEKRET_A,SEKRET_B]",  # S11
    "+secret_token='SEKRET_HEAD SEKRETTAIL',SEKRET_B",  # a sweep of quoted values
    '+other_token=choice("SEKRET_C1 SEKRETTAIL",SEKRET_C2)',  # Hydra escapes the space
    r"+sp_token=SEKRET_S1\ SEKRETTAIL",
    "+n_token=[[SEKRET_N1],{a:SEKRET_N2}]",
    "+svc={password:'SEKRET_HEAD SEKRETTAIL',user:me}",
    "+a.b.secret=SEKRET_N",
    "API_KEY=SEKRET_U",
    "~token=SEKRET_T",  # a deletion names the value it deletes
]


@pytest.mark.parametrize("override", VARIANTS)
def test_every_form_hydra_writes_of_a_secret_is_scrubbed(override):
    """What Hydra makes of the override: the sweep's overrides (multirun.yaml), each job's
    (its overrides.yaml and override_dirname) and a failed job's override list on stderr."""
    argv = ["seqbench-train", "data=copy", override, "seed=0"]
    parsed = OverridesParser.create().parse_overrides(argv[1:])
    for job in [argv[1:], *BasicSweeper.split_arguments(parsed, None)[0]]:
        for text in (str(job), " ".join(job), ",".join(sorted(job)), json.dumps(job)):
            assert MARK not in scrub(text, argv), (text, scrub(text, argv))
            assert "data=copy" in scrub(text, argv) and "seed=0" in scrub(text, argv)


@pytest.mark.parametrize(
    "text",
    [
        '+secret_token="SEKRET_HEAD SEKRETTAIL" seed=0',
        "['+secret_token=SEKRET_A,SEKRET_B', 'seed=0']",
        "+Password=[SEKRET_A,SEKRET_B],seed=0",
        "api_key=choice(SEKRET_A,SEKRET_B) seed=0",
        "x.token='SEKRET_HEAD,SEKRETTAIL',seed=0",
    ],
)
def test_a_secret_assignment_is_scrubbed_without_its_command_line(text):
    """Text that names a secret-looking key, its value not from this command line."""
    assert MARK not in scrub(text, []) and "seed=0" in scrub(text, []), scrub(text, [])


@pytest.mark.slow
def test_a_run_writes_no_secret_anywhere(fresh_project):
    key = "wandb-key-SEKRET-4"
    result = seqbench(
        fresh_project,
        "train",
        *SMOKE,
        "logger=wandb",
        *SECRETS,
        env={"WANDB_API_KEY": key, "WANDB_MODE": "offline", **ENV_SECRET},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run = fresh_project / "outputs" / "copy" / "gru" / "0"
    assert list((run / "wandb").glob("offline-run-*/*.wandb")), "W&B wrote no offline run"
    assert (run / "csv").is_dir() and (run / "train.log").is_file()
    assert "secret_token" in result.stdout  # the printed config tree, scrubbed
    record = yaml.safe_load((run / ".hydra" / "config.yaml").read_text())
    for path in SECRETS.values():
        value = record
        for key_part in path:
            value = value[key_part]
        assert value == "***", (path, value)
    assert record["data"]["name"] == "copy"  # the record is the run's config, not a stub
    assert record["service"]["name"] == "x"  # a dict keeps what is not secret
    overrides_kept = yaml.safe_load((run / ".hydra" / "overrides.yaml").read_text())
    assert "+secret_token=***" in overrides_kept and "data=copy" in overrides_kept
    assert leaks(fresh_project, [MARK], result.stdout, result.stderr) == []


@pytest.mark.slow
def test_a_sweep_writes_no_secret_anywhere(fresh_project):
    """S04: a sweep over a secret (and a choice(...) of one with a space)."""
    result = seqbench(
        fresh_project,
        "train",
        "-m",
        *TRAIN[1:],
        *SMOKE,
        "+secret_token=SEKRET_A,SEKRET_B",
        '+other_token=choice("SEKRET_C1 SEKRETTAIL")',
        "hydra.sweep.dir=multirun/S04",
        timeout=400,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    sweep = fresh_project / "multirun" / "S04"
    assert (sweep / "multirun.yaml").is_file() and (sweep / "sweep_summary.csv").is_file()
    summary = (sweep / "sweep_summary.csv").read_text()
    assert summary.count("+secret_token=***") == 2 and summary.count("finished") == 2
    job = yaml.safe_load((sweep / "0" / ".hydra" / "hydra.yaml").read_text())["hydra"]["job"]
    assert "+secret_token=***" in job["override_dirname"]
    assert leaks(fresh_project, [MARK], result.stdout, result.stderr) == []


@pytest.mark.parametrize(
    "argv",
    [
        ("secret_token=echo-SEKRET-6",),  # Hydra: "To append to your config use +secret..."
        ("+api_key=echo-SEKRET-6", "model.hidden_size=[1"),
        ("+api_key=echo-SEKRET-6", "data.seq_len=${oops}"),
        ("+password=echo-SEKRET-6", "paths.run_dir=data/raw/copy"),
        ("+secret_token=SEKRET_A,SEKRET_B",),  # a sweep without -m
        ("+secret_token=[SEKRET_A,SEKRET_B",),  # a list Hydra cannot read
        ("+secret_token='SEKRET_HEAD SEKRETTAIL",),  # an unclosed quote
        ("+TOKEN=SEKRET_U", "model=nope"),
    ],
)
def test_error_lines_do_not_echo_secrets(fresh_project, argv):
    result = seqbench(fresh_project, *TRAIN, *argv)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert leaks(fresh_project, [MARK], result.stdout, result.stderr) == []


WANDB_KEYS = [  # S01: the key W&B would need, given where a config value goes
    Case("S01-wandb-api-key", (*TRAIN, "data=adding", "+logger.wandb.api_key=SEKRET"), ""),
    Case("S01-forced", (*TRAIN, "logger=wandb", "++logger.wandb.api_key=SEKRET"), ""),
    Case("S01-key", (*TRAIN, "logger=wandb", "+logger.wandb.key=SEKRET"), ""),
    Case("S01-upper-token", (*TRAIN, "logger=wandb", "+logger.wandb.API_TOKEN=SEKRET"), ""),
    Case("S01-top-level", (*TRAIN, "+wandb_api_key=SEKRET"), ""),
]


@pytest.mark.parametrize("case", WANDB_KEYS, ids=lambda case: case.id)
def test_a_wandb_key_in_the_config_is_refused(case, project, tmp_path):
    result = check(case, project, tmp_path)
    assert "WANDB_API_KEY" in result.stderr and "never a config value" in result.stderr
    assert MARK not in result.stdout + result.stderr


FAILS = """
import os, sys
from omegaconf import OmegaConf
import seqbench.train.run as train

def fails(cfg, *args):  # a failure no check foresees, its message holding every secret
    raise RuntimeError(f"{OmegaConf.to_container(cfg, resolve=True)} {dict(os.environ)}")

train.start = fails  # the run checked and its folder claimed, as a real failure finds them
sys.argv = ["seqbench-train", *sys.argv[1:]]
train.main()
"""


@pytest.mark.parametrize("multirun", [False, True], ids=["run", "sweep"])
def test_an_unexpected_failure_prints_no_secret(fresh_project, multirun):
    """S17: Hydra writes a failed job's overrides to stderr itself (past logging), and the
    traceback holds the exception's message; seqbench-train scrubs its console."""
    argv = [*TRAIN[1:], *SMOKE, *SECRETS, "+secret_token2=SEKRET_A,SEKRET_B"]
    argv = ["-m", *argv, "hydra.sweep.dir=multirun/s"] if multirun else argv[:-1]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB", "SEQ"))}
    result = subprocess.run(
        [sys.executable, "-c", FAILS, *argv],
        capture_output=True,
        text=True,
        env=environment
        | {"HOME": str(fresh_project.parent / "home"), "WANDB_API_KEY": "wandb-SEKRET-5"}
        | ENV_SECRET,
        cwd=fresh_project,
        timeout=120,
    )
    assert "error: run failed: {" in result.stderr, result.stderr[-3000:]
    metrics = json.loads(next(fresh_project.rglob("metrics.json")).read_text())
    assert metrics["status"] == "failed" and "secret_token" in metrics["reason"]
    if not multirun:  # the path the real failure takes: Hydra's line, then the traceback
        assert result.returncode == 1
        assert "Error executing job with overrides" in result.stderr
        assert "secret_token" in result.stderr  # the message, its values scrubbed
    assert leaks(fresh_project, [MARK], result.stdout, result.stderr) == []


@pytest.mark.slow
def test_a_failing_run_prints_no_secret(fresh_project):
    """S17 as found: a run that fails (today with a traceback, once refused in one line)."""
    argv = ("data=shakespeare", "task=adding", *SMOKE[2:], *SECRETS)
    result = seqbench(fresh_project, *TRAIN, *argv, env=ENV_SECRET, timeout=300)
    assert result.returncode != 0 and "error: " in result.stderr
    assert leaks(fresh_project, [MARK], result.stdout, result.stderr) == []


class Silent:
    """A server that accepts connections and never answers: a network that hangs."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"


def test_wandb_goes_online_only_where_a_server_answers(monkeypatch, tmp_path, answering_server):
    for key in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert build.wandb_mode() == "offline"  # no credentials
    monkeypatch.setenv("WANDB_API_KEY", "x")
    monkeypatch.setenv("WANDB_BASE_URL", answering_server)
    assert build.wandb_mode() == "online"
    monkeypatch.setenv("WANDB_BASE_URL", Silent().url)
    assert build.wandb_mode() == "offline"


@pytest.mark.slow
def test_a_wandb_key_without_a_server_trains_offline(fresh_project):
    silent = Silent()
    env = {"WANDB_API_KEY": "k-SEKRET-7", "WANDB_BASE_URL": silent.url, "WANDB_MODE": ""}
    result = seqbench(fresh_project, "train", *SMOKE, "logger=wandb", env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warning: the W&B server" in result.stderr and "logging offline" in result.stderr
    run = fresh_project / "outputs" / "copy" / "gru" / "0"
    assert list((run / "wandb").glob("offline-run-*/*.wandb"))
    assert leaks(fresh_project, ["k-SEKRET-7"], result.stdout, result.stderr) == []

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
