"""Imports every command module so that each registers its commands on ``cli``."""

from pipeline.cli import catalog, detect, generate, ingest, report, run, sigma  # noqa: F401
