"""The forecasting lesson's sentences follow the numbers: a linear model is said to beat the
recurrent models only when it beats every seed of each, and no winner comes from one seed."""

from pathlib import Path

from seqbench.lessons.curves import mark_unsettled
from seqbench.lessons.forecast.measure import measured
from seqbench.lessons.forecast.reading import forecast_reading

BASELINES = {
    "last_value": {"mse": 0.9, "mae": 0.7, "mse_by_horizon": [0.8, 1.0]},
    "linear": {"mse": 0.5, "mae": 0.5, "mse_by_horizon": [0.4, 0.6]},
}


def curve(falling: bool) -> list[dict]:
    """Validation MSE over 1000 steps: flat after its first drop, or falling to the end."""
    steps = range(100, 1001, 100)
    return [{"step": s, "val/mse": 1 - s / 1100 if falling else 0.5} for s in steps]


def runs(results: dict[str, list[float]], falling: tuple[str, ...] = ()) -> list:
    from seqbench.rundir.run import Run

    made = []
    for model, values in results.items():
        for seed, mse in enumerate(values):
            metrics = {
                "status": "finished",
                "data": "s",
                "model": model,
                "seed": seed,
                "study": "forecast",
                "monitor": "val/mse",
                "test": {"test/mse": mse, "test/mae": mse / 2},
                "test_extra": {
                    "baselines": BASELINES,
                    "horizon": 2,
                    "context": 8,
                    "mse_by_horizon": [mse, mse],
                    "test_windows": 10,
                    "baseline_windows": 10,
                },
            }
            made.append(Run(Path(f"{model}/{seed}"), metrics, curve(model in falling)))
    return made


def reading(results: dict[str, list[float]], falling: tuple[str, ...] = ()) -> str:
    made = runs(results, falling)
    datasets, failed = measured(made)
    mark_unsettled(datasets, made)
    assert not failed
    return " ".join(forecast_reading(datasets))


def test_linear_beats_every_recurrent_model_only_when_every_seed_says_so():
    said = reading({"gru": [0.6, 0.7, 0.65], "lstm": [0.55, 0.8, 0.6], "transformer": [0.4] * 3})
    assert "A linear model beats every recurrent model measured here" in said
    assert "every seed of gru and lstm" in said
    assert "transformer has the lowest test MSE" in said
    assert "Below the best baseline on every seed: transformer." in said

    said = reading({"gru": [0.6, 0.45, 0.65], "lstm": [0.55, 0.8, 0.6]})
    assert "linear model beats" not in said  # one gru seed is below the linear MSE
    assert "No model's test MSE is below every other model's on every seed." in said


def test_a_curve_still_falling_names_no_winner():
    said = reading({"gru": [0.6] * 3, "transformer": [0.4] * 3}, falling=("gru",))
    assert "lowest test MSE" not in said
    assert "s: no winner is named: gru was still improving at the end of training" in said


def test_one_seed_names_no_winner():
    said = reading({"gru": [0.9], "lstm": [0.3]})
    assert "gru and lstm finished fewer than 3 seeds" in said
    assert "lowest" not in said and "beats" not in said and "Below" not in said


def test_fewer_test_windows_than_the_baselines_is_said():
    made = runs({"gru": [0.6]})
    made[0].metrics["test_extra"]["test_windows"] = 4
    datasets, _ = measured(made)
    assert "gru scored fewer test windows than the baselines' 10" in " ".join(
        forecast_reading(datasets)
    )
