"""The CSV log continues across a resume (findings I02, I04, I06): Lightning's CSVLogger
deletes an existing metrics.csv when it starts; seqbench's keeps every row already there."""

import csv

from seqbench.callbacks.csv_log import CSVLogger


def rows(path) -> list[dict]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_a_second_logger_on_the_same_folder_keeps_the_rows_before_it(tmp_path):
    first = CSVLogger(tmp_path, name="", version="csv")
    for step in range(3):
        first.log_metrics({"train/loss": 1.0 / (step + 1)}, step=step)
    first.save()
    metrics = tmp_path / "csv" / "metrics.csv"
    before = rows(metrics)
    assert [row["step"] for row in before] == ["0", "1", "2"]

    resumed = CSVLogger(tmp_path, name="", version="csv")  # a resume: same folder, new process
    resumed.log_metrics({"train/loss": 0.2}, step=3)
    resumed.log_metrics({"train/loss": 0.1, "val/loss": 0.3}, step=4)  # a new column
    resumed.save()
    after = rows(metrics)
    assert [row["step"] for row in after] == ["0", "1", "2", "3", "4"]
    assert [
        {k: row[k] for k in old} for row, old in zip(after[: len(before)], before, strict=True)
    ] == before
    assert after[4]["val/loss"] == "0.3" and after[0]["val/loss"] == ""


def test_an_empty_log_left_by_a_killed_run_is_started_afresh(tmp_path):
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "metrics.csv").write_text("")
    logger = CSVLogger(tmp_path, name="", version="csv")
    logger.log_metrics({"train/loss": 1.0}, step=0)
    logger.save()
    assert rows(tmp_path / "csv" / "metrics.csv") == [{"step": "0", "train/loss": "1.0"}]
