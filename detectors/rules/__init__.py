"""Detection rules: one rule a file, each with its cases (see detectors/rule.py)."""
