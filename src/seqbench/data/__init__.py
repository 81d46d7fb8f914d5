"""Data layer: sources -> raw snapshots under data/raw -> LightningDataModules."""
