"""Exposure bias of a character LM: trained on true text (teacher forcing), run on its own.

During training the model always conditions on real characters; when generating it conditions
on what it sampled itself. Comparing the model on the two, over the same validation windows,
shows what that costs: its loss on real text, its loss on its own continuations, and how far
the character and bigram statistics of its text drift from the real text's (Jensen-Shannon
divergence, next to the divergence that sampling noise alone gives for a real text sample of
the same size).
"""

from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.progress import Progress
from torch import Tensor
from torch.nn import functional as F

from seqbench import rundir
from seqbench.data.text import CharLMDataModule, decode, encode
from seqbench.errors import ConfigError
from seqbench.lessons.exposure_bias.generation import (
    check_char_lm,
    check_length,
    check_request,
    check_sampling,
    generate,
    inference,
    sample_ids,
)
from seqbench.models import MODELS
from seqbench.tasks.base import SequenceTask
from seqbench.tasks.checkpoint import load_task
from seqbench.tasks.identity import first_difference

REFERENCE = {"temperature": 0.8, "top_k": 20}  # the usual "nice text" setting, for comparison
FREE_RUNNING = {"temperature": 1.0, "top_k": None}  # unbiased: the model's own distribution
WINDOWS, PROMPT_CHARS = 16, 32


def js_divergence(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits between two count vectors (0 = same, 1 = disjoint)."""
    p, q = p_counts / p_counts.sum(), q_counts / q_counts.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float((a[nz] * np.log2(a[nz] / m[nz])).sum())

    return 0.5 * kl(p) + 0.5 * kl(q)


def ngram_counts(rows: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Unigram and bigram counts over each row (bigrams never span two rows)."""
    rows = np.atleast_2d(rows).astype(np.int64)
    unigrams = np.bincount(rows.ravel(), minlength=vocab_size)
    pairs = (rows[:, :-1] * vocab_size + rows[:, 1:]).ravel()
    return unigrams, np.bincount(pairs, minlength=vocab_size * vocab_size)


def mean_loss(task: SequenceTask, rows: Tensor, start: int) -> float:
    """Teacher-forced loss (nats/char) of predicting rows[:, start:] from everything before."""
    logits, _ = task(rows[:, :-1])
    return F.cross_entropy(logits[:, start - 1 :].flatten(0, 1), rows[:, start:].flatten()).item()


def windows_of(ids: np.ndarray, count: int, length: int) -> Tensor:
    """``count`` windows of ``length`` ids, evenly spread over the text (same every call)."""
    if len(ids) < length:
        raise ConfigError(
            f"the validation text has {len(ids)} characters, fewer than one window of {length}; "
            "use a smaller window"
        )
    starts = np.linspace(0, len(ids) - length, count).round().astype(np.int64)
    return torch.from_numpy(ids[starts[:, None] + np.arange(length)].astype(np.int64))


def exposure_bias(
    task: SequenceTask,
    text: str,
    windows: int = WINDOWS,
    window_chars: int | None = None,
    prompt_chars: int = PROMPT_CHARS,
    seed: int = 0,
) -> dict[str, float | str]:
    """Teacher-forced vs free-running behaviour of ``task`` on validation ``text``.

    ``window_chars`` defaults to the training sequence length, so the teacher-forced loss means
    what val/loss means and the Transformer is not judged at positions it never trained on.
    Free-running samples use temperature 1.0 and no top-k: the model's own distribution.
    """
    vocab = check_char_lm(task)
    length = window_chars or int(task.data_info.get("seq_len", 256))
    if not 0 < prompt_chars < length - 1:
        raise ConfigError(f"prompt_chars must be in 1..{length - 2}, got {prompt_chars}")
    check_length(task, length)
    size = task.data_info["vocab_size"]
    ids = encode(text, vocab)
    device = next(task.parameters()).device
    real = windows_of(ids, windows, length).to(device)
    prompts, rest = real[:, :prompt_chars], length - prompt_chars
    generator = torch.Generator(device=device).manual_seed(seed)
    with inference(task):
        free = sample_ids(task, prompts, rest, generator=generator, **FREE_RUNNING)
        nice = sample_ids(task, prompts, rest, generator=generator, **REFERENCE)
        result: dict[str, float | str] = {
            "window_chars": float(length),
            "teacher_forced_loss": mean_loss(task, real, 1),
            "self_loss": mean_loss(task, torch.cat([prompts, free], dim=1), prompt_chars),
            "real_loss_same_positions": mean_loss(task, real, prompt_chars),
        }
    result["self_minus_real"] = result["self_loss"] - result["real_loss_same_positions"]
    text_uni, text_bi = ngram_counts(ids, size)
    for name, rows in (("", free), ("reference_", nice), ("floor_", real[:, prompt_chars:])):
        uni, bi = ngram_counts(rows.cpu().numpy(), size)
        result[f"{name}js_unigram_bits"] = js_divergence(uni, text_uni)
        result[f"{name}js_bigram_bits"] = js_divergence(bi, text_bi)
    result["free_running_sample"] = decode(prompts[0].tolist() + free[0].tolist(), vocab)
    return result


def validation_data(data: str, raw_dir: Path) -> tuple[str, dict]:
    """The validation split exactly as CharLMDataModule builds it for val/loss, and the
    dataset's identity (name, content hash, vocabulary) to check checkpoints against."""
    datamodule = CharLMDataModule(data, str(raw_dir))
    datamodule.setup("validate")  # verifies the snapshot and refuses non-text data
    text = decode(datamodule.datasets["validation"].ids.tolist(), datamodule.vocab)
    content = datamodule.provenance["content_hash"]
    return text, {"name": data, "content_hash": content, "vocab": datamodule.vocab}


def validation_text(data: str, raw_dir: Path) -> str:
    return validation_data(data, raw_dir)[0]


def check_trained_on(task: SequenceTask, path: Path, dataset: dict) -> None:
    """Refuse a checkpoint trained on other data than the text it is measured on (its
    vocabulary, and its name and content where the checkpoint records them)."""
    saved = {key: task.data_info[key] for key in dataset if key in task.data_info}
    if difference := first_difference(saved, {key: dataset[key] for key in saved}):
        raise ConfigError(
            f"{path} was trained on other data than {dataset['name']!r} ({difference}); "
            "measure it with --data set to its own dataset"
        )


def text_lessons(
    runs_dir: Path,
    data: str,
    seed: int,
    prompt: str,
    chars: int,
    raw_dir: Path,
    device: str | torch.device = "cpu",
    **sampling,
) -> dict:
    """Sample and exposure-bias numbers for every model's best checkpoint of (data, seed)."""
    check_sampling(sampling.get("temperature", 0.8), sampling.get("top_k", 20))
    check_request(prompt, chars, seed)
    paths = {m: rundir.checkpoint(rundir.run_dir(runs_dir, data, m, seed)) for m in MODELS}
    found = {m: p for m, p in paths.items() if p.is_file()}
    if not found:
        raise ConfigError(
            f"no checkpoint at {runs_dir}/{data}/<{'|'.join(MODELS)}>/{seed}/checkpoints/"
            f"best.ckpt; train first, e.g. `seqbench-train data={data} model=gru seed={seed}`"
        )
    (text, dataset), models = validation_data(data, raw_dir), {}
    with Progress(console=Console(stderr=True), transient=True) as progress:
        job = progress.add_task("loading", total=len(found))
        for name, path in found.items():
            progress.update(job, description=f"{name}: sampling, measuring exposure bias")
            task = load_task(path, device)
            check_trained_on(task, path, dataset)
            models[name] = {
                "checkpoint": str(path),
                "num_parameters": task.num_parameters,
                "sample": generate(task, prompt, chars, seed=seed, **sampling),
                **exposure_bias(task, text, seed=seed),
            }
            progress.advance(job)
    settings = {"chars": chars, "sample": {"temperature": 0.8, "top_k": 20} | sampling}
    settings |= {"windows": WINDOWS, "prompt_chars": PROMPT_CHARS, "window_chars": "seq_len"}
    settings |= {"free_running": FREE_RUNNING, "reference": REFERENCE}
    missing = [m for m in paths if m not in found]
    return {
        "data": data,
        "seed": seed,
        "prompt": prompt,
        "settings": settings,
        "models": models,
        "missing": missing,
    }


def summary(result: dict) -> list[str]:
    """One line per model: the numbers that say how much exposure bias costs it."""
    lines = []
    for name, m in result["models"].items():
        lines.append(
            f"{name:12} loss real {m['real_loss_same_positions']:.3f} / own text "
            f"{m['self_loss']:.3f} nats/char; bigram JS {m['js_bigram_bits']:.3f} bits "
            f"(T=0.8 top-20 {m['reference_js_bigram_bits']:.3f}, noise floor "
            f"{m['floor_js_bigram_bits']:.3f})"
        )
    if result["missing"]:
        lines.append(f"missing: {', '.join(result['missing'])}")
    return lines
