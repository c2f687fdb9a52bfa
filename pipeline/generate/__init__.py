"""The synthetic Entra tenant generator (issue 3): people, AI agents of every Entra Agent ID
kind, service principals and managed identities, their ordinary traffic, and planted incidents
with labels, written in the real export shapes.

    from pipeline.generate import generate_tenant
    summary = generate_tenant("demo-tenant", days=40, seed=7)
"""

from pipeline.generate.generator import generate_tenant
from pipeline.generate.shapes import FORMATS
from pipeline.generate.summary import GenerateSummary

__all__ = ["FORMATS", "GenerateSummary", "generate_tenant"]
