"""Shared fixtures: the project root and one fetched copy of the default raw snapshot; and the
`slow` mark on every test that needs them, so `pytest -m "not slow"` is a fast loop."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from helpers.cli import ROOT  # noqa: F401  (the project root, for fixtures below)

# Fixtures that build the real datasets (seconds of CPU) or train a run on them: a test that
# asks for one, directly or through another fixture, is slow whether or not it says so.
SLOW_FIXTURES = frozenset({"raw_dir", "project"})
# Marks of tests that start real infrastructure (a SLURM cluster) or train on a GPU.
SLOW_MARKS = frozenset({"slurm", "gpu"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark slow what trains or fetches, so the fast loop need not trust each file to say so."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        marks = {mark.name for mark in item.iter_markers()}
        if needs & SLOW_FIXTURES or marks & SLOW_MARKS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default datasets, fetched once per test session into a temporary data/raw."""
    from seqbench.data import fetch, registry

    raw = tmp_path_factory.mktemp("project") / "data" / "raw"
    fetch.fetch(registry.default_names(), raw)
    return raw


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """A template project (data/raw, data.dvc, params.yaml, one finished run) that the
    refusal suites copy for each case; see tests/helpers/refusals.py."""
    from helpers.refusals import make_template

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
