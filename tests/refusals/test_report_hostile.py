"""A report of a runs folder someone else wrote: every name, reason and value in it (metrics.json,
curves.csv columns, .hydra/config.yaml, run folder names, provenance.json, the lesson files, a
stored reference) is crafted to break out of the HTML, the SVG, the Markdown tables and code
spans. Nothing may become markup; the Markdown is parsed with a real CommonMark parser.

The runs are written by hand (no training: about a second). tests/system/test_report_browser.py
renders the same report in Chromium and checks that nothing in it runs. Findings R-html,
R-missing and R-foreign of the hostile-input round are rows here.
"""

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers.hostile import RTL, hostile_runs
from helpers.refusals import Case, check, digest, seqbench
from markdown_it import MarkdownIt

from seqbench.report import output
from seqbench.report.build import write_report


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    made = hostile_runs(tmp_path_factory.mktemp("hostile"))
    return made | {"written": write_report(made["runs"], made["out"], made["raw"])}


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's tokenizer sees them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def test_r_html_every_hostile_name_reaches_the_page_as_text(hostile):
    page = hostile["written"]["html"].read_text()
    tags = Tags(page).tags
    names = {tag for tag, _ in tags}
    assert not names & {"img", "script", "base", "form", "iframe", "object", "embed", "link"}
    assert [tag for tag, _ in tags].count("meta") == 4 and names >= {"svg", "table"}
    assert [tag for tag, _ in tags].count("style") == 1  # the page's own
    handlers = [(tag, a) for tag, attrs in tags for a in attrs if a.startswith("on")]
    assert handlers == []
    assert all(attrs.get("id") != "injected" for _, attrs in tags)
    ids = [attrs["id"] for _, attrs in tags if "id" in attrs]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", i) for i in ids), ids
    assert len(ids) == len(set(ids)) and any(i.startswith("gradflow-") for i in ids)
    assert RTL not in page and "\\u202e" in page  # the override is shown, not applied
    shown = {attrs.get("data-dataset") for tag, attrs in tags if tag == "table"} - {None}
    assert shown == {d.replace(RTL, "\\u202e") for d in hostile["datasets"]}


def test_markdown_keeps_its_tables_and_opens_no_tag_link_or_image(hostile):
    mark, text = hostile["written"]["markdown"].read_text().split("\n", 1)
    assert mark == output.MARKDOWN_MARK  # the one HTML in it: a comment, which shows nothing
    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(text)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & {"html_inline", "html_block", "link_open", "image"}, kinds
    rendered = parser.render(text)
    assert "<h1>heading</h1>" not in rendered and "<b>" not in rendered
    for table in re.findall(r"<table>.*?</table>", rendered, re.S):  # no row gained a cell
        widths = {
            len(re.findall(r"<t[hd][ >]", row)) for row in re.findall(r"<tr>.*?</tr>", table, re.S)
        }
        assert len(widths) == 1, table[:500]
    assert rendered.count("<h1>") == 1


def test_comparison_json_round_trips_the_names(hostile):
    written = json.loads(hostile["written"]["json"].read_text())
    assert written["generator"] == output.GENERATOR
    assert set(written["datasets"]) == set(hostile["datasets"])
    for stored in written["datasets"].values():
        assert set(stored["models"]) == set(hostile["models"])


def test_names_with_dollars_quotes_and_long_text_do_not_stop_the_report(tmp_path):
    made = hostile_runs(tmp_path)
    long_name = '$\\nosuch{$ "quoted" ' + "x" * 3000  # TeX matplotlib cannot parse
    for path in made["runs"].rglob("metrics.json"):
        metrics = json.loads(path.read_text()) | {"model": long_name}
        path.write_text(json.dumps(metrics))
    written = write_report(made["runs"], made["out"], made["raw"])
    assert (
        long_name
        in json.loads(written["json"].read_text())["datasets"][made["datasets"][0]]["models"]
    )


def test_a_run_config_cannot_read_the_environment_of_whoever_reports(tmp_path, monkeypatch):
    """${oc.env:...} in a shared run's config (directly, or through another key) must not
    put the reporting user's secrets on the page; a lookup with a default reads as it."""
    monkeypatch.setenv("SEQBENCH_PROBE_SECRET", "s3cr3t-value")
    made = hostile_runs(tmp_path)
    for path in made["runs"].rglob(".hydra/config.yaml"):
        config = json.loads(path.read_text())
        config["paths"] = {"root_dir": "/p", "k": "${oc.env:SEQBENCH_PROBE_SECRET}"}
        config["paths"]["raw_dir"] = "${oc.env:SEQBENCH_PROBE_SECRET,${paths.root_dir}/raw}"
        config["optimizer"] = {"lr": "${paths.k}", "w": "x${oc.env:SEQBENCH_PROBE_SECRET}"}
        path.write_text(json.dumps(config))
    written = write_report(made["runs"], made["out"], made["raw"])
    for name in ("html", "markdown", "json"):
        assert "s3cr3t-value" not in written[name].read_text(), name
    from seqbench.rundir import read_config

    config = read_config(next(made["runs"].rglob(".hydra")).parent)
    assert config["paths"]["raw_dir"] == "/p/raw"
    assert config["optimizer"]["lr"] == "${oc.env:SEQBENCH_PROBE_SECRET}"


def test_provenance_is_looked_up_only_for_a_plain_name(tmp_path):
    from seqbench.report.collect import read_provenance

    (tmp_path / "raw" / "x").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "provenance.json").write_text("{}")
    for name in ("../outside", "..", "x/../../outside", "a\0b", ""):
        assert read_provenance(name, [tmp_path / "raw"]) is None


# --- R-missing: a report reads only the folder it was given -------------------------------
def test_r_missing_a_copied_run_without_results_is_not_read_from_where_it_trained(tmp_path):
    """A run folder (its own .hydra/) lacking metrics.json is reported there, as failed; the
    run_dir its config names (the original, live copy) is never read."""
    live = tmp_path / "project"
    made = hostile_runs(live)
    copy = tmp_path / "archive"
    shutil.copytree(made["runs"], copy)
    (missing,) = [p for p in copy.rglob("metrics.json") if p.parent.name == "0"][:1]
    job = missing.parent
    missing.unlink()
    original = made["runs"] / job.relative_to(copy)
    config = json.loads((job / ".hydra" / "config.yaml").read_text())
    config["paths"] = {"run_dir": str(original)}
    (job / ".hydra" / "config.yaml").write_text(json.dumps(config))
    (job / ".hydra" / "hydra.yaml").write_text(
        json.dumps({"hydra": {"mode": "RUN", "runtime": {"cwd": str(live)}}})
    )
    written = write_report(copy, tmp_path / "out", made["raw"])
    paths = [f["path"] for f in written["failed"]]
    assert str(job) in paths and not any(str(live) in p for p in paths)
    (lost,) = [f for f in written["failed"] if f["path"] == str(job)]
    assert "no metrics.json" in lost["reason"] and str(original) not in lost["reason"]
    assert str(live) not in written["html"].read_text()


def test_r_missing_a_default_sweep_job_without_results_stays_in_its_folder(tmp_path):
    """A sweep job that kept the default run_dir ran in its own folder: its config, resolved
    outside Hydra, names runs/<data>/<model>/<seed>, which must not be read."""
    live = tmp_path / "runs" / "d" / "gru" / "0"
    live.mkdir(parents=True)
    (live / "metrics.json").write_text(json.dumps({"data": "d", "model": "gru", "seed": 0}))
    job = tmp_path / "multirun" / "0"
    (job / ".hydra").mkdir(parents=True)
    default = "${output_dir_or:${paths.default_run_dir}}"
    config = {
        "paths": {
            "root_dir": str(tmp_path),
            "run_dir": default,
            "default_run_dir": "${paths.root_dir}/runs/d/gru/0",
        },
        "data": {"name": "d"},
        "model": {"name": "gru"},
        "seed": 0,
    }
    (job / ".hydra" / "config.yaml").write_text(json.dumps(config))
    (job / ".hydra" / "hydra.yaml").write_text(json.dumps({"hydra": {"mode": "MULTIRUN"}}))
    from seqbench.report.collect import find_runs

    (run,) = find_runs(tmp_path / "multirun")
    assert run.path == job and run.status == "failed"


# --- R-foreign: a report replaces only its own files --------------------------------------
@pytest.mark.parametrize("name", ["comparison.md", "comparison.json", "comparison.html"])
def test_r_foreign_a_file_the_report_did_not_write_is_refused(project, tmp_path, name):
    def users_file(work: Path) -> None:
        (work / "rr-out").mkdir()
        (work / "rr-out" / name).write_text("my own notes\n")

    check(
        Case(
            f"R-foreign-{name}", ("report", "outputs", "--out", "rr-out"), name, prepare=users_file
        ),
        project,
        tmp_path,
    )


def test_r_foreign_a_symlink_or_folder_of_the_report_s_name_is_refused(project, tmp_path):
    def linked(work: Path) -> None:
        (work / "rr-out").mkdir()
        (work / "rr-out" / "comparison.md").symlink_to(work / "params.yaml")

    case = Case(
        "R-foreign-symlink",
        ("report", "outputs", "--out", "rr-out"),
        "comparison.md",
        prepare=linked,
    )
    check(case, project, tmp_path / "a")
    folder = Case(
        "R-foreign-folder",
        ("report", "outputs", "--out", "rr-out"),
        "comparison.html",
        prepare=lambda w: (w / "rr-out" / "comparison.html").mkdir(parents=True),
    )
    check(folder, project, tmp_path / "b")


def test_r_foreign_rerunning_over_its_own_report_works(project, tmp_path):
    """Its own files are replaced (all three), an unrelated file beside them is kept, and a
    report written before reports were marked is recognised too."""
    work = tmp_path / "project"
    shutil.copytree(project, work)
    first = seqbench(work, "report", "outputs", "--out", "reports")
    assert first.returncode == 0, first.stderr[-2000:]
    (work / "reports" / "notes.txt").write_text("mine\n")
    md = work / "reports" / "comparison.md"
    earlier = md.read_text().split("\n", 1)[1]  # as reports wrote it before the mark
    md.write_text(earlier)
    again = seqbench(work, "report", "outputs", "--out", "reports")
    assert again.returncode == 0, again.stderr[-2000:]
    assert md.read_text().startswith(output.MARKDOWN_MARK)
    assert (work / "reports" / "notes.txt").read_text() == "mine\n"
    assert sorted(p.name for p in (work / "reports").iterdir()) == [
        "comparison.html",
        "comparison.json",
        "comparison.md",
        "notes.txt",
    ]


OUT_CASES = [
    Case(
        "report-out-is-the-runs-file",
        ("report", "outputs", "--out", "outputs/copy/gru/0/metrics.json"),
        "is a file",
    ),
    Case("report-out-below-a-file", ("report", "outputs", "--out", "params.yaml/r"), "params.yaml"),
]


@pytest.mark.parametrize("case", OUT_CASES, ids=lambda case: case.id)
def test_out_that_cannot_hold_a_report_is_refused(case, project, tmp_path):
    check(case, project, tmp_path)


@pytest.mark.parametrize("out", ["outputs", "outputs/copy/gru/0", "outputs/report"])
def test_out_in_the_runs_folder_adds_only_the_report(project, tmp_path, out):
    """Writing the report into the folder it reads is allowed: it adds its three files,
    changes none, and a second report over the same folder reads the same runs."""
    work = tmp_path / "project"
    shutil.copytree(project, work)
    before = digest(work)
    for _ in range(2):
        result = seqbench(work, "report", "outputs", "--out", out)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "1 runs (1 finished)" in result.stdout
    after = digest(work)
    assert {p: after[p] for p in before} == before
    added = {str(Path(p).parent) for p in set(after) - set(before)}
    assert added == {out}
