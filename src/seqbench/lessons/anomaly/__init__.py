"""Anomaly detection in sensor data: forecast-error detectors against simple baselines."""
