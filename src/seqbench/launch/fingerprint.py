"""One fingerprint of the code and configs a group of DVC stages shares.

Fifteen training stages run the same twenty-odd folders of code and configs. Named in each
stage, DVC hashes every one of them once per stage on every `dvc repro`, and dvc.lock holds
each hash fifteen times: a `dvc repro` with nothing changed took 2-2.6 s. Instead one stage
(``train-code`` in dvc.yaml) depends on them and writes, with this module, one line per file
(its md5 and path) to a small file that each training stage depends on: a change to any of
those files changes the fingerprint, and DVC re-runs every stage that depends on it.

    python -m seqbench.launch.fingerprint STAGE --out FILE

reads the deps of STAGE from ./dvc.yaml, so the files hashed are exactly the files DVC
watches (one list, in dvc.yaml). Python's bytecode caches are skipped, as .dvcignore does.
"""

import argparse
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

from seqbench.errors import ConfigError
from seqbench.safety import atomic

IGNORED_DIRS = {"__pycache__"}
IGNORED_SUFFIXES = {".pyc"}


def stage_deps(dvc_yaml: Path, stage: str) -> list[str]:
    """The deps of ``stage`` as dvc.yaml names them (a fingerprint stage has no matrix)."""
    stages = (yaml.safe_load(dvc_yaml.read_text()) or {}).get("stages") or {}
    if stage not in stages:
        raise ConfigError(f"{dvc_yaml} has no stage {stage!r}; stages: {', '.join(stages)}")
    deps = stages[stage].get("deps") or []
    if not deps or any("${" in str(dep) for dep in deps):
        raise ConfigError(f"stage {stage!r} needs deps, each a plain path (no ${{...}})")
    return [str(dep) for dep in deps]


def _files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    if not path.is_dir():
        raise ConfigError(f"a fingerprinted dep is missing: {path}")
    for child in sorted(path.iterdir()):
        if child.is_dir() and child.name not in IGNORED_DIRS:
            yield from _files(child)
        elif child.is_file() and child.suffix not in IGNORED_SUFFIXES:
            yield child


def fingerprint(root: Path, deps: list[str]) -> str:
    """``md5  path`` for every file under ``deps`` (paths relative to ``root``), sorted."""
    lines = {
        f"{hashlib.md5(file.read_bytes()).hexdigest()}  {file.relative_to(root).as_posix()}"
        for dep in deps
        for file in _files(root / dep)
    }
    return "".join(f"{line}\n" for line in sorted(lines, key=lambda line: line[34:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqbench.launch.fingerprint")
    parser.add_argument("stage", help="the dvc.yaml stage whose deps to fingerprint")
    parser.add_argument("--out", type=Path, required=True, help="the fingerprint file")
    parser.add_argument("--dvc-yaml", type=Path, default=Path("dvc.yaml"))
    args = parser.parse_args(argv)
    try:
        text = fingerprint(args.dvc_yaml.parent, stage_deps(args.dvc_yaml, args.stage))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(args.out, text)
    except (ConfigError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{text.count(chr(10))} files of stage {args.stage} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
