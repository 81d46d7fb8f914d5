"""Refusals of a mistaken config, params.yaml or checkpoint: every config group's values,
keys added with `+`, memory a run cannot have, and checkpoints that are not this run's (see
tests/helpers/refusals.py for what every case asserts).

Training refusals write nothing (they come before Hydra starts the job), except those only
the loaded data or the built task can tell (``writes=True``): a new run's folder then holds
Hydra's log, and a new run's failure is recorded in its metrics.json.
"""

import json
import os
import shutil

import pytest
from helpers.refusals import FINISHED, TRAIN, Case, check, seqbench

from seqbench.config.keys import added_keys, options_of

FOREIGN = str(FINISHED / "checkpoints" / "last.ckpt")  # a copy-task GRU's checkpoint
COMPARE = {"models": ["gru"], "datasets": ["adding"], "seeds": [0, 1], "budget": "smoke"}
COMPARE |= {"match": "params", "state_budget": 4096}


def trains(*overrides: str, says: str, name: str, **options) -> Case:
    """A training command that must be refused."""
    return Case(name, (*TRAIN, *overrides), says, **options)


def params_file(content: object):
    """A ``prepare`` that replaces params.yaml (text as is, anything else as YAML/JSON)."""

    def prepare(project):
        text = content if isinstance(content, str) else json.dumps(content)
        (project / "params.yaml").write_text(text)

    return prepare


def write_bytes(name: str, data: bytes):
    def prepare(project):
        (project / name).write_bytes(data)

    return prepare


VALUES = [
    trains(
        "data=watch",
        "data.stride=0",
        says="data.stride must be an integer >= 1",
        name="data-stride-zero",
    ),
    trains("data.stride=-5", says="data.stride must be an integer >= 1", name="text-stride"),
    trains("data.seq_len=0", says="data.seq_len must be an integer >= 1", name="seq-len-zero"),
    trains(
        "data=watch",
        "data.window=abc",
        says="data.window must be an integer",
        name="window-not-a-number",
    ),
    trains(
        "data.num_workers=-1",
        says="data.num_workers must be an integer >= 0",
        name="workers-negative",
    ),
    trains("data.batch_size=0", says="data.batch_size must be an integer >= 1", name="batch-zero"),
    trains(
        "data=adding", "data.task=sort", says="data.task='sort' is not valid", name="synthetic-task"
    ),
    trains("data.vocab=word", says="data.vocab='word' is not valid", name="text-vocab"),
    trains(
        "model=transformer",
        "data.seq_len=64",
        "model.max_len=32",
        says="model.max_len=32 is shorter than data.seq_len=64",
        name="max-len-text",
    ),
    trains(
        "model=transformer",
        "data=copy",
        "model.max_len=100",
        says="model.max_len=100 is shorter than the 120 steps of data.name=copy",
        name="max-len-copy",
    ),
    trains(
        "task.tbptt_steps=1000",
        says="task.tbptt_steps=1000 is longer than data.seq_len=64",
        name="tbptt-longer-than-window",
    ),
    trains(
        "data=adding",
        "task.tbptt_steps=101",
        says="task.tbptt_steps=101 is longer than",
        name="tbptt-longer-than-task",
    ),
    trains(
        "task.tbptt_steps=0", says="task.tbptt_steps must be an integer >= 1", name="tbptt-zero"
    ),
    trains(
        "optimizer.weight_decay=-0.1",
        says="optimizer.weight_decay must be a number >= 0",
        name="weight-decay-negative",
    ),
    trains("optimizer.lr=0", says="optimizer.lr must be a number", name="lr-zero"),
    trains("optimizer.lr=inf", says="optimizer.lr must be a number", name="lr-infinite"),
    trains(
        "optimizer.betas=[0.9,1.5]",
        says="optimizer.betas must be two numbers in [0, 1)",
        name="betas-out-of-range",
    ),
    trains("+optimizer.eps=0", says="optimizer.eps must be > 0", name="eps-zero"),
    trains(
        "scheduler.T_max=0", says="scheduler.T_max must be an integer >= 1", name="scheduler-tmax"
    ),
    trains(
        "scheduler.eta_min=-1",
        says="scheduler.eta_min must be a number >= 0",
        name="scheduler-eta-min",
    ),
    trains("task.grad_clip=-1", says="task.grad_clip must be a number >= 0", name="grad-clip"),
    trains("task.embed_dim=0", says="task.embed_dim must be an integer >= 1", name="embed-dim"),
    trains(
        "task.param_budget=5",
        says="task.param_budget must be an integer >= 100",
        name="param-budget",
    ),
    trains(
        "task.clip_gradients=maybe",
        says="task.clip_gradients must be true or false",
        name="clip-gradients",
    ),
    trains("trainer.devices=0", says="trainer.devices must be an integer >= 1", name="devices"),
    trains(
        "trainer.accelerator=tpu", says="trainer.accelerator='tpu' is not valid", name="accelerator"
    ),
    trains("trainer.precision=8", says="trainer.precision=8 is not valid", name="precision"),
    trains(
        "trainer.log_every_n_steps=0",
        says="trainer.log_every_n_steps must be an integer",
        name="log-every",
    ),
    trains(
        "budget.max_steps=0", says="budget.max_steps must be an integer >= 1", name="max-steps-zero"
    ),
    trains(
        "budget.val_batches=0",
        says="budget.val_batches must be a number of batches >= 1",
        name="val-batches-zero",
    ),
    trains(
        "budget.test_batches=1.5",
        says="budget.test_batches must be a number of batches",
        name="test-batches-share",
    ),
    trains(
        "budget.val_every=-1", says="budget.val_every must be an integer >= 1", name="val-every"
    ),
    trains("seed=-1", says="seed must be an integer >= 0", name="seed-negative"),
    trains(
        "seed=1099511627776",
        says="seed must be an integer >= 0 and <= 4294967295",
        name="seed-beyond-32-bits",
    ),
    trains(
        "callbacks.gradient_flow.batch_size=0",
        says="callbacks.gradient_flow.batch_size must be an integer >= 1",
        name="gradient-flow-batch",
    ),
    trains(
        "model=transformer",
        "model.hidden_size=64",
        "model.num_heads=3",
        says="model.hidden_size=64 must be divisible by model.num_heads=3",
        name="heads",
    ),
    trains("overwrite=maybe", says="overwrite must be true or false", name="overwrite"),
    trains(
        "+model.hiden_size=3",
        says="takes no option 'hiden_size' (closest: model.hidden_size)",
        name="added-model-typo",
    ),
    trains(
        "model=gru",
        "+model.hiden_size=3",
        says="seqbench.models.GRU takes no option",
        name="added-model-typo-gru",
    ),
    trains("+trainer.max_step=3", says="(closest: trainer.max_steps)", name="added-trainer-typo"),
    trains(
        "+optimizer.foo=1",
        says="torch.optim.AdamW takes no option 'foo'",
        name="added-optimizer-option",
    ),
]

RESOURCES = [
    trains("model.hidden_size=10000000", says="the run needs at least", name="huge-hidden"),
    trains(
        "model=transformer",
        "model.hidden_size=4000000",
        says="GiB of RAM is available",
        name="huge-transformer",
    ),
    trains(
        "data=adding",
        "data.batch_size=10000000",
        says="data.batch_size=10000000 is larger than the 20000 examples",
        name="batch-beyond-dataset",
        writes=True,
    ),
    trains(
        "data=watch",
        "data.batch_size=100000",
        says="is larger than the",
        name="batch-beyond-windows",
        writes=True,
    ),
    trains(
        "model.hidden_size=2048",
        "model.num_layers=4",
        "data.seq_len=512",
        "data.batch_size=7000",
        says="activations",
        name="huge-activations",
        writes=True,
        timeout=240,
    ),
]


def wrong_kind(section: str, key: str, good: str, what: str) -> Case:
    """A study given data of another kind (the sensor set watch) beside its own."""
    study = {key: [good, "watch"], "models": ["gru"], "seeds": [0], "budget": "smoke"}
    return Case(
        f"{section}-{key}-not-{good}-kind",
        ("check-params",),
        f"{section}.{key}: 'watch' is sensor data, not {what}",
        prepare=params_file({"compare": COMPARE, section: study}),
    )


PARAMS = [
    Case(
        "compare-models-empty",
        ("check-params",),
        "compare.models must be a non-empty list",
        prepare=params_file({"compare": COMPARE | {"models": []}}),
    ),
    Case(
        "compare-datasets-empty",
        ("check-params",),
        "compare.datasets must be a non-empty",
        prepare=params_file({"compare": COMPARE | {"datasets": []}}),
    ),
    Case(
        "compare-seeds-empty",
        ("check-params",),
        "compare.seeds must be a list of integers",
        prepare=params_file({"compare": COMPARE | {"seeds": []}}),
    ),
    Case(
        "compare-seeds-one",
        ("check-params",),
        "compare.seeds must be two different seeds (every cell trains them side by side)",
        prepare=params_file({"compare": COMPARE | {"seeds": [0]}}),
    ),
    Case(
        "compare-more-seeds-repeat",
        ("check-params",),
        "compare.more_seeds repeats a seed",
        prepare=params_file({"compare": COMPARE | {"more_seeds": [1]}}),
    ),
    Case(
        "compare-match-unknown",
        ("check-params",),
        "compare.match: unknown 'weights'; valid: params, state",
        prepare=params_file({"compare": COMPARE | {"match": "weights"}}),
    ),
    Case(
        "compare-state-budget-missing",
        ("check-params",),
        "compare.state_budget must be an integer >= 1 (floats per sequence), got None",
        prepare=params_file({"compare": {k: v for k, v in COMPARE.items() if k != "state_budget"}}),
    ),
    Case(
        "compare-models-scalar",
        ("check-params",),
        "compare.models must be a non-empty list",
        prepare=params_file({"compare": COMPARE | {"models": "gru"}}),
    ),
    Case(
        "activations-models-empty",
        ("check-params",),
        "activations.models must be a non-empty",
        prepare=params_file(
            {
                "compare": COMPARE,
                "activations": {"models": [], "datasets": ["adding"], "clip": [True], "seeds": [0]},
            }
        ),
    ),
    Case(
        "memory-tasks-empty",
        ("check-params",),
        "memory.tasks must be a non-empty list",
        prepare=params_file(
            {
                "compare": COMPARE,
                "memory": {
                    "tasks": [],
                    "models": ["gru"],
                    "lengths": [],
                    "seeds": [0],
                    "long_lengths": [],
                    "long_seeds": [0],
                    "budget": "study",
                },
            }
        ),
    ),
    Case(
        "abilities-models-unknown",
        ("check-params",),
        "abilities.models: unknown 'mamba2'",
        prepare=params_file(
            {
                "compare": COMPARE,
                "abilities": {
                    "probes": ["parity"],
                    "models": ["mamba2"],
                    "seeds": [0],
                    "budget": "smoke",
                },
            }
        ),
    ),
    Case(
        "tune-lr-as-text",
        ("check-params",),
        "tune.flags.lr must be a non-empty list of numbers > 0 (write 1e-4 as 0.0001",
        prepare=params_file(
            "compare: {models: [gru], datasets: [adding], seeds: [0, 1], budget: smoke,"
            " match: params, state_budget: 4096}\n"
            "tune: {datasets: [adding], models: [gru], budget: smoke, flags: "
            "{lr: [1e-4], weight-decay: [0], seeds: [0], tune-seed: 0}}\n"
        ),
    ),
    Case(
        "tune-models-unknown",
        ("check-params",),
        "tune.models: unknown 'mamba2'",
        prepare=params_file(
            {
                "compare": COMPARE,
                "tune": {
                    "datasets": [],
                    "models": ["mamba2"],
                    "budget": "smoke",
                    "flags": {"lr": [0.001], "weight-decay": [0], "seeds": [0], "tune-seed": 0},
                },
            }
        ),
    ),
    Case(
        "params-malformed",
        ("check-params",),
        "params.yaml is not valid YAML at line",
        prepare=params_file("compare: {models: [gru\n"),
    ),
    Case(
        "params-a-list",
        ("check-params",),
        "must be a mapping of sections, got list",
        prepare=params_file("- compare\n- models\n"),
    ),
    Case(
        "params-compare-scalar",
        ("check-params",),
        "compare must be a mapping",
        prepare=params_file("compare: 3\n"),
    ),
    Case(
        "params-binary",
        ("check-params",),
        "params.yaml cannot be read",
        prepare=write_bytes("params.yaml", b"\xff\xfe\x00bad"),
    ),
    Case("params-missing", ("check-params", "nothing.yaml"), "nothing.yaml does not exist"),
    Case("params-a-directory", ("check-params", "data"), "data does not exist or is not a file"),
]
PARAMS += [
    wrong_kind("abilities", "probes", "mqar", "an ability probe"),
    wrong_kind("forecast", "datasets", "watch_forecast", "a series to forecast"),
    wrong_kind("anomaly", "datasets", "mitdb", "labelled anomaly data"),
    wrong_kind("text_classify", "datasets", "tweet_sentiment", "text classification"),
]

CHECKPOINTS = [
    trains(
        "data=copy",
        "model=gru",
        "seed=5",
        "ckpt_path=noise.ckpt",
        says="noise.ckpt is not a readable seqbench checkpoint",
        name="ckpt-random-bytes",
        prepare=write_bytes("noise.ckpt", os.urandom(4096)),
    ),
    trains(
        "data=copy",
        "model=gru",
        "seed=5",
        "ckpt_path=empty.ckpt",
        says="empty.ckpt is not a readable seqbench checkpoint",
        name="ckpt-empty",
        prepare=write_bytes("empty.ckpt", b""),
    ),
    trains(
        "model=gru",
        f"ckpt_path={FOREIGN}",
        says="holds a 'seqbench.tasks.memory.Copy' task",
        name="ckpt-other-dataset",
        writes=True,
    ),
    trains(
        "data=copy",
        "model=lstm",
        f"ckpt_path={FOREIGN}",
        says="was trained with another model, size or dataset",
        name="ckpt-other-model",
        writes=True,
    ),
    trains(
        "data=copy",
        "model=gru",
        "model.hidden_size=8",
        "seed=5",
        f"ckpt_path={FOREIGN}",
        says="was trained with another model, size or dataset",
        name="ckpt-other-size",
        writes=True,
    ),
    trains(
        "data=copy",
        "model=gru",
        "seed=5",
        "ckpt_path=missing.ckpt",
        says="ckpt_path=missing.ckpt does not exist",
        name="ckpt-missing",
    ),
    trains(
        "data=copy",
        "model=gru",
        "seed=5",
        "ckpt_path=last",
        says="ckpt_path=last but",
        name="ckpt-last-in-a-fresh-dir",
    ),
]

CASES = [*VALUES, *RESOURCES, *PARAMS, *CHECKPOINTS]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_refused_cleanly(case, project, tmp_path):
    check(case, project, tmp_path)


def test_an_added_key_nothing_reads_is_a_warning_and_the_run_goes_on(project, tmp_path):
    run = tmp_path / "project"
    shutil.copytree(project, run, symlinks=True)
    small = ("budget=smoke", "budget.max_steps=2", "budget.val_every=2", "budget.val_batches=1")
    result = seqbench(run, *TRAIN, "data=copy", "model=gru", "seed=1", *small,
                      "budget.test_batches=1", "+seeed=3", "+budget.max_step=5")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: +seeed is read by nothing in seqbench (closest known key: seed); "
        "the run goes on without it",
        "warning: +budget.max_step is read by nothing in seqbench (closest known key: "
        "budget.max_steps); the run goes on without it",
    ], result.stderr[-3000:]
    metrics = json.loads((run / "outputs" / "copy" / "gru" / "1" / "metrics.json").read_text())
    assert metrics["status"] == "finished" and metrics["steps"] == 2


def test_added_keys_are_the_plus_overrides_only():
    given = ["+seeed=1", "++model.x=2", "model.hidden_size=8",
        "seed=5", "+experiment=example",
             "+hydra.job.name=x", "+model.bias=false"]  # fmt: skip
    assert added_keys(given) == ["seeed", "model.bias"]


def test_constructor_options_follow_kwargs_to_the_fused_module():
    gru = options_of("seqbench.models.GRU")
    assert {"hidden_size", "num_layers", "dropout", "bias", "bidirectional"} <= gru
    assert "hiden_size" not in gru
    assert options_of("lightning.pytorch.loggers.WandbLogger") is None  # takes any **kwargs
    assert "max_steps" in options_of("lightning.pytorch.Trainer")
