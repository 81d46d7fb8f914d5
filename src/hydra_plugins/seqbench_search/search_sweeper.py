"""The Optuna sweeper of seqbench's searches (conf/hparams_search/): hydra-optuna-sweeper's,
except when no trial of the study finished (every trial failed). The plugin then asks the
empty study for its best trial and ends in a traceback (``Record does not exist``); here the
search ends normally, so the sweep summary is still written, and ``seqbench-train`` ends with
one line saying where the failures are recorded (see ``seqbench.train.sweep.no_trial_finished``)."""

from typing import Any

from hydra_plugins.hydra_optuna_sweeper.optuna_sweeper import OptunaSweeper

EMPTY_STUDY = "Record does not exist"  # optuna's answer for the best trial of an empty study


class SearchSweeper(OptunaSweeper):
    """hydra-optuna-sweeper's sweeper; a study without a finished trial is not a crash."""

    def sweep(self, arguments: list[str]) -> Any:
        try:
            return super().sweep(arguments)
        except ValueError as error:
            if EMPTY_STUDY not in str(error):
                raise
            from seqbench.train.sweep import no_trial_finished

            no_trial_finished(str(self.sweeper.config.hydra.sweep.dir))
            return None
