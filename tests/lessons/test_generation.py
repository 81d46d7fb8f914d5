"""Text generation and the exposure-bias measurement: every backbone, the CLI, the JSON."""

import functools
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers.cli import one_line_error, run_cli

from seqbench.errors import ConfigError
from seqbench.lessons.exposure_bias.generation import (
    MAX_CHARS,
    MAX_PROMPT,
    encode_prompt,
    generate,
    prime,
    sample_ids,
    sample_next,
    stream_text,
)
from seqbench.lessons.exposure_bias.measure import (
    exposure_bias,
    js_divergence,
    ngram_counts,
    validation_text,
)
from seqbench.lessons.streaming.streamer import Streamer
from seqbench.models import BACKBONES
from seqbench.tasks import Classifier, LanguageModel
from seqbench.tasks.checkpoint import load_task

VOCAB = sorted(set("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ:.,!?'\n"))
INFO = {"kind": "text", "vocab": VOCAB, "vocab_size": len(VOCAB) + 1, "seq_len": 48}
ENV = os.environ | {"OMP_NUM_THREADS": "1"}


def tiny_task(name: str, seed: int = 0) -> LanguageModel:
    """An untrained character LM (random weights) on any backbone, small enough to be instant."""
    torch.manual_seed(seed)
    extra = {"num_heads": 2} if name == "transformer" else {}
    backbone = functools.partial(BACKBONES[name], hidden_size=16, num_layers=2, **extra)
    optimizer = functools.partial(torch.optim.AdamW)
    return LanguageModel(backbone=backbone, optimizer=optimizer, data_info=INFO, embed_dim=8)


def ids_of(text: str) -> torch.Tensor:
    return torch.tensor([[VOCAB.index(c) + 1 for c in text]])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """RUNS_DIR holding one tiny GRU trained for real through the CLI (shakespeare, seed 0)."""
    root = tmp_path_factory.mktemp("lessons")
    result = run_cli(
        "seqbench.train",
        f"paths.root_dir={root}",
        f"paths.raw_dir={raw_dir}",
        "data=shakespeare",
        "model=gru",
        "budget=smoke",
        "logger=csv",
        "print_config=false",
        "callbacks.progress_bar=null",
        "model.hidden_size=32",
        "data.seq_len=64",
        env=ENV,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "outputs"


def ckpt_of(runs: Path) -> Path:
    return runs / "shakespeare" / "gru" / "0" / "checkpoints" / "best.ckpt"


@pytest.mark.parametrize("name", list(BACKBONES))
def test_generation_is_seeded_sized_and_in_vocabulary(name):
    task = tiny_task(name)
    text = generate(task, "ROMEO:", 60, seed=1)
    assert len(text) == 60 and set(text) <= set(VOCAB)
    assert generate(task, "ROMEO:", 60, seed=1) == text
    assert generate(task, "ROMEO:", 60, seed=2) != text
    assert generate(task, "ROMEO:", 60, temperature=1.5, top_k=None, seed=1) != text


@pytest.mark.parametrize("name", list(BACKBONES))
def test_streamed_logits_equal_the_full_forward_pass(name):
    task = tiny_task(name).eval()
    ids = ids_of("ROMEO: But soft, what light")
    with torch.no_grad():
        streamed, _ = prime(task, ids)
        full = task(ids)[0][:, -1]
        last_only, _ = prime(task, ids[:, -1:])
    torch.testing.assert_close(streamed, full, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(last_only, full, atol=1e-3)  # the state really carried the prompt


@pytest.mark.parametrize("name", list(BACKBONES))
def test_top_k_one_is_greedy_and_never_unknown(name):
    """Past the training window (seq_len 48) a Transformer reads only the last 48 characters,
    as in training; a recurrent model carries its state on through the whole text."""
    task = tiny_task(name).eval()
    with torch.no_grad():
        task.head.bias[1] += 0.5  # break near-ties of an untrained model
        task.head.bias[0] += 100.0  # the model now "prefers" the unknown id everywhere
    ids = ids_of("JULIET:")
    context = INFO["seq_len"] if name == "transformer" else None
    with torch.no_grad():
        for _ in range(70):  # greedy by re-running the whole prefix, no streaming involved
            logits = task(ids[:, -context:] if context else ids)[0][:, -1]
            logits[:, 0] = -torch.inf
            ids = torch.cat([ids, logits.argmax(dim=1, keepdim=True)], dim=1)
    greedy = "".join(VOCAB[i - 1] for i in ids[0, 7:].tolist())
    assert generate(task, "JULIET:", 70, top_k=1, seed=0) == greedy
    assert generate(task, "JULIET:", 70, top_k=1, seed=9) == greedy
    assert "\ufffd" not in generate(task, "JULIET:", 50, temperature=5.0, top_k=None)


@pytest.mark.parametrize("name", list(BACKBONES))
def test_feeding_a_stretch_equals_pushing_it_step_by_step(name):
    """A recurrent model primes on a prompt in one forward pass from its carried state."""
    task = tiny_task(name).eval()
    ids = ids_of("ROMEO: But soft, what light")
    stepwise, fed = Streamer(task), Streamer(task)
    for t in range(ids.shape[1]):
        expected = stepwise.push(ids[:, t])
    fed.feed(ids[:, :10])
    torch.testing.assert_close(fed.feed(ids[:, 10:]), expected, atol=1e-5, rtol=1e-4)
    assert fed.position == stepwise.position == ids.shape[1]
    torch.testing.assert_close(fed.push(ids[:, 0]), stepwise.push(ids[:, 0]))


@pytest.mark.parametrize("name", list(BACKBONES))
def test_a_prompt_at_the_limit_primes_and_samples(name):
    """G17: 100,000 prompt characters were 100,000 streaming steps; now one pass for an RNN
    and the last seq_len characters for a Transformer."""
    prompt = ("ROMEO: But soft, what light through yonder window breaks?\n" * 2000)[:MAX_PROMPT]
    text = generate(tiny_task(name), prompt, 5, seed=1)
    assert len(text) == 5 and set(text) <= set(VOCAB)


def test_text_comes_out_as_it_is_sampled():
    """G14: a long generation shows its progress: stream_text yields each character when it
    is sampled, and the pieces are the text generate returns."""
    task = tiny_task("lstm")
    pieces = stream_text(task, "ROMEO:", 40, seed=4)
    first = next(pieces)
    assert len(first) == 1
    assert first + "".join(pieces) == generate(task, "ROMEO:", 40, seed=4)


def test_a_byte_model_streams_the_same_text_as_a_whole_decode():
    """Bytes decode incrementally: a character split across pieces comes out whole, invalid
    UTF-8 as the replacement character, exactly as decoding all bytes at once."""
    torch.manual_seed(0)
    task = LanguageModel(
        backbone=functools.partial(BACKBONES["gru"], hidden_size=16),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={"kind": "text", "vocab": "byte", "vocab_size": 256, "seq_len": 48},
        embed_dim=8,
    )
    text = generate(task, "héllo", 300, temperature=2.0, top_k=None, seed=0)
    generator = torch.Generator().manual_seed(0)
    ids = encode_prompt("héllo", "byte")
    with torch.no_grad():
        raw = sample_ids(task.eval(), ids, 300, 2.0, None, generator)
    assert text == bytes(raw[0].tolist()).decode("utf-8", errors="replace")


def test_sampling_follows_tempered_softmax_within_top_k():
    logits = torch.tensor([[9.0, 2.0, 1.0, 0.0, -1.0]]).repeat(20000, 1)
    generator = torch.Generator().manual_seed(0)
    picks = sample_next(logits, 2.0, None, generator)
    freq = torch.bincount(picks, minlength=5).float() / len(picks)
    expected = torch.tensor([2.0, 1.0, 0.0, -1.0]).div(2.0).softmax(0)
    assert freq[0] == 0
    torch.testing.assert_close(freq[1:], expected, atol=0.015, rtol=0)
    top2 = sample_next(logits, 1.0, 2, generator)
    assert set(top2.tolist()) == {1, 2}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"prompt": ""}, "the prompt is empty"),
        ({"prompt": "ROMEO€~"}, "prompt characters not in the model's vocabulary: '~', '€'"),
        ({"temperature": 0.0}, "temperature must be > 0, got 0.0"),
        ({"top_k": 0}, "top_k must be >= 1"),
        ({"chars": 0}, "chars must be >= 1, got 0"),
        ({"temperature": math.inf}, "temperature must be a finite number, got inf"),
        ({"temperature": math.nan}, "temperature must be a finite number, got nan"),
        ({"temperature": 1e-9}, "temperature=1e-09 is out of range; valid: 0.01..100"),
        ({"temperature": 101.0}, "temperature=101.0 is out of range"),
        ({"chars": MAX_CHARS + 1}, "chars=100001 is over the limit of 100,000"),
        ({"prompt": "a" * (MAX_PROMPT + 1)}, "the prompt has 100,001 characters, over the"),
        ({"seed": -1}, "seed must be in 0.."),
        ({"seed": 2**64}, "seed must be in 0.."),
    ],
)
def test_bad_generation_input_is_refused(kwargs, expected):
    with pytest.raises(ConfigError, match=expected.replace("?", r"\?")):
        generate(tiny_task("gru"), **({"prompt": "ROMEO:", "chars": 5} | kwargs))


def test_a_classifier_is_not_a_character_model(tmp_path):
    info = {"kind": "sensor", "channels": 3, "classes": ["walk", "sit"]}
    task = Classifier(
        backbone=functools.partial(BACKBONES["gru"], hidden_size=8),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info=info,
        embed_dim=4,
    )
    with pytest.raises(ConfigError, match="not a character language model"):
        generate(task, "ROMEO:", 5)
    path = tmp_path / "classifier.ckpt"
    torch.save({"hyper_parameters": dict(task.hparams), "state_dict": task.state_dict()}, path)
    result = run_cli("seqbench.cli", "generate", str(path), env=ENV)
    assert result.returncode == 2
    assert "not a character language model" in one_line_error(result)


def test_js_divergence_and_ngram_counts():
    assert js_divergence(np.array([3, 1, 0]), np.array([6, 2, 0])) == pytest.approx(0.0)
    assert js_divergence(np.array([1, 0]), np.array([0, 1])) == pytest.approx(1.0)
    assert js_divergence(np.array([1, 0]), np.array([1, 1])) == pytest.approx(0.3113, abs=1e-4)
    uni, bi = ngram_counts(np.array([[1, 2], [2, 1]]), 3)
    assert uni.tolist() == [0, 2, 2] and bi.sum() == 2  # no bigram (2, 2) across the rows
    assert bi[1 * 3 + 2] == 1 and bi[2 * 3 + 1] == 1


def test_exposure_bias_on_an_untrained_model_sees_garbage():
    text = "ROMEO: But soft, what light through yonder window breaks?\n" * 40
    task = tiny_task("lstm")
    result = exposure_bias(task, text, seed=3)
    assert result == exposure_bias(task, text, seed=3)
    assert result["window_chars"] == INFO["seq_len"]
    uniform = math.log(INFO["vocab_size"])
    for key in ("teacher_forced_loss", "self_loss", "real_loss_same_positions"):
        assert abs(result[key] - uniform) < 0.3, (key, result[key])
    # random-weight text is far from the real statistics; real text of the same size is not
    assert result["js_unigram_bits"] > 0.3 > 0.05 > result["floor_js_unigram_bits"]
    assert result["free_running_sample"].startswith(text[:32])
    with pytest.raises(ConfigError, match="fewer than one window"):
        exposure_bias(task, text[:40])


def test_exposure_bias_tells_own_text_from_real_text():
    """A model sure that every next character is 'e': easy on its own text, awful on real."""
    text = "ROMEO: But soft, what light through yonder window breaks?\n" * 40
    task = tiny_task("transformer")
    with torch.no_grad():
        task.head.bias[VOCAB.index("e") + 1] += 30.0
    result = exposure_bias(task, text, seed=0)
    assert result["self_loss"] < 0.01
    assert result["real_loss_same_positions"] > 20 and result["teacher_forced_loss"] > 20
    assert result["self_minus_real"] < -20
    assert result["free_running_sample"] == text[:32] + "e" * (INFO["seq_len"] - 32)
    assert result["js_unigram_bits"] > 0.7 and result["reference_js_unigram_bits"] > 0.7


def test_generate_cli_prints_prompt_and_sample(trained):
    ckpt = ckpt_of(trained)
    args = ("--prompt", "ROMEO:", "--chars", "80", "--seed", "3", "--top-k", "none")
    result = run_cli("seqbench.cli", "generate", str(ckpt), *args, env=ENV)
    assert result.returncode == 0, result.stderr
    expected = generate(load_task(ckpt), "ROMEO:", 80, top_k=None, seed=3)
    assert result.stdout == "ROMEO:" + expected + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--prompt", ""), "the prompt is empty"),
        (("--prompt", "ROMEO\t~"), "vocabulary: '\\t', '~'"),
        (("--temperature", "0"), "temperature must be > 0"),
        (("--top-k", "0"), "top_k must be >= 1"),
        (("--chars", "0"), "chars must be >= 1"),
        (("--chars", "100000000"), "over the limit of 100,000"),
        (("--temperature", "inf"), "temperature must be a finite number"),
    ],
)
def test_bad_generate_cli_input_is_one_line(trained, args, expected):
    result = run_cli("seqbench.cli", "generate", str(ckpt_of(trained)), *args, env=ENV)
    assert result.returncode == 2 and result.stdout == ""
    assert expected in one_line_error(result)


def test_text_lessons_writes_json_and_lists_missing_models(trained, raw_dir, tmp_path):
    out = tmp_path / "lessons" / "text.json"
    args = ("--seed", "0", "--chars", "40", "--raw-dir", str(raw_dir), "--out", str(out))
    result = run_cli("seqbench.cli", "text-lessons", str(trained), *args, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "missing: rnn, lstm, transformer" in result.stdout
    report = json.loads(out.read_text())
    assert report["data"] == "shakespeare" and report["seed"] == 0
    assert report["prompt"] == "ROMEO:" and report["settings"]["chars"] == 40
    assert list(report["models"]) == ["gru"]
    assert report["missing"] == ["rnn", "lstm", "transformer"]
    gru = report["models"]["gru"]
    task = load_task(ckpt_of(trained))
    assert gru["sample"] == generate(task, "ROMEO:", 40, seed=0)
    expected = exposure_bias(task, validation_text("shakespeare", raw_dir), seed=0)
    expected |= {"checkpoint": str(ckpt_of(trained)), "num_parameters": task.num_parameters}
    assert gru.keys() == expected.keys() | {"sample"}
    for key, value in expected.items():  # approx: another process may use other threads
        assert gru[key] == (pytest.approx(value, rel=1e-5) if isinstance(value, float) else value)
    metrics = json.loads((ckpt_of(trained).parents[1] / "metrics.json").read_text())
    # the same quantity as val/loss, on other windows of the same split
    assert abs(gru["teacher_forced_loss"] - metrics["best_val"]) < 0.3
    assert gru["floor_js_unigram_bits"] < gru["js_unigram_bits"]


def test_text_lessons_without_runs_is_one_line(tmp_path):
    out = tmp_path / "text.json"
    result = run_cli("seqbench.cli", "text-lessons", str(tmp_path), "--out", str(out), env=ENV)
    assert result.returncode == 2
    assert "no checkpoint at" in one_line_error(result)
    assert not out.exists()


def test_a_missing_or_corrupt_checkpoint_is_one_line(tmp_path):
    missing = run_cli("seqbench.cli", "generate", str(tmp_path / "none.ckpt"), env=ENV)
    assert "none.ckpt does not exist" in one_line_error(missing)
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"PK\x03\x04 not really a checkpoint")
    result = run_cli("seqbench.cli", "generate", str(corrupt), env=ENV)
    assert result.returncode == 2
    assert "corrupt.ckpt is not a readable seqbench checkpoint" in one_line_error(result)


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_checkpoint_with_code_in_it_is_refused_unrun(tmp_path):
    evil = tmp_path / "evil.ckpt"
    torch.save({"state_dict": _Payload(), "hyper_parameters": {}}, evil)
    result = run_cli("seqbench.cli", "generate", str(evil), env=ENV, cwd=tmp_path)
    assert "holds pickled objects (posix.system)" in one_line_error(result)
    assert not (tmp_path / "pwned").exists()


def test_text_lessons_onto_a_full_disk_keeps_the_previous_json(trained, raw_dir, tmp_path):
    """text.json is a DVC output: written whole or not at all (as the benchmarks' JSON), so a
    full disk leaves the previous file as it was, no temporary file, and one line (exit 1)."""
    import contextlib
    import subprocess

    from seqbench.safety import atomic

    disk = tmp_path / "disk"
    disk.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)]
    mounted = subprocess.run(mount, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'not root'})")
    try:
        out = disk / "text.json"
        out.write_text('{"previous": true}\n')
        with contextlib.suppress(OSError), (disk / "filler").open("wb", buffering=0) as filler:
            while True:
                filler.write(b"\0" * 4096)
        args = ("--seed", "0", "--chars", "40", "--raw-dir", str(raw_dir), "--out", str(out))
        result = run_cli("seqbench.cli", "text-lessons", str(trained), *args, env=ENV, timeout=300)
        assert result.returncode == 1, result.stderr[-3000:]
        assert f"the disk holding {disk} is full" in one_line_error(result)
        assert out.read_text() == '{"previous": true}\n'
        assert not list(disk.glob(f"*{atomic.PARTIAL}"))
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)
