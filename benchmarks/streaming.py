"""Streaming cost per step: does a recurrent model stay flat while the Transformer's KV cache
grows? Run: `python benchmarks/streaming.py [--positions 4096] [--every 512]`.

Each model (rnn, lstm, gru, transformer) is the sensor classifier sized to the
conf/task/classifier.yaml budget; a batch of 1 streams ``--positions`` samples through
``seqbench.lessons.streaming.streamer.Streamer`` on one thread. Prints, per model and kept
position, the median per-step latency over a few consecutive steps and the bytes the state holds.
`seqbench stream-bench` runs the same measurement and writes it as JSON.
"""

import argparse
import time

from seqbench.lessons.streaming.measure import measure, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=4096)
    parser.add_argument("--every", type=int, default=512, help="print every N-th position")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = measure(args.positions, every=args.every)
    print(f"{'model':11} {'position':>8} {'latency ms':>11} {'state bytes':>12}")
    for row in rows:
        print(
            f"{row['model']:11} {row['position']:>8} {row['latency_ms']:>11.3f} "
            f"{row['state_bytes']:>12}"
        )
    print()
    for line in summary(rows):
        print(line)
    print(f"wall time {time.perf_counter() - started:.1f} s (torch threads: 1)")


if __name__ == "__main__":
    main()
