"""A whole anomaly run through the CLI on the bundled ECG: fetched, trained on normal data,
scored streaming, its metrics and baselines in metrics.json."""

import json
import math

from helpers.cli import run_cli


def test_a_smoke_run_on_mitdb_records_quality_streaming_and_baselines(tmp_path):
    raw = tmp_path / "raw"
    fetched = run_cli("seqbench.cli", "fetch", "mitdb", "--raw-dir", str(raw))
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    trained = run_cli(
        "seqbench.train",
        "data=mitdb",
        "model=gru",
        "budget=smoke",
        "logger=csv",
        "print_config=false",
        f"paths.raw_dir={raw}",
        f"paths.run_dir={tmp_path / 'run'}",
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    test, extra = metrics["test"], metrics["test_extra"]
    for key in ("auroc", "auprc", "precision", "recall", "f1", "step_ms", "stream_max_diff"):
        assert math.isfinite(test[f"test/{key}"]), key
    assert test["test/stream_max_diff"] < 1e-4  # the step-by-step detector is the same model
    # the stream: 256 context samples (data.window) before the test's 500, the last unread
    assert extra["streamed_steps"] == 256 + 500 - 1
    assert set(extra["baselines"]) == {"zscore", "last_value"}
    assert math.isfinite(extra["threshold"]) and metrics["val"]["val/f1"] > 0
    assert metrics["monitor"] == "val/loss"  # labels choose the threshold, never the weights
