"""The run-directory contract: where a training run's folder lives and what it holds.

Training writes these files, the callbacks add to them, the lessons read the checkpoints and
the report reads the rest; dvc.yaml declares the same paths as outputs (a test holds the two
together). One module names them so a renamed file cannot leave a reader behind.

    <data>/<model>/<seed>/                       the comparison (conf/paths)
    activations/<data>/<model>/clip-<clip>/<seed>/   the activation study
    memory/<data>/<model>/<seed>/                the long-memory study
    anomaly/<data>/<model>/<seed>/               the anomaly study
      below runs/ for the DVC pipeline (its stages name these folders), outputs/ for runs
      trained by hand (seqbench-train's default: no DVC stage writes there)
      metrics.json  curves.csv  gradient_flow.csv  checkpoints/{best,last}.ckpt
      .hydra/ (Hydra's composed config)  csv/ (the CSV logger, with hparams.yaml)
"""

from seqbench.rundir.claim import claim, holds_run, prepare
from seqbench.rundir.layout import (
    BEST,
    CHECKPOINTS,
    CSV_LOGS,
    CURVES,
    GRADIENT_FLOW,
    HYDRA,
    LAST,
    LAYOUTS,
    METRICS,
    checkpoint,
    hydra_file,
    run_dir,
)
from seqbench.rundir.read import (
    has_results,
    job_run_dir,
    read_config,
    read_config_file,
    read_curves,
    read_json,
    read_metrics,
    read_saved_config,
)
from seqbench.rundir.write import write_metrics, write_record

__all__ = [
    "BEST",
    "CHECKPOINTS",
    "CSV_LOGS",
    "CURVES",
    "GRADIENT_FLOW",
    "HYDRA",
    "LAST",
    "LAYOUTS",
    "METRICS",
    "checkpoint",
    "claim",
    "has_results",
    "holds_run",
    "hydra_file",
    "job_run_dir",
    "prepare",
    "read_config",
    "read_config_file",
    "read_curves",
    "read_json",
    "read_metrics",
    "read_saved_config",
    "run_dir",
    "write_metrics",
    "write_record",
]
