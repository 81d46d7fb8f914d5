"""One streaming step on a device: eager PyTorch against onnxruntime running the exported step.
Run: `python benchmarks/deploy.py [--models rnn lstm ...] [--steps 1000] [--window 128]`.

Each model is the sensor classifier sized to the conf/task/classifier.yaml budget (random
weights: the time of a step does not depend on them), streamed batch 1 on one CPU thread over
windows of ``--window`` samples back to back (the state reset at each window's end). Prints
the median and 99th percentile per step in both runtimes and their ratio, interleaving the
two runtimes per model so machine noise falls on both; `seqbench deploy` measures trained
runs the same way into their deploy.json.
"""

import argparse

from seqbench.lessons.deploy import export, runtime
from seqbench.lessons.deploy.measure import step_times, summary_ms
from seqbench.lessons.streaming.measure import build_classifier
from seqbench.lessons.timing import quiet_cpu
from seqbench.models import MODELS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--window", type=int, default=128)
    args = parser.parse_args()
    print(
        f"{'model':15} {'eager median':>12} {'p99':>7} {'onnx median':>12} {'p99':>7} {'ratio':>6}"
    )
    for model in args.models:
        task = build_classifier(model).eval()
        ex = export.example(task, args.window)
        window = ex.window[:1]
        eager_run = runtime.eager(task, "step", ex)
        try:
            onnx_run = runtime.load(export.to_bytes(task, "onnx", "step", ex), "onnx", "step", ex)
        except export.Unsupported as error:
            print(f"{model:15} onnx: {error}")
            continue
        with quiet_cpu(1):
            eager, onnx = [], []
            for _ in range(4):  # interleaved quarters: noise lands on both runtimes alike
                eager += step_times(eager_run, ex.start, window, args.steps // 4, 25)
                onnx += step_times(onnx_run, ex.start, window, args.steps // 4, 25)
        e, o = summary_ms(eager), summary_ms(onnx)
        print(
            f"{model:15} {e['median']:>12.4f} {e['p99']:>7.3f} {o['median']:>12.4f} "
            f"{o['p99']:>7.3f} {e['median'] / o['median']:>6.2f}"
        )


if __name__ == "__main__":
    main()
