"""`python -m pipeline` is the `agentaudit` command."""

from pipeline.cli import main

main()
