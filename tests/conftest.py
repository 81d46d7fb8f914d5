"""Shared fixtures: the project root and one fetched copy of the default raw snapshot."""

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE = (  # a training run of seconds: 4 steps, 2 batches to validate and test, CSV logs
    "budget=smoke",
    "budget.max_steps=4",
    "budget.val_every=2",
    "budget.val_batches=2",
    "budget.test_batches=2",
    "logger=csv",
    "print_config=false",
    "callbacks.progress_bar=null",
)


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default datasets, fetched once per test session into a temporary data/raw."""
    from seqbench.data import fetch, registry

    raw = tmp_path_factory.mktemp("project") / "data" / "raw"
    fetch.fetch(registry.default_names(), raw)
    return raw


def run_cli(*args: str, env: dict | None = None, timeout: float = 120, cwd: Path = ROOT):
    """Run a console command as a user would; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=cwd,
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The single `error:` line a user sees; fails if there is a traceback or several lines."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """A template project (data/raw, data.dvc, params.yaml, one finished run) that the
    refusal suites copy for each case; see tests/refusals.py."""
    from refusals import make_template

    return make_template(tmp_path_factory.mktemp("template") / "project", raw_dir)


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering_server() -> Iterator[str]:
    """The URL of a local HTTP server that answers (404): a reachable W&B host, as far as
    seqbench's reachability check can tell."""
    server = HTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
