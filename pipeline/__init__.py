"""agentaudit: audit-log analytics and anomaly detection for AI agents in Microsoft Entra."""

__version__ = "0.1.0"
