"""Per-step latency and state memory of parameter-matched models streaming a long input.

The recurrent models carry a fixed-size state, so each step costs the same at position 1 and
at position 4096. The Transformer's KV cache grows by one key and one value per layer and
step, and each step attends over all of it, so its memory and its latency grow with the
position. This measures both on the sensor classifier (the conf/task/classifier.yaml
budget, 6 channels), each model sized to the budget exactly as training sizes it.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable

import torch
from omegaconf import OmegaConf

from seqbench.config import CONF_DIR
from seqbench.errors import ConfigError
from seqbench.lessons.streaming.streamer import Streamer
from seqbench.lessons.timing import quiet_cpu, synchronizer, timed
from seqbench.models import BACKBONES, MODELS
from seqbench.tasks import Classifier

CHANNELS = 6  # the watch / HAR sensor windows
CLASSES = [f"class{i}" for i in range(7)]
_NOT_KWARGS = {"name", "defaults", "hidden_size"}  # and Hydra's _target_, _partial_, _convert_


def _model_kwargs(name: str) -> dict:
    """The backbone's keyword arguments from conf/model, its `_recurrent` defaults merged."""
    cfg = OmegaConf.load(CONF_DIR / "model" / f"{name}.yaml")
    for base in cfg.get("defaults", []):
        cfg = OmegaConf.merge(OmegaConf.load(CONF_DIR / "model" / f"{base}.yaml"), cfg)
    options = OmegaConf.to_container(cfg).items()
    return {k: v for k, v in options if k not in _NOT_KWARGS and not k.startswith("_")}


def backbone_of(variant: str) -> tuple[str, dict]:
    """A model as the lessons name it: a backbone (``mamba``), or one trained through its
    recurrence instead of its parallel form (``mamba/sequential``); its name and options."""
    name, _, form = variant.partition("/")
    if name not in BACKBONES:
        raise ConfigError(f"unknown model {variant!r}; choose from {', '.join(BACKBONES)}")
    options = _model_kwargs(name)
    if form and (form != "sequential" or "sequential" not in options):
        sequential = [n for n in BACKBONES if "sequential" in _model_kwargs(n)]
        raise ConfigError(
            f"unknown form {variant!r}: `/sequential` is the one form, for "
            f"{', '.join(sequential) or 'no model'}"
        )
    return name, options | ({"sequential": True} if form else {})


def build_classifier(variant: str) -> Classifier:
    """The sensor classifier with the backbone ``variant`` names (see :func:`backbone_of`),
    hidden size solved from the budget."""
    name, options = backbone_of(variant)
    task_cfg = OmegaConf.load(CONF_DIR / "task" / "classifier.yaml")
    return Classifier(
        backbone=functools.partial(BACKBONES[name], **options),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={"channels": CHANNELS, "classes": CLASSES},
        embed_dim=task_cfg.embed_dim,
        param_budget=task_cfg.param_budget,
    )


def _positions(positions: int, every: int) -> list[int]:
    return sorted({1, *range(every, positions + 1, every), positions})


def measure(
    positions: int = 4096,
    every: int = 64,
    window: int = 9,
    models: tuple[str, ...] = MODELS,
    progress: Callable[[str, int], None] | None = None,
    device: str | torch.device = "cpu",
) -> list[dict]:
    """Stream a batch of 1 for ``positions`` steps through each model; one row per position.

    Rows are kept at position 1, every ``every``-th step and the last. ``latency_ms`` is the
    median time of one ``push`` over ``window`` consecutive steps around the position (one
    step alone is at the mercy of the scheduler). ``progress(model, steps_done)`` is called
    every ``every`` steps, outside the timed region. On a GPU each timed push ends with a
    synchronisation, so a latency is the step's work, not the time to queue it.
    """
    if positions < 1 or every < 1 or window < 1:
        raise ConfigError(
            f"positions, every and window must be >= 1, got {positions}, {every}, {window}"
        )
    tasks = {name: build_classifier(name).to(device) for name in models}
    for name, task in tasks.items():
        max_len = task.backbone.max_positions
        if max_len is not None and positions > max_len:
            raise ConfigError(f"{name} has max_len={max_len}; stream at most that many positions")
    with quiet_cpu():
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(1, positions, CHANNELS, generator=generator).to(device)
        return [
            r for name, task in tasks.items() for r in _run(name, task, x, every, window, progress)
        ]


def _run(
    name: str,
    task: Classifier,
    x: torch.Tensor,
    every: int,
    window: int,
    progress: Callable[[str, int], None] | None,
) -> list[dict]:
    """Time every push of one model's stream, then summarise the kept positions."""
    streamer = Streamer(task)
    sync = synchronizer(streamer.device)
    for t in range(min(16, x.shape[1])):  # warm-up: first calls allocate and pick kernels
        streamer.push(x[:, t])
    streamer.reset()
    keep = set(_positions(x.shape[1], every))
    seconds: list[float] = []
    state_bytes: dict[int, int] = {}
    for t in range(x.shape[1]):
        seconds.append(timed(lambda t=t: streamer.push(x[:, t]), sync))
        if streamer.position in keep:
            state_bytes[streamer.position] = streamer.state_bytes()
        if progress is not None and (streamer.position % every == 0 or t == x.shape[1] - 1):
            progress(name, streamer.position)
    rows = []
    for position in sorted(keep):
        first = min(max(position - 1 - window // 2, 0), max(len(seconds) - window, 0))
        latency = statistics.median(seconds[first : first + window])
        rows.append(
            {
                "model": name,
                "position": position,
                "latency_ms": 1000 * latency,
                "state_bytes": state_bytes[position],
                "num_parameters": task.num_parameters,
                "hidden_size": task.backbone.hidden_size,
                "window": window,
            }
        )
    return rows


def summary(rows: list[dict]) -> list[str]:
    """One line per model: latency and state memory at the first and the last position."""
    lines = []
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == name]
        a, b = mine[0], mine[-1]
        lines.append(
            f"{name:18} H={a['hidden_size']:<4} {a['num_parameters']:>6} params  "
            f"latency {a['latency_ms']:.3f} ms @ {a['position']} -> {b['latency_ms']:.3f} ms "
            f"@ {b['position']}  state {a['state_bytes']} B -> {b['state_bytes']} B"
        )
    return lines
