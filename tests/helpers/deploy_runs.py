"""Run folders as `seqbench deploy` leaves them, for the deploy lesson's tests: metrics.json
(the keys a real run writes), a validation curve, and deploy.json beside them; and the
Pareto front by brute force, to hold the lesson's own against."""

import json
from pathlib import Path

# the keys a real runs/watch/gru/0/metrics.json holds (test_extra trimmed to what matters)
METRICS = {
    "baseline": 0.17374517374517376, "baseline_metric": "acc", "best_val": 0.8125,
    "clip_gradients": True, "clipped_steps": 124, "data": "watch",
    "data_content_hash": "27ba79454bd8ebb87272b782431c92eb", "device_name": "cpu",
    "devices": 1, "grad_clip": 1.0, "hidden_size": 68, "match": "params",
    "max_grad_norm": 12.77, "mode": "max", "model": "gru", "monitor": "val/acc",
    "num_parameters": 49667, "seed": 0, "state_budget": 4096, "state_floats": 136,
    "state_grows": False, "status": "finished", "steps": 300, "study": None,
    "test": {"test/acc": 0.754, "test/f1": 0.763}, "test_extra": {"confusion": [[1]]},
    "threads": 1, "throughput_tokens_per_s": 67114.5, "torch": "2.13.0+cpu",
    "train_seconds": 39.3, "train_tokens": 2457600, "val": {"val/acc": 0.8125, "val/f1": 0.79},
    "wandb_group": "compare-default",
}  # fmt: skip


def write_run(folder: Path, model: str, seed: int, score: float, params: int, *,
              state: int = 512, step_ms: float | None = 0.1, memory: int | None = None,
              onnx: float | None = None, data: str = "watch", falling: bool = False,
              deploy: bool = True) -> Path:  # fmt: skip
    """One finished run folder: metrics.json, a validation curve (flat, or still rising),
    and (unless ``deploy`` is false) the deploy.json `seqbench deploy` writes."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = METRICS | {"data": data, "model": model, "seed": seed, "num_parameters": params,
                         "test": {"test/acc": score, "test/f1": score}}  # fmt: skip
    (folder / "metrics.json").write_text(json.dumps(metrics))
    steps = (75, 150, 225, 300)
    values = [0.3 + 0.15 * i if falling else (0.2 if i == 0 else score) for i in range(4)]
    pairs = zip(steps, values, strict=True)
    lines = ["step,time_s,val/acc"] + [f"{s},{s / 10},{v}" for s, v in pairs]
    (folder / "curves.csv").write_text("\n".join(lines) + "\n")
    if deploy:
        weights = 4 * params
        record = {
            "data": data, "model": model, "seed": seed, "parameters": params,
            "weight_bytes": weights, "state_bytes": state, "state_positions": 128,
            "state_growth_bytes": 0, "memory_bytes": memory or weights + state,
            "step_ms": {
                "eager": {"median": step_ms * (1 + 0.01 * seed), "p99": 2 * step_ms, "steps": 1000},
                "onnx": {"median": onnx, "p99": 2 * onnx, "steps": 1000} if onnx else None,
            },
            "peak_rss_bytes": 412000000, "threads": 1,
        }  # fmt: skip
        (folder / "deploy.json").write_text(json.dumps(record))
    return folder


# model -> (parameters, state bytes, eager step ms, quality per seed)
BOARD = {
    "rnn": (20_000, 256, 0.05, [0.50, 0.52, 0.51]),
    "gru": (50_000, 544, 0.08, [0.79, 0.81, 0.80]),
    "lstm": (60_000, 1088, 0.10, [0.80, 0.82, 0.81]),
    "transformer": (55_000, 65_536, 0.30, [0.81, 0.80, 0.82]),
}


def make_board(root: Path, board: dict = BOARD, **given) -> Path:
    for model, (params, state, step, scores) in board.items():
        for seed, score in enumerate(scores):
            write_run(root / "watch" / model / str(seed), model, seed, score, params,
                      state=state, step_ms=step, **given)  # fmt: skip
    return root


def brute_front(points: dict[str, tuple[float, float]], mode: str) -> set[str]:
    good = (lambda q: -q) if mode == "min" else (lambda q: q)

    def beats(a, b):
        (qa, ca), (qb, cb) = a, b
        return good(qa) >= good(qb) and ca <= cb and (good(qa) > good(qb) or ca < cb)

    return {n for n, p in points.items() if not any(beats(o, p) for o in points.values())}
