"""Sample text from a trained character language model, with any of the four backbones.

Generation is streaming (a :class:`~seqbench.lessons.streaming.Streamer`): the prompt primes the
state (RNN hidden state in one forward pass, Transformer KV cache) and the state is carried, so
each new character costs one step (O(1) for the RNNs) instead of re-running the whole prefix. A
Transformer reads at most its training window (``data.seq_len``) of the latest characters.
``prime`` and ``sample_ids`` work on batches so the exposure-bias measurement can reuse them.
Text comes out as it is sampled (:func:`stream_text`), so a long generation shows its progress,
and the prompt, the length and the sampling settings have stated limits, refused in one line.
"""

import codecs
import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

from seqbench.data.vocab import BYTE, UNKNOWN, Vocab, encode, unknown_chars
from seqbench.errors import ConfigError
from seqbench.lessons.streaming.streamer import Streamer
from seqbench.tasks.base import SequenceTask
from seqbench.tasks.language_model import LanguageModel

MAX_CHARS = 100_000  # characters to sample: minutes on a CPU for the slowest model
MAX_PROMPT = 100_000  # prompt characters: one forward pass for an RNN, a window for attention
TEMPERATURES = (0.01, 100.0)  # below: logits / T overflows; above: uniform noise
MAX_SEED = 2**63 - 1  # torch.Generator's seed range


def check_char_lm(task: SequenceTask) -> Vocab:
    """The task's vocabulary (characters, or "byte"), or a ConfigError when the task is not a
    character or byte language model."""
    vocab = task.data_info.get("vocab")
    if not isinstance(task, LanguageModel) or not vocab:
        raise ConfigError(
            f"this checkpoint is a {type(task).__name__} on {task.data_info.get('kind')!r} data, "
            "not a character language model; pick a checkpoint trained on a text dataset"
        )
    return vocab


def check_sampling(temperature: float, top_k: int | None) -> None:
    low, high = TEMPERATURES
    if not math.isfinite(temperature):
        raise ConfigError(f"temperature must be a finite number, got {temperature}; try 0.8")
    if not temperature > 0:
        raise ConfigError(f"temperature must be > 0, got {temperature}; 1.0 samples the model")
    if not low <= temperature <= high:
        raise ConfigError(
            f"temperature={temperature} is out of range; valid: {low}..{high:g} "
            "(1.0 samples the model, lower is more careful, higher more random)"
        )
    if top_k is not None and top_k < 1:
        raise ConfigError(f"top_k must be >= 1 (or unset for no limit), got {top_k}")


def check_request(prompt: str, chars: int, seed: int) -> None:
    """Refuse a generation that would run for long or cannot run, before any checkpoint
    is loaded: the limits are stated in the line."""
    if chars < 1:
        raise ConfigError(f"chars must be >= 1, got {chars}")
    if chars > MAX_CHARS:
        raise ConfigError(f"chars={chars} is over the limit of {MAX_CHARS:,}; ask for fewer")
    if len(prompt) > MAX_PROMPT:
        raise ConfigError(
            f"the prompt has {len(prompt):,} characters, over the limit of {MAX_PROMPT:,}; "
            "give its end only (a model reads what comes last)"
        )
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"seed must be in 0..{MAX_SEED}, got {seed}")


@contextmanager
def inference(task: SequenceTask) -> Iterator[None]:
    """Eval mode (no dropout) and no autograd, restoring the caller's mode afterwards."""
    was_training = task.training
    task.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        task.train(was_training)


def prime(task: SequenceTask, ids: Tensor) -> tuple[Tensor, Streamer]:
    """Stream prompt ids (B, T); the logits after the last one, and the stream to go on with."""
    streamer = Streamer(task)
    return streamer.feed(ids), streamer


def sample_next(
    logits: Tensor, temperature: float, top_k: int | None, generator: torch.Generator
) -> Tensor:
    """Sample ids (B,) from softmax(logits / temperature), within the top_k, never UNKNOWN."""
    logits = logits.float() / temperature
    logits[:, UNKNOWN] = -torch.inf  # "some character we never saw" (for bytes: NUL) is not text
    k = logits.shape[1] - 1 if top_k is None else min(top_k, logits.shape[1] - 1)
    values, candidates = logits.topk(k, dim=1)
    choice = torch.multinomial(values.softmax(dim=1), 1, generator=generator)
    return candidates.gather(1, choice).squeeze(1)


def context_of(task: SequenceTask) -> int | None:
    """How many characters the model may condition on when sampling; None for no limit.

    A Transformer was trained on windows of ``data.seq_len``, each its own context starting at
    position 0: positions past that were never seen, so sampling keeps only the last seq_len
    characters (nanoGPT's crop). A recurrent model carries its state on, as in streaming.
    """
    if not task.backbone.attends:
        return None
    return int(task.data_info.get("seq_len") or task.backbone.max_positions)


def sampled(
    task: SequenceTask,
    prompt_ids: Tensor,
    chars: int,
    temperature: float,
    top_k: int | None,
    generator: torch.Generator,
) -> Iterator[Tensor]:
    """Continue each prompt row (B, T) by ``chars`` sampled ids, yielded one (B,) at a time.

    Within the context each new id is one streaming step; once a Transformer's window is full,
    each new id re-reads the last ``context_of(task)`` ids in one forward pass.
    """
    context = context_of(task)
    window = prompt_ids if context is None else prompt_ids[:, -context:]
    logits, streamer = prime(task, window)
    for i in range(chars):
        ids = sample_next(logits, temperature, top_k, generator)
        yield ids
        if i + 1 == chars:  # the last character's logits are never needed
            break
        if context is None:  # a recurrent model: its state is the whole history
            logits = streamer.push(ids)
            continue
        window = torch.cat([window, ids[:, None]], dim=1)[:, -context:]
        full = streamer.position >= context  # then read the window again from position 0
        logits = task(window)[0][:, -1] if full else streamer.push(ids)


def sample_ids(
    task: SequenceTask,
    prompt_ids: Tensor,
    chars: int,
    temperature: float,
    top_k: int | None,
    generator: torch.Generator,
) -> Tensor:
    """Continue each prompt row (B, T) by ``chars`` sampled ids -> (B, chars)."""
    steps = sampled(task, prompt_ids, chars, temperature, top_k, generator)
    return torch.stack(list(steps), dim=1)


def encode_prompt(prompt: str, vocab: Vocab) -> Tensor:
    """Prompt ids (1, T); refuses an empty prompt or characters the model never saw."""
    if not prompt:
        raise ConfigError("the prompt is empty; give at least one character, e.g. 'ROMEO:'")
    if unknown := unknown_chars(prompt, vocab):
        names = ", ".join(repr(c) for c in unknown)
        raise ConfigError(
            f"prompt characters not in the model's vocabulary: {names}; "
            "use only characters of the training text"
        )
    return torch.from_numpy(encode(prompt, vocab)).long().unsqueeze(0)


def check_length(task: SequenceTask, total: int) -> None:
    """The Transformer's positional table ends at max_len; say so before stepping past it."""
    limit = task.backbone.max_positions
    if limit is not None and total > limit:
        raise ConfigError(
            f"prompt plus chars is {total} characters but this Transformer only has positions "
            f"for {limit}; ask for fewer characters"
        )


def stream_text(
    task: SequenceTask,
    prompt: str,
    chars: int,
    temperature: float = 0.8,
    top_k: int | None = 20,
    seed: int = 0,
) -> Iterator[str]:
    """``chars`` characters (bytes, for a byte model: decoded with invalid UTF-8 replaced)
    sampled after ``prompt`` (the prompt itself is not returned), as they are sampled.

    Everything is checked before this returns, so a refusal never follows printed text. A
    seeded generator makes the text a function of (model, prompt, settings, seed) alone.
    """
    vocab = check_char_lm(task)
    check_sampling(temperature, top_k)
    check_request(prompt, chars, seed)
    ids = encode_prompt(prompt, vocab)
    device = next(task.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    return _decoded(task, ids.to(device), chars, (temperature, top_k, generator), vocab)


def _decoded(task, ids: Tensor, chars: int, sampling: tuple, vocab: Vocab) -> Iterator[str]:
    """Text of each sampled id as it comes; bytes through an incremental UTF-8 decoder."""
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    with inference(task):
        for step in sampled(task, ids, chars, *sampling):
            i = int(step[0])
            if vocab == BYTE:
                yield utf8.decode(bytes([i]))
            else:
                yield vocab[i - 1] if 0 < i <= len(vocab) else "\ufffd"
    if vocab == BYTE:
        yield utf8.decode(b"", final=True)


def generate(
    task: SequenceTask,
    prompt: str,
    chars: int,
    temperature: float = 0.8,
    top_k: int | None = 20,
    seed: int = 0,
) -> str:
    """The whole text :func:`stream_text` samples, as one string."""
    return "".join(stream_text(task, prompt, chars, temperature, top_k, seed))
