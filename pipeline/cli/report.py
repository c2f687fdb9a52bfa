"""`agentaudit` commands: report (the HTML report) and export (findings to the SIEM)."""

from __future__ import annotations

import sys

import click

from pipeline.cli import cli, progress_option, workspace_option


@cli.command("report")
@workspace_option
@click.option(
    "--date",
    "day",
    metavar="YYYY-MM-DD",
    help="Report on this day alone (with --since: the window's last day).",
)
@click.option(
    "--since",
    metavar="YYYY-MM-DD",
    help="Report on every day from this one to --date (default: the latest day with data).",
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False),
    help="HTML file to write (default: reports/report-<date>.html in the workspace, "
    "report-<first>_<last>.html for several days).",
)
@progress_option
def report_command(
    workspace, day: str | None, since: str | None, out: str | None, progress: bool
) -> None:
    """Write the self-contained HTML report an analyst reads in the morning.

    Without --date or --since it covers the latest run's window: every day that run judged,
    i.e. every day since the report before it. A day or range the lake holds no data for is
    a usage error (exit 2).

    \b
    Examples:
      agentaudit report --workspace ws
      agentaudit report --workspace ws --date 2026-11-26 -o /tmp/report.html
      agentaudit report --workspace ws --since 2026-11-24
    """
    from pipeline.ingest.progress import Steps
    from pipeline.report import write_report

    with Steps("report", "parts", progress) as parts_done:
        path = write_report(workspace, day=day, since=since, out=out, on_step=parts_done)
    click.echo(f"report written to {path}")


@cli.command("export")
@workspace_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ocsf", "sentinel"]),
    default="ocsf",
    show_default=True,
    help="ocsf: OCSF 1.8.0 Detection Finding JSON lines; sentinel: AgentAuditFinding_CL rows "
    "(a JSON array) for Microsoft Sentinel.",
)
@click.option(
    "-o",
    "--output",
    "out",
    metavar="FILE|-",
    help="File to write, or - for stdout (default unless --url / --dcr-endpoint: "
    "siem/findings-<date or all>.ocsf.jsonl or .sentinel.json).",
)
@click.option("--url", help="HTTP collector to push to (NDJSON, or Splunk HEC with --hec-token).")
@click.option(
    "--hec-token",
    envvar="AGENTAUDIT_HEC_TOKEN",
    help="Splunk HTTP Event Collector token (or set AGENTAUDIT_HEC_TOKEN).",
)
@click.option(
    "--dcr-endpoint",
    metavar="URL",
    help="Sentinel: the data collection rule's logs ingestion endpoint to push to "
    "(token: DefaultAzureCredential, or AGENTAUDIT_SENTINEL_TOKEN).",
)
@click.option("--dcr-id", metavar="dcr-…", help="Sentinel: the DCR's immutable id.")
@click.option(
    "--stream",
    "dcr_stream",
    metavar="NAME",
    help="Sentinel: the DCR stream (default: [siem.sentinel] or Custom-AgentAuditFinding_CL).",
)
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Only this day's findings.")
@click.option("--redact", is_flag=True, help="Replace user names, IPs and URIs by stable tokens.")
def export_command(
    workspace,
    fmt: str,
    out: str | None,
    url: str | None,
    hec_token: str | None,
    dcr_endpoint: str | None,
    dcr_id: str | None,
    dcr_stream: str | None,
    day: str | None,
    redact: bool,
) -> None:
    """Export findings as OCSF JSON lines (or Sentinel rows) to a file, stdout, an HTTP
    collector or Microsoft Sentinel's Logs Ingestion API.

    Undelivered findings wait in siem/spool/ and are sent by the next export; findings already
    delivered are not sent twice. Exits 1 when some findings could not be delivered.

    \b
    Examples:
      agentaudit export --workspace ws --format ocsf -o - --date 2026-11-26
      agentaudit export --workspace ws --url https://splunk.example:8088/services/collector/event \\
          --hec-token "$HEC_TOKEN" --redact
      agentaudit export --workspace ws --format sentinel --dcr-endpoint \\
          https://agentaudit-a1b2.eastus-1.ingest.monitor.azure.com --dcr-id dcr-0123… \\
          --stream Custom-AgentAuditFinding_CL
    """
    from pipeline.errors import UsageError
    from pipeline.siem import export

    if fmt != "sentinel" and (dcr_endpoint or dcr_id or dcr_stream):
        raise UsageError("--dcr-endpoint, --dcr-id and --stream go with --format sentinel")
    if fmt == "sentinel" and url:
        raise UsageError("--url goes with --format ocsf; Sentinel takes --dcr-endpoint")
    summary = export(
        workspace,
        fmt=fmt,
        out=out,
        url=url,
        hec_token=hec_token,
        day=day,
        redact=redact,
        dcr_endpoint=dcr_endpoint,
        dcr_id=dcr_id,
        dcr_stream=dcr_stream,
    )
    # with -o - the findings own stdout; the summary goes to stderr
    click.echo(summary.headline(), err=out == "-")
    if not summary.ok:
        sys.exit(1)
