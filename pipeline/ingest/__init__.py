"""Ingest: Entra exports (files, folders, globs; JSON lines, documents, CSV, gzip) -> the lake.

Public API: ``ingest_paths(workspace, paths, progress=False) -> IngestSummary``.
"""

from pipeline.ingest.runner import expand_paths, ingest_paths, read_quarantine
from pipeline.ingest.summary import FileError, FileResult, IngestSummary

__all__ = [
    "FileError",
    "FileResult",
    "IngestSummary",
    "expand_paths",
    "ingest_paths",
    "read_quarantine",
]
