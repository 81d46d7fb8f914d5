"""What share of a training step is data loading? Target: at most 2 % for a 2-layer,
128-unit LSTM. Run: `python benchmarks/data_loading.py [--raw-dir data/raw]`.

Times the DataLoader alone (next batch) and one full training step (forward, backward,
Adam) side by side in the same process, and prints medians and the share.
"""

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from seqbench.data.sensor import SensorDataModule
from seqbench.data.synthetic import SyntheticDataModule
from seqbench.data.text import CharLMDataModule


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def time_loader(module, steps: int) -> list[float]:
    """Per-batch latency of the training DataLoader, restarting epochs as a Trainer does."""
    times: list[float] = []
    while len(times) < steps:
        batches = iter(module.train_dataloader())
        for _ in range(steps - len(times)):
            start = time.perf_counter()
            if next(batches, None) is None:
                break
            times.append(time.perf_counter() - start)
    return times


def time_steps(module, embed: nn.Module, head: nn.Module, steps: int) -> list[float]:
    lstm = nn.LSTM(embed_dim(embed), 128, num_layers=2, batch_first=True)
    params = [*embed.parameters(), *lstm.parameters(), *head.parameters()]
    optimiser = torch.optim.Adam(params, lr=1e-3)
    batch = next(iter(module.train_dataloader()))
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        x, y = batch
        out, _ = lstm(embed(x))
        logits = head(out if y.dim() == 2 else out[:, -1])
        loss = (
            nn.functional.cross_entropy(logits.flatten(0, -2), y.flatten())
            if y.dtype == torch.long
            else nn.functional.mse_loss(logits.squeeze(-1), y)
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        times.append(time.perf_counter() - start)
    return times


def embed_dim(embed: nn.Module) -> int:
    return embed.embedding_dim if isinstance(embed, nn.Embedding) else embed.out_features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw-dir", type=Path, default=Path("data/raw"))
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    torch.manual_seed(0)
    cases = {
        "shakespeare": CharLMDataModule("shakespeare", args.raw_dir, seq_len=128),
        "watch": SensorDataModule("watch", args.raw_dir, window=128),
        "adding": SyntheticDataModule("adding", args.raw_dir, task="adding"),
    }
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch 64, LSTM 2x128")
    print(f"{'dataset':12} {'load ms':>9} {'step ms':>9} {'share':>7}")
    worst = 0.0
    for name, module in cases.items():
        module.setup("fit")
        if name == "shakespeare":
            embed, head = nn.Embedding(module.vocab_size, 64), nn.Linear(128, module.vocab_size)
        elif name == "watch":
            embed, head = nn.Linear(module.channels, 64), nn.Linear(128, module.num_classes)
        else:
            embed, head = nn.Linear(2, 64), nn.Linear(128, 1)
        load = median_ms(time_loader(module, args.steps))
        step = median_ms(time_steps(module, embed, head, args.steps))
        share = load / (load + step)
        worst = max(worst, share)
        print(f"{name:12} {load:9.3f} {step:9.2f} {share:7.2%}")
    print(
        f"worst data-loading share {worst:.2%} (target <= 2%): {'OK' if worst <= 0.02 else 'OVER'}"
    )


if __name__ == "__main__":
    main()
