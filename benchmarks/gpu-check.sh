#!/usr/bin/env bash
# Everything issue 10 asks of a GPU, as ONE device run (device time is short: one call).
#   here:  seqbench fetch && ../shared/tools/gpu-prepare
#   then:  the device tool, carry [".gpu"], command "bash benchmarks/gpu-check.sh"
# Writes pytest-gpu.txt, throughput.txt, throughput-modern.txt, throughput-compile.txt and cost-cuda.{json,txt}
# (training step time and peak memory against T, issue 14) under $OUT.
set -uo pipefail
source .gpu/env.sh
out=${OUT:-/tmp/gpu-check}; mkdir -p "$out"
# gpu-prepare leaves out snapshots over 12 MB; the synthetic ones rebuild there in seconds
for name in shakespeare watch adding copy; do
  [ -d ".gpu/data/$name" ] || python3 -m seqbench.cli.main fetch "$name" --raw-dir .gpu/data
done
# only this file: the other test modules import packages the GPU machine lacks (dvc, wandb)
timeout 420 python3 -m pytest -m gpu -q -x -p no:cacheprovider tests/gpu/test_gpu.py 2>&1 \
  | tail -40 | tee "$out/pytest-gpu.txt"
timeout 180 python3 benchmarks/throughput.py --device cuda 2>&1 | tee "$out/throughput.txt"
timeout 150 python3 benchmarks/throughput.py --device cuda --presets modern --steps 40 2>&1 \
  | tee "$out/throughput-modern.txt"
timeout 100 python3 benchmarks/throughput.py --device cuda --presets lstm,nanogpt --compile \
  2>&1 | tee "$out/throughput-compile.txt"
timeout 120 python3 -m seqbench.cli.main cost-bench --device cuda --out "$out/cost-cuda.json" 2>&1 \
  | tee "$out/cost-cuda.txt"
