"""DataModules: windows, targets, normalisation, vocab, and refusing impossible settings, on the
session's fetched snapshot (raw_dir: seconds to build, so not in tests/unit)."""

import numpy as np
import pytest
import torch

from seqbench.data.sensor import SensorDataModule
from seqbench.data.synthetic import SyntheticDataModule
from seqbench.data.text import CharLMDataModule, decode
from seqbench.errors import ConfigError


def test_char_windows_shift_by_one_and_stay_inside_their_split(raw_dir):
    dm = CharLMDataModule("shakespeare", raw_dir, seq_len=64, batch_size=8)
    dm.setup("fit")
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == y.shape == (8, 64) and x.dtype == torch.long
    assert torch.equal(x[:, 1:], y[:, :-1])
    for windows in dm.datasets.values():
        assert (len(windows) - 1) * windows.stride + 64 + 1 <= len(windows.ids)
    assert dm.vocab_size == len(dm.vocab) + 1 < 100
    text = decode(dm.datasets["train"].ids[:200].tolist(), dm.vocab)
    assert ":\n" in text  # SPEAKER: then the line


def test_sensor_windows_normalised_with_train_statistics_only(raw_dir):
    dm = SensorDataModule("watch", raw_dir, window=100, stride=50, batch_size=16)
    dm.setup("fit")
    x, y = next(iter(dm.val_dataloader()))
    assert x.shape == (16, 100, 6) and x.dtype == torch.float32 and y.dtype == torch.long
    train = dm.datasets["train"].signal
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-3)
    assert dm.num_classes == 7 and dm.channels == 6
    assert not np.allclose(dm.datasets["test"].signal.mean(axis=0), 0, atol=1e-3)


def test_synthetic_modules_give_task_shapes(raw_dir):
    adding = SyntheticDataModule("adding", raw_dir, task="adding", batch_size=4)
    adding.setup("fit")
    x, y = next(iter(adding.train_dataloader()))
    assert x.shape == (4, 100, 2) and y.shape == (4,) and adding.length == 100
    copy = SyntheticDataModule("copy", raw_dir, task="copy", batch_size=4)
    copy.setup("fit")
    x, y = next(iter(copy.test_dataloader()))
    assert x.shape == y.shape == (4, 120) and x.dtype == torch.long


@pytest.mark.parametrize(
    ("make", "key"),
    [
        (lambda r: CharLMDataModule("shakespeare", r, seq_len=10_000_000), "data.seq_len"),
        (lambda r: CharLMDataModule("shakespeare", r, seq_len=0), "data.seq_len"),
        (lambda r: SensorDataModule("watch", r, window=-5), "data.window"),
        (lambda r: SensorDataModule("watch", r, window=5000), "data.window"),
        (lambda r: SensorDataModule("watch", r, window=64, stride=0), "data.stride"),
        (lambda r: CharLMDataModule("shakespeare", r, batch_size=0), "data.batch_size"),
    ],
)
def test_impossible_window_settings_name_the_valid_range(raw_dir, make, key):
    with pytest.raises(ConfigError) as error:
        make(raw_dir).setup("fit")
    message = str(error.value)
    assert message.startswith(key) and "valid" in message and "\n" not in message


def test_wrong_kind_of_data_is_refused(raw_dir):
    with pytest.raises(ConfigError, match="is 'sensor' data"):
        CharLMDataModule("watch", raw_dir).setup("fit")
