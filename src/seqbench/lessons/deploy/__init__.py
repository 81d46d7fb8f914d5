"""Deployment: export a trained model for a device, measure what it costs there (weights,
state, time per streaming step, memory), and choose the simplest model that fits a budget:
the lecture's "start with the simplest model that matches your latency and memory
constraints", made a tool."""
