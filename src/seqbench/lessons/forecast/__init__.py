"""The forecasting lesson: each model's test MSE/MAE beside the baselines, per horizon step."""
