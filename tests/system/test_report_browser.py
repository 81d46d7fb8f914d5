"""The HTML report in a real browser: headless Chromium renders it, the DOM must hold every
table and plot, and the page must log nothing: no script error, no console error, no CSP
violation and no request for anything but the file itself.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: NUL-
separated JSON on file descriptors 3 and 4), so no websocket client or port is needed. When
no Chromium is installed the test installs Debian's package with apt-get, never skips.
A full-page screenshot is kept in artifacts/report.png (or the test's tmp dir).
"""

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.cli import ROOT
from helpers.hostile import hostile_runs
from test_report import MODELS, report_runs  # noqa: F401  (the shared session fixture)

from seqbench.page.html import CSP
from seqbench.report.build import write_report
from seqbench.report.page import TITLE

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",  # root in containers and CI
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
]
WIDTH = 1400


def find_chromium() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def ensure_chromium() -> str:
    """The browser binary; installs Debian's chromium with apt-get if there is none."""
    if found := find_chromium():
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        done = subprocess.run([*sudo, *step], capture_output=True, text=True, env=env, timeout=900)
        assert done.returncode == 0, f"{' '.join(step)} failed:\n{done.stderr[-2000:]}"
    found = find_chromium()
    assert found, "apt-get installed chromium but no chromium binary is on PATH"
    return found


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


class Chromium:
    """Headless Chromium with a DevTools session on one page; keeps every event it gets."""

    def __init__(self, binary: str) -> None:
        # chromium's helper processes may still write to the profile as it goes away
        self.profile = tempfile.TemporaryDirectory(
            prefix="seqbench-chromium-", ignore_cleanup_errors=True
        )
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()
        # the browser expects the pipes on fds 3 and 4: move ours out of the way first
        high_in = fcntl.fcntl(to_browser, fcntl.F_DUPFD_CLOEXEC, 10)
        high_out = fcntl.fcntl(from_browser, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_browser), os.close(from_browser)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the browser)

        def wire_fds() -> None:
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        # while fds 3 and 4 are taken here, Popen's own error pipe cannot land on them
        placeholders = [os.open(os.devnull, os.O_RDONLY) for fd in (3, 4) if not _is_open(fd)]
        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            pass_fds=(3, 4),
            preexec_fn=wire_fds,
            start_new_session=True,  # one process group: close() ends the helpers too
        )
        for fd in (high_in, high_out, *placeholders):
            os.close(fd)
        self._buffer, self._next_id, self.events = b"", 0, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
        self.session = attached["sessionId"]

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._reader], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"chromium did not answer in time; log: {self.stderr()}")
            chunk = os.read(self._reader, 1 << 20)
            if not chunk:
                raise EOFError(f"chromium exited; log: {self.stderr()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, timeout: float = 30, session: bool = False, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self._next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply["result"]
            self.events.append(reply)

    def page(self, method: str, **params) -> dict:
        return self.call(method, session=True, **params)

    def wait_for(self, event: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for seen in self.events:
                if seen.get("method") == event:
                    return seen
            self.events.append(self._message(deadline))

    def evaluate(self, expression: str):
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def open(self, url: str) -> None:
        """Load url with every error channel switched on, then wait for the load event."""
        self.events.clear()
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.page(f"{domain}.enable")
        self.page(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=1000,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.page("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.evaluate("new Promise(done => requestAnimationFrame(() => done(true)))")

    def problems(self, page_url: str) -> list[str]:
        """Everything the page logged that is an error, and any request beyond the page."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"log: {params['entry'].get('text')}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if url != page_url and not url.startswith("data:"):
                    found.append(f"request: {url}")
        return found

    def screenshot(self, path: Path) -> Path:
        height = self.evaluate("document.documentElement.scrollHeight")
        self.page(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=min(height, 16000),
            deviceScaleFactor=1,
            mobile=False,
        )
        shot = self.page("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        os.close(self._writer), os.close(self._reader)
        self.log.close()
        self.profile.cleanup()


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium(ensure_chromium())
    yield chromium
    chromium.close()


def artifact_dir(tmp_path: Path) -> Path:
    """artifacts/ at the repo root (gitignored) when writable, else the test's tmp dir."""
    folder = ROOT / "artifacts"
    try:
        folder.mkdir(exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("")
        probe.unlink()
        return folder
    except OSError:
        return tmp_path


DOM_FACTS = """(() => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  return {
    summary: document.querySelectorAll('#summary-table tbody tr').length,
    results: [...document.querySelectorAll('table.results')].map(t => ({
      dataset: t.dataset.dataset,
      models: [...t.querySelectorAll('tbody tr[data-model]')].map(r => r.dataset.model),
      size: box(t)})),
    figures: [...document.querySelectorAll('figure.plot')].map(f => {
      const svg = f.querySelector('svg');
      return {kind: f.dataset.kind, dataset: f.dataset.dataset,
              size: svg ? box(svg) : [0, 0],
              marks: svg ? svg.querySelectorAll('path, use, rect, line, polyline').length : 0,
              text: svg ? svg.textContent : ''};
    }),
    failed: [...document.querySelectorAll('table.runs tr[data-status="failed"]')]
      .map(r => r.textContent),
    readings: [...document.querySelectorAll('section.dataset p.reading')].map(p => p.textContent),
    lessons: [...document.querySelectorAll('figure.lesson')].map(f => {
      const svg = f.querySelector('svg');
      return {lesson: f.dataset.lesson, size: svg ? box(svg) : [0, 0],
              marks: svg ? svg.querySelectorAll('path, polyline, line, circle').length : 0};
    }),
  };
})()"""


@pytest.mark.slow
def test_report_renders_in_chromium_with_every_table_and_plot(
    browser, report_runs, raw_dir, tmp_path
):
    written = write_report(report_runs / "runs", tmp_path / "reports", raw_dir)
    url = written["html"].resolve().as_uri()
    browser.open(url)
    shot = browser.screenshot(artifact_dir(tmp_path) / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000

    assert browser.problems(url) == []
    facts = browser.evaluate(DOM_FACTS)
    datasets = sorted(written["datasets"])
    assert facts["summary"] == len(datasets)
    assert sorted(t["dataset"] for t in facts["results"]) == datasets
    for table in facts["results"]:
        assert table["models"] == list(MODELS)
        assert table["size"][0] > 300 and table["size"][1] > 100
    kinds = sorted((f["dataset"], f["kind"]) for f in facts["figures"])
    assert kinds == sorted((d, k) for d in datasets for k in ("bars", "curves"))
    for figure in facts["figures"]:
        width, height = figure["size"]
        assert width > 300 and height > 200, figure["kind"]
        assert figure["marks"] > 20, figure["kind"]
        for model in MODELS:  # every model is labelled: bar ticks or curve legend
            assert model in figure["text"], (figure["kind"], figure["dataset"], model)
    assert any("nan at step 3" in row and "failed" in row for row in facts["failed"])
    assert len(facts["readings"]) == len(datasets)
    for reading in facts["readings"]:  # a winner only where the curves and seeds settle it
        assert "Order at equal steps" in reading and "Validation curves at the end" in reading
        assert (" wins on " in reading) == ("is named the winner" in reading)
    # every run records its gradient flow, so that lesson is drawn, one panel per dataset
    assert [f["lesson"] for f in facts["lessons"]] == ["gradient-flow"] * len(datasets)
    for figure in facts["lessons"]:
        assert figure["size"][0] > 300 and figure["size"][1] > 200 and figure["marks"] > 20


def test_the_error_check_catches_broken_pages(browser, tmp_path):
    """The same checks must fail on a page with a script error, and on one that asks for an
    external image. That page carries the report's Content-Security-Policy, so the image is
    refused without touching the network, and the refusal itself is what gets logged."""
    pages = {
        "exception:": "<script>undefinedFunction()</script>",
        "example.invalid": f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        "<img src='https://example.invalid/x.png'>",
    }
    for expected, body in pages.items():
        page = tmp_path / "broken.html"
        page.write_text(f"<!doctype html><html><head></head><body>{body}</body></html>")
        browser.open(page.as_uri())
        problems = browser.problems(page.as_uri())
        assert any(expected in problem for problem in problems), (expected, problems)


class _Beacon(BaseHTTPRequestHandler):
    """Records every request: a payload that ran would have sent the browser here."""

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def beacon():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    server.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


INJECTED = """(() => ({
  title: document.title,
  injected: document.querySelectorAll(
    '#injected, img, script, base, form, iframe, object, embed, link, body meta').length,
  handlers: [...document.querySelectorAll('*')].flatMap(
    el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => a.name)),
  styles: document.querySelectorAll('style').length,
  hidden: getComputedStyle(document.body).display === 'none',
  datasets: [...document.querySelectorAll('table.results')].map(t => t.dataset.dataset),
  text: document.body.textContent,
}))()"""


def test_crafted_names_in_every_field_run_nothing_in_chromium(browser, beacon, tmp_path):
    """R-html: run folders whose names, reasons, config, provenance, curves columns and lesson
    files carry payloads that would reach a local server (a meta refresh, an inline handler,
    a script, a stylesheet import, a base URL) if any became markup. The server must see no
    request, the browser log no CSP violation (nothing tried), the DOM hold no injected
    element, and every name must be shown as text."""
    url = f"http://127.0.0.1:{beacon.server_port}"
    made = hostile_runs(tmp_path, url)
    written = write_report(made["runs"], made["out"], made["raw"])
    page = written["html"].resolve().as_uri()
    browser.open(page)
    time.sleep(1.5)  # a meta refresh fires after the load event
    facts = browser.evaluate(INJECTED)
    assert beacon.hits == []
    assert browser.problems(page) == []
    assert facts["title"] == TITLE and not facts["hidden"]
    assert facts["injected"] == 0 and facts["handlers"] == [] and facts["styles"] == 1
    assert sorted(facts["datasets"]) == sorted(
        d.replace("\u202e", "\\u202e") for d in made["datasets"]
    )
    for value in made["values"].values():
        assert value.split("\n")[0] in facts["text"]


def test_the_report_csp_blocks_inline_handlers_scripts_and_styles(browser, beacon, tmp_path):
    """The second wall, on its own: a page under the report's CSP holding an inline handler,
    a script, a <style> and a stylesheet link runs and applies none of them, and fetches
    nothing; the page's own style (by its hash) still applies."""
    from seqbench.page.html import CSS

    url = f"http://127.0.0.1:{beacon.server_port}"
    page = tmp_path / "csp.html"
    page.write_text(
        f'<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<style>{CSS}</style><title>t</title></head><body>"
        f"<img src=\"data:,\" onerror=\"document.title='handler';fetch('{url}/h')\">"
        f"<script>document.title='script';fetch('{url}/s')</script>"
        f"<style>body{{display:none}}</style><link rel=stylesheet href='{url}/l.css'>"
        f"<svg><rect onload=\"document.title='svg'\"/></svg><table><tr><th>x</th></tr></table>"
        "</body></html>"
    )
    browser.open(page.as_uri())
    time.sleep(0.5)
    assert browser.evaluate("document.title") == "t"
    assert browser.evaluate("getComputedStyle(document.body).display") == "block"
    th = "getComputedStyle(document.querySelector('th')).fontWeight"
    assert browser.evaluate(th) == "600"  # the page's own CSS, admitted by its hash
    assert beacon.hits == []
    violations = [p for p in browser.problems(page.as_uri()) if "Content Security Policy" in p]
    assert len(violations) >= 3, browser.problems(page.as_uri())
