"""Detectors: the Finding model, rules (one per file) and the isolation forest."""
