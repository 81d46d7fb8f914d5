"""The CSV log of every logged value (<run_dir>/csv/metrics.csv), kept across a resume.

Lightning's CSVLogger deletes an existing metrics.csv in its version folder when it starts,
so a run resumed with ``ckpt_path=last`` would keep only the steps after the resume. This
logger continues the file instead: every row logged before an interruption is still there
after it, and the resumed steps follow (steps between the last checkpoint and the
interruption are trained, and logged, twice). A new run starts from an empty folder:
:func:`seqbench.rundir.prepare` clears the log of the run it replaces.
"""

import csv

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.pytorch.loggers import CSVLogger as LightningCSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter


class ContinuingWriter(ExperimentWriter):
    """Lightning's writer, except that an existing metrics.csv is continued, not deleted."""

    def _check_log_dir_exists(self) -> None:
        if not self._fs.isfile(self.metrics_file_path):
            return
        with self._fs.open(self.metrics_file_path, "r", newline="") as file:
            header = next(csv.reader(file), [])
        if header:  # appended rows take the same columns; a new key rewrites the header
            self.metrics_keys = header
        else:  # an empty file (a run killed as it started it): nothing to keep
            self._fs.rm_file(self.metrics_file_path)


class CSVLogger(LightningCSVLogger):
    """Lightning's CSVLogger writing through :class:`ContinuingWriter`."""

    @property
    @rank_zero_experiment
    def experiment(self) -> ContinuingWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = ContinuingWriter(log_dir=self.log_dir)
        return self._experiment
