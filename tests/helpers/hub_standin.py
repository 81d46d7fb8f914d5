"""A local stand-in for the Hugging Face Hub, so the real Hub client code can be tested offline.

`start_hub_standin()` runs a tiny HTTP server on 127.0.0.1 that answers the few Hub routes that
`datasets.load_dataset(repo_id, revision=...)` and `huggingface_hub` use to find, list and
download the files of a dataset repository. Point `HF_ENDPOINT` at it (the `hub_env` fixture does
that, and more) and the unmodified client code runs against it.

Routes served (checked against huggingface_hub 2.4 / datasets 5.2 sources):

- `GET  /api/datasets/{repo}` and `GET /api/datasets/{repo}/revision/{rev}` (`HfApi.dataset_info`,
  `HfApi.repo_info`, `HfFileSystem.resolve_path`): repo info JSON with `id`, `sha`, `siblings`...
- `GET  /api/datasets/{repo}/tree/{rev}[/{dir}]?recursive=...` (`HfApi.list_repo_tree`, used by
  `HfFileSystem.ls/glob/find`): every entry in one page, so no `Link` pagination header.
- `POST /api/datasets/{repo}/paths-info/{rev}` (`HfApi.get_paths_info`, for `HfFileSystem.info`).
- `HEAD`/`GET /datasets/{repo}/resolve/{rev}/{file}` (`hf_hub_download`, `HfFileSystem.open`): the
  bytes, with `X-Repo-Commit`, `ETag` (git blob sha1) and `Content-Length`; single `Range` requests
  are honoured (206).

`rev` may be a branch name, possibly with slashes and url-encoded (`refs%2Fconvert%2Fparquet`), or
a commit sha. Errors carry the `X-Error-Code` header the client maps to its exceptions:
`RepoNotFound` -> `RepositoryNotFoundError`, `RevisionNotFound` -> `RevisionNotFoundError`,
`EntryNotFound` -> `RemoteEntryNotFoundError`. Anything else answers a plain 404; in particular the
dataset viewer (`http://datasets-server.<endpoint host>/...`) is not emulated, and `datasets` then
simply reads the repository files.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

LAST_MODIFIED = "2024-01-01T00:00:00.000Z"


def git_blob_oid(data: bytes) -> str:
    """The git object id of a file, which the Hub reports as `oid` and `ETag` for non-LFS files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def commit_sha(files: dict[str, bytes]) -> str:
    """A 40-hex "commit" sha derived only from the file paths and contents."""
    digest = hashlib.sha1()
    for path in sorted(files):
        digest.update(f"{path}\0{git_blob_oid(files[path])}\n".encode())
    return digest.hexdigest()


def _tree_oid(files: dict[str, bytes], directory: str) -> str:
    return commit_sha({p: data for p, data in files.items() if p.startswith(directory + "/")})


def _parent_dirs(path: str) -> list[str]:
    """`"a/b/c.txt"` -> `["a", "a/b"]`."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "yes"}


@dataclass
class _Repo:
    refs: dict[str, str] = field(default_factory=dict)  # branch name -> commit sha
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # sha -> {path: bytes}

    def resolve(self, revision: str) -> str | None:
        """Branch name or full commit sha -> commit sha (None when unknown)."""
        if revision in self.refs:
            return self.refs[revision]
        return revision if revision in self.commits else None


class _HubError(Exception):
    def __init__(self, code: str | None, message: str, commit: str | None = None):
        super().__init__(message)
        self.code = code
        self.commit = commit


@dataclass
class HubStandin:
    """A running stand-in Hub: add repos with `add_dataset`, read the traffic in `requests`."""

    url: str  # "http://127.0.0.1:PORT"; use it as HF_ENDPOINT
    # (method, path) of every request served, in order; the path is as sent (still url-encoded),
    # without the query string.
    requests: list[tuple[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _repos: dict[str, _Repo] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_dataset(self, repo_id: str, files: dict[str, bytes], revision: str = "main") -> str:
        """Create (or move) branch `revision` of dataset repo `repo_id` to a commit holding `files`.

        Several revisions per repo are allowed ("main", "refs/convert/parquet", ...). Returns the
        commit sha (derived from the contents only), which also works as a revision.
        """
        if repo_id.count("/") != 1:
            raise ValueError(f"repo_id must look like 'namespace/name', got {repo_id!r}")
        sha = commit_sha(files)
        with self._lock:
            repo = self._repos.setdefault(repo_id, _Repo())
            repo.commits[sha] = dict(files)
            repo.refs[revision] = sha
        return sha

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- request handling (called from the server threads) --------------------------------------

    def _log(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def _commit(self, repo_id: str, revision: str) -> tuple[str, dict[str, bytes]]:
        with self._lock:
            repo = self._repos.get(repo_id)
            if repo is None:
                raise _HubError("RepoNotFound", f"Repository {repo_id} not found")
            sha = repo.resolve(revision)
            if sha is None:
                raise _HubError("RevisionNotFound", f"Invalid rev id: {revision}")
            return sha, repo.commits[sha]

    def _split_revision(self, repo_id: str, segments: list[str]) -> tuple[str, str]:
        """Split `[rev..., path...]` (decoded segments) on the longest known revision prefix.

        The client url-encodes revisions (`refs%2Fconvert%2Fparquet`), but a raw
        `refs/convert/parquet` is accepted too, as on the real Hub.
        """
        with self._lock:
            repo = self._repos.get(repo_id)
            if repo is None:
                raise _HubError("RepoNotFound", f"Repository {repo_id} not found")
            for i in range(len(segments), 0, -1):
                if repo.resolve("/".join(segments[:i])) is not None:
                    return "/".join(segments[:i]), "/".join(segments[i:])
        raise _HubError("RevisionNotFound", f"Invalid rev id: {segments[0] if segments else ''}")

    def _info(self, repo_id: str, revision: str, blobs: bool) -> dict:
        sha, files = self._commit(repo_id, revision)
        siblings = []
        for path in sorted(files):
            sibling: dict = {"rfilename": path}
            if blobs:
                sibling.update(size=len(files[path]), blobId=git_blob_oid(files[path]))
            siblings.append(sibling)
        return {
            "_id": sha[:24],
            "id": repo_id,
            "author": repo_id.split("/")[0],
            "sha": sha,
            "lastModified": LAST_MODIFIED,
            "createdAt": LAST_MODIFIED,
            "private": False,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": siblings,
        }

    @staticmethod
    def _entry(files: dict[str, bytes], path: str) -> dict | None:
        """Tree/paths-info entry for a file or directory of a commit (None when absent)."""
        if path in files:
            data = files[path]
            return {"type": "file", "oid": git_blob_oid(data), "size": len(data), "path": path}
        if any(p.startswith(path + "/") for p in files):
            return {"type": "directory", "oid": _tree_oid(files, path), "size": 0, "path": path}
        return None

    def _tree(self, repo_id: str, segments: list[str], recursive: bool) -> list[dict]:
        revision, directory = self._split_revision(repo_id, segments)
        sha, files = self._commit(repo_id, revision)
        directory = directory.strip("/")
        prefix = directory + "/" if directory else ""
        if directory and (self._entry(files, directory) or {}).get("type") != "directory":
            raise _HubError("EntryNotFound", f"{directory} does not exist on {revision}", sha)
        paths: set[str] = set()
        for path in files:
            if not path.startswith(prefix):
                continue
            for candidate in [*_parent_dirs(path), path]:
                if not candidate.startswith(prefix):
                    continue  # an ancestor of the listed directory (or the directory itself)
                depth = candidate[len(prefix) :].count("/")
                if recursive or depth == 0:
                    paths.add(candidate)
        return [self._entry(files, p) for p in sorted(paths)]  # type: ignore[misc]

    def _paths_info(self, repo_id: str, segments: list[str], paths: list[str]) -> list[dict]:
        _, files = self._commit(repo_id, "/".join(segments))
        entries = (self._entry(files, p.strip("/")) for p in paths)
        return [e for e in entries if e is not None]

    def _resolve_file(self, repo_id: str, segments: list[str]) -> tuple[str, bytes]:
        revision, path = self._split_revision(repo_id, segments)
        sha, files = self._commit(repo_id, revision)
        if path not in files:
            raise _HubError("EntryNotFound", f"{path} does not exist on {revision}", sha)
        return sha, files[path]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: HubStandin


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args) -> None:  # keep pytest output clean
        pass

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        hub = self.server.hub
        split = urlsplit(self.path)
        hub._log(method, split.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        # Split before decoding, so an encoded "/" inside a segment stays in that segment.
        seg = [unquote(s) for s in split.path.split("/")[1:]]
        try:
            if seg[:2] == ["api", "datasets"] and len(seg) >= 4:
                repo_id, route, rest = f"{seg[2]}/{seg[3]}", seg[4:5], seg[5:]
                blobs = _truthy(query.get("blobs"))
                if method == "GET" and route == []:
                    return self._json(hub._info(repo_id, "main", blobs))
                if method == "GET" and route == ["revision"] and rest:
                    return self._json(hub._info(repo_id, "/".join(rest), blobs))
                if method == "GET" and route == ["tree"] and rest:
                    recursive = _truthy(query.get("recursive"))
                    return self._json(hub._tree(repo_id, rest, recursive))
                if method == "POST" and route == ["paths-info"] and rest:
                    return self._json(hub._paths_info(repo_id, rest, self._form().get("paths", [])))
            elif seg[:1] == ["datasets"] and len(seg) >= 6 and seg[3] == "resolve":
                if method in ("GET", "HEAD"):
                    sha, data = hub._resolve_file(f"{seg[1]}/{seg[2]}", seg[4:])
                    return self._file(method, sha, data)
            elif seg[:2] in (["api", "models"], ["api", "spaces"]):
                raise _HubError("RepoNotFound", "Only dataset repos are served here")
            raise _HubError(None, f"Not served by the Hub stand-in: {method} {split.path}")
        except _HubError as error:
            self._error(method, error)

    def _form(self) -> dict[str, list[str]]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        if "json" in (self.headers.get("Content-Type") or ""):
            data = json.loads(body or "{}")
            return {k: v if isinstance(v, list) else [v] for k, v in data.items()}
        return parse_qs(body)

    def _json(self, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _file(self, method: str, sha: str, data: bytes) -> None:
        status, start, end = 200, 0, len(data)
        range_header = self.headers.get("Range", "")
        if range_header.startswith("bytes=") and "," not in range_header:
            first, _, last = range_header[len("bytes=") :].partition("-")
            if first:
                start, end = int(first), min(int(last) + 1 if last else len(data), len(data))
            elif last:  # suffix range: the last N bytes
                start = max(len(data) - int(last), 0)
            if start >= len(data) and len(data) > 0:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:end]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", f'"{git_blob_oid(data)}"')
        self.send_header("X-Repo-Commit", sha)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)

    def _error(self, method: str, error: _HubError) -> None:
        body = json.dumps({"error": str(error)}).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if error.code is not None:
            self.send_header("X-Error-Code", error.code)
            self.send_header("X-Error-Message", str(error))
        if error.commit is not None:  # lets the client cache "this file does not exist here"
            self.send_header("X-Repo-Commit", error.commit)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)


def start_hub_standin() -> HubStandin:
    """Start a stand-in Hub on 127.0.0.1 (any free port) in a daemon thread."""
    server = _Server(("127.0.0.1", 0), _Handler)
    host, port = server.server_address[:2]
    hub = HubStandin(url=f"http://{host}:{port}", _server=server)
    server.hub = hub
    hub._thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="hub-standin", daemon=True
    )
    hub._thread.start()
    return hub


def set_hub_offline(monkeypatch: pytest.MonkeyPatch, offline: bool = True) -> None:
    """Switch Hub offline mode on/off in this process, as `HF_HUB_OFFLINE=1` at import would.

    Sets the env var and patches the copies read at import time:
    `huggingface_hub.constants.HF_HUB_OFFLINE` (read by `is_offline_mode()`, which blocks every
    request of the Hub http session) and `datasets.config.HF_HUB_OFFLINE` /
    `datasets.config.HF_DATASETS_OFFLINE` (make `load_dataset` go straight to its cache).
    """
    import datasets.config
    import huggingface_hub.constants

    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", offline)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", offline)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", offline)


def _point_clients_at(monkeypatch: pytest.MonkeyPatch, endpoint: str, home: Path) -> None:
    import datasets.config
    import huggingface_hub.constants as hf_constants
    import huggingface_hub.utils._cache_assets as hf_cache_assets
    import huggingface_hub.utils._cache_manager as hf_cache_manager

    hub_cache, assets_cache = home / "hub", home / "assets"
    datasets_cache = home / "datasets"
    env = {
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(hub_cache),
        "HF_ASSETS_CACHE": str(assets_cache),
        "HF_XET_CACHE": str(home / "xet"),
        "HF_DATASETS_CACHE": str(datasets_cache),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_UPDATE_DOWNLOAD_COUNTS": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_CACHE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HF_DATASETS_DOWNLOADED_DATASETS_PATH", "HF_DATASETS_EXTRACTED_DATASETS_PATH"):
        monkeypatch.delenv(name, raising=False)
    set_hub_offline(monkeypatch, False)

    # huggingface_hub: values computed from the environment when `constants` was imported.
    patches = {
        "ENDPOINT": endpoint,
        # `hf_hub_url()` formats this template and only swaps in an explicit `endpoint` when the
        # url starts with ENDPOINT, so it must follow ENDPOINT or downloads go to huggingface.co.
        "HUGGINGFACE_CO_URL_TEMPLATE": endpoint + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_URL_HOSTS": hf_constants.HF_URL_HOSTS | {"127.0.0.1"},
        "HF_HOME": str(home),
        "HUGGINGFACE_HUB_CACHE": str(hub_cache),
        "HF_HUB_CACHE": str(hub_cache),
        "HUGGINGFACE_ASSETS_CACHE": str(assets_cache),
        "HF_ASSETS_CACHE": str(assets_cache),
        "HF_XET_CACHE": str(home / "xet"),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
        # files the client writes under HF_HOME (GET /api/agent-harnesses is fetched once per
        # process, the stand-in answers 404 and the client carries on)
        "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
        "CHECK_FOR_UPDATE_DONE_PATH": str(home / ".check_for_update_done"),
        "CHECK_FOR_SKILL_UPDATE_DONE_PATH": str(home / ".check_for_skill_update_done"),
    }
    for name, value in patches.items():
        monkeypatch.setattr(hf_constants, name, value)
    # `from ..constants import X` copies, looked up when `scan_cache_dir()` / `cached_assets_path()`
    # are called without a directory.
    monkeypatch.setattr(hf_cache_manager, "HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setattr(hf_cache_assets, "HF_ASSETS_CACHE", str(assets_cache))

    # datasets: `config` computes all of these at import time.
    patches = {
        "HF_ENDPOINT": endpoint,
        "HUB_DATASETS_URL": endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}",
        "HF_CACHE_HOME": str(home),
        "HF_DATASETS_CACHE": datasets_cache,
        "HF_MODULES_CACHE": home / "modules",
        "DOWNLOADED_DATASETS_PATH": datasets_cache / "downloads",
        "EXTRACTED_DATASETS_PATH": datasets_cache / "downloads" / "extracted",
        # Otherwise every load sends a HEAD to an S3 bucket on the internet (errors are ignored,
        # but it can wait up to 3 s for a timeout).
        "HF_UPDATE_DOWNLOAD_COUNTS": False,
    }
    for name, value in patches.items():
        monkeypatch.setattr(datasets.config, name, value)


def _clear_hf_filesystems() -> None:
    """Drop cached `HfFileSystem` instances (fsspec caches them, with their directory listings)."""
    from huggingface_hub import HfFileSystem

    HfFileSystem.clear_instance_cache()


@pytest.fixture
def hub_standin() -> Iterator[HubStandin]:
    """A started stand-in Hub (no repos yet); stopped after the test."""
    hub = start_hub_standin()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def hub_env(
    hub_standin: HubStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HubStandin]:
    """Point `huggingface_hub` and `datasets` at `hub_standin`, with a fresh cache; returns the hub.

    Environment: `HF_ENDPOINT` = the stand-in url; `HF_HOME`, `HF_HUB_CACHE`, `HF_ASSETS_CACHE`,
    `HF_XET_CACHE`, `HF_DATASETS_CACHE`, `HF_TOKEN_PATH` under `tmp_path / "hf_home"`;
    `HF_HUB_OFFLINE`, `HF_DATASETS_OFFLINE`, `TRANSFORMERS_OFFLINE`, `HF_TOKEN` unset.

    Both libraries copy those variables into module constants when first imported, so setting the
    environment is not enough once they are imported (pytest plugins, other tests...). The fixture
    therefore also monkeypatches (all undone after the test):

    - `huggingface_hub.constants`: `ENDPOINT`, `HUGGINGFACE_CO_URL_TEMPLATE` (used by
      `hf_hub_url`, hence by every download), `HF_URL_HOSTS`, `HF_HOME`, `HF_HUB_CACHE`,
      `HUGGINGFACE_HUB_CACHE`, `HF_ASSETS_CACHE`, `HUGGINGFACE_ASSETS_CACHE`, `HF_XET_CACHE`,
      `HF_TOKEN_PATH`, `HF_STORED_TOKENS_PATH`, `AGENT_HARNESSES_PATH`,
      `CHECK_FOR_UPDATE_DONE_PATH`, `CHECK_FOR_SKILL_UPDATE_DONE_PATH`, `HF_HUB_OFFLINE`;
    - `huggingface_hub.utils._cache_manager.HF_HUB_CACHE` and
      `huggingface_hub.utils._cache_assets.HF_ASSETS_CACHE` (imported copies);
    - `datasets.config`: `HF_ENDPOINT`, `HUB_DATASETS_URL`, `HF_CACHE_HOME`, `HF_DATASETS_CACHE`,
      `HF_MODULES_CACHE`, `DOWNLOADED_DATASETS_PATH`, `EXTRACTED_DATASETS_PATH`, `HF_HUB_OFFLINE`,
      `HF_DATASETS_OFFLINE`, and `HF_UPDATE_DOWNLOAD_COUNTS=False` (no download-count HEAD to S3).

    fsspec's cache of `HfFileSystem` instances is cleared before and after the test. Use
    `set_hub_offline(monkeypatch)` to simulate `HF_HUB_OFFLINE=1` afterwards.
    """
    home = tmp_path / "hf_home"
    home.mkdir()
    _point_clients_at(monkeypatch, hub_standin.url, home)
    _clear_hf_filesystems()
    try:
        yield hub_standin
    finally:
        _clear_hf_filesystems()
