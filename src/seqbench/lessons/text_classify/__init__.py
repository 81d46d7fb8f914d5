"""Text classification beside its simple baselines (majority class, bag of characters)."""
