"""Refusals around checkpoints and generation: resuming another model or dataset, forged
checkpoints that would make a loader run long, and generation flags past their limits (see
tests/helpers/refusals.py for what every case asserts). Forged files are made from the template
project's finished run (``FINISHED``), so their weights are real."""

import shutil
from dataclasses import replace

import pytest
import torch
from helpers.refusals import FINISHED, TRAIN, Case, check

LAST = FINISHED / "checkpoints" / "last.ckpt"
RESUME = (*TRAIN, "budget=smoke", f"ckpt_path={LAST}")  # into a new folder, as in K31
SHORT = 60  # a forged file must be refused in seconds: a hang fails the row at this timeout


def forged(name: str, change):
    """A prepare step: ck/<name>.ckpt, the finished run's last.ckpt with ``change`` applied to
    its payload (hyperparameters and weights)."""

    def prepare(project):
        payload = torch.load(project / LAST, map_location="cpu", weights_only=True)
        change(payload)
        (project / "ck").mkdir(exist_ok=True)
        torch.save(payload, project / "ck" / f"{name}.ckpt")

    return prepare


def backbone(**values):
    return lambda payload: payload["hyper_parameters"]["backbone"].update(values)


def placed(relative: str, change=lambda payload: None):
    """A prepare step: the finished run's checkpoint, changed, at ``relative``."""

    def prepare(project):
        payload = torch.load(project / LAST, map_location="cpu", weights_only=True)
        change(payload)
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        torch.save(payload, project / relative)

    return prepare


def copied_dataset(project):
    shutil.copytree(project / "data" / "raw" / "copy", project / "data" / "raw" / "copy2")


def generate(name: str, *flags: str) -> tuple[str, ...]:
    return ("generate", f"ck/{name}.ckpt", *flags)


RESUMES = [
    Case(
        "K31-resume-with-other-dropout",
        (*RESUME, "data=copy", "model=gru", "model.dropout=0.1", "paths.run_dir=runs/k/K31"),
        "another model, size or dataset (model dropout: 0.0 in the checkpoint, 0.1 in this run)",
    ),
    Case(
        "K31-resume-gru-as-lstm",
        (*RESUME, "data=copy", "model=lstm", "paths.run_dir=runs/k/K31b"),
        "was trained with another model, size or dataset (model _target_:",
    ),
    Case(
        "K31-resume-with-other-width",
        (*RESUME, "data=copy", "model=gru", "model.hidden_size=24", "paths.run_dir=runs/k/c"),
        "(model hidden_size:",
    ),
    Case(
        "K32-resume-on-another-dataset",
        (*RESUME, "data=copy", "data.name=copy2", "model=gru", "paths.run_dir=runs/k/K32"),
        "(data name: 'copy' in the checkpoint, 'copy2' in this run)",
        prepare=copied_dataset,
    ),
    Case(
        "K32-resume-copy-into-adding",
        (*RESUME, "data=adding", "model=gru", "paths.run_dir=runs/k/K32b"),
        "task, not this run's Adding",
    ),
]

FORGED = [
    Case(
        "K18-forged-num-layers",
        generate("layers"),
        "sizes do not match its weights: num_layers=200000 in its hyperparameters",
        prepare=forged("layers", backbone(num_layers=200_000)),
        timeout=SHORT,
    ),
    Case(
        "K18-forged-hidden-size",
        generate("hidden"),
        "hidden_size=10000000 in its hyperparameters",
        prepare=forged("hidden", backbone(hidden_size=10**7)),
        timeout=SHORT,
    ),
    Case(
        "K18-forged-negative-layers",
        generate("negative"),
        "num_layers=-3 in its hyperparameters",
        prepare=forged("negative", backbone(num_layers=-3)),
        timeout=SHORT,
    ),
    Case(
        "K18-forged-size-as-text",
        generate("text"),
        "backbone argument hidden_size='16' is not what GRU takes",
        prepare=forged("text", backbone(hidden_size="16")),
    ),
    Case(
        "K18-forged-size-as-bool",
        generate("bool"),
        "backbone argument num_layers=True is not what GRU takes",
        prepare=forged("bool", backbone(num_layers=True)),
    ),
    Case(
        "K18-forged-dropout-nan",
        generate("nan"),
        "backbone argument dropout=nan",
        prepare=forged("nan", backbone(dropout=float("nan"))),
    ),
    Case(
        "K18-forged-extra-argument",
        generate("extra"),
        "backbone arguments ['bias'] are not GRU's",
        prepare=forged("extra", backbone(bias=False)),
    ),
    Case(
        "K18-forged-embed-dim",
        generate("embed"),
        "input_size=4096 in its hyperparameters",
        prepare=forged("embed", lambda p: p["hyper_parameters"].update(embed_dim=4096)),
        timeout=SHORT,
    ),
    Case(
        "K18-forged-missing-weights",
        generate("noweights"),
        "not a readable seqbench checkpoint ('state_dict')",
        prepare=forged("noweights", lambda p: p.pop("state_dict")),
    ),
    Case(
        "K18-forged-missing-backbone",
        generate("nobackbone"),
        "not seqbench classes",
        prepare=forged("nobackbone", lambda p: p["hyper_parameters"].pop("backbone")),
    ),
    Case(
        "K18-forged-weights-of-another-backbone",
        generate("lstmname"),
        "sizes do not match its weights",
        prepare=forged("lstmname", backbone(_target_="seqbench.models.recurrent.LSTM")),
    ),
    Case(
        "K18-forged-weights-renamed",
        generate("renamed"),
        "its weights are not a GRU's",
        prepare=forged(
            "renamed",
            lambda p: p.update(
                state_dict={k.replace("rnn.", "x."): v for k, v in p["state_dict"].items()}
            ),
        ),
    ),
    Case(
        "K18-a-copy-task-is-not-a-text-model",
        generate("older", "--chars", "5"),
        "not a character language model",
        prepare=forged(  # another seqbench version's layout: no data identity, no clip flag
            "older",
            lambda p: [
                p["hyper_parameters"].pop("clip_gradients"),
                p["hyper_parameters"]["data_info"].pop("name"),
                p["hyper_parameters"]["data_info"].pop("content_hash"),
            ],
        ),
    ),
    Case(
        "K18-text-lessons-on-a-forged-checkpoint",
        ("text-lessons", "runs", "--raw-dir", "data/raw", "--out", "reports/text.json"),
        "num_layers=200000 in its hyperparameters",
        prepare=placed(
            "runs/shakespeare/gru/0/checkpoints/best.ckpt", backbone(num_layers=200_000)
        ),
        timeout=SHORT,
    ),
    Case(
        "K32-text-lessons-on-another-dataset",
        ("text-lessons", "runs", "--raw-dir", "data/raw", "--out", "reports/text.json"),
        "was trained on other data than 'shakespeare' (content_hash:",
        prepare=placed("runs/shakespeare/gru/0/checkpoints/best.ckpt"),
    ),
]

CKPT = ("generate", str(LAST))
FLAGS = [
    Case("G07-temperature-inf", (*CKPT, "--temperature", "inf"), "temperature must be a finite"),
    Case("G07-temperature-nan", (*CKPT, "--temperature", "nan"), "temperature must be a finite"),
    Case("G07-temperature-huge", (*CKPT, "--temperature", "1e6"), "valid: 0.01..100"),
    Case("G07-temperature-tiny", (*CKPT, "--temperature", "1e-9"), "valid: 0.01..100"),
    Case("G07-temperature-negative", (*CKPT, "--temperature", "-1"), "must be > 0"),
    Case("G07-top-k-negative", (*CKPT, "--top-k", "-5"), "top_k must be >= 1"),
    Case("G07-seed-negative", (*CKPT, "--seed", "-1"), "seed must be in 0.."),
    Case("G07-seed-huge", (*CKPT, "--seed", str(2**70)), "seed must be in 0.."),
    Case("G14-chars-huge", (*CKPT, "--chars", "100000000"), "over the limit of 100,000"),
    Case("G17-prompt-huge", (*CKPT, "--prompt", "x" * 100_001), "over the limit of 100,000"),
    Case(
        "G14-text-lessons-chars-huge",
        ("text-lessons", "runs", "--chars", "100000000", "--out", "reports/t.json"),
        "over the limit of 100,000",
    ),
    Case(
        "G07-text-lessons-temperature-inf",
        ("text-lessons", "runs", "--temperature", "inf", "--out", "reports/t.json"),
        "temperature must be a finite",
    ),
]


RESUMES = [replace(case, writes=True) for case in RESUMES]  # the new folder's train.log


@pytest.mark.parametrize("case", RESUMES + FORGED + FLAGS, ids=lambda case: case.id)
def test_refused_cleanly(case, project, tmp_path):
    check(case, project, tmp_path)
