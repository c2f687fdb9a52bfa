"""Inline SVG charts for the report: drawn from numbers, labels escaped, no script, no fetch."""

from __future__ import annotations

from markupsafe import Markup, escape

from pipeline.report.model import DayActivity

COLORS = {
    "events": "#3b6fb6",
    "failures": "#c0392b",
    "sensitive": "#e67e22",
    "grid": "#e3e7ee",
    "axis": "#6b7280",
}
SEVERITY_COLORS = {
    "critical": "#7f1d1d",
    "high": "#c0392b",
    "medium": "#e67e22",
    "low": "#d4ac0d",
    "info": "#7f8c8d",
}


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def activity_chart(days: list[DayActivity], width: int = 1080, height: int = 150) -> Markup:
    """Day-by-day events (failures stacked in red, the sensitive share as an inner orange bar)."""
    left, right, top, bottom = 44, 8, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((d.events for d in days), default=0))
    n = max(len(days), 1)
    slot = plot_w / n
    bar = max(slot * 0.72, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="daily activity">'
    ]
    for frac in (0, 0.5, 1) if peak >= 2 else (0, 1):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{COLORS["grid"]}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(_short(int(peak * frac)))}</text>"
        )
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        ok = max(d.events - d.failures, 0)
        h_ok = plot_h * ok / peak
        h_fail = plot_h * min(d.failures, d.events) / peak
        y_ok = top + plot_h - h_ok
        title = escape(f"{d.day}: {d.events} events, {d.failures} failed, {d.sensitive} sensitive")
        parts.append(f"<g><title>{title}</title>")
        if h_ok > 0:
            parts.append(
                f'<rect x="{x:.1f}" y="{y_ok:.1f}" width="{bar:.1f}" height="{h_ok:.1f}" '
                f'fill="{COLORS["events"]}" rx="1"/>'
            )
        if h_fail > 0:
            parts.append(
                f'<rect x="{x:.1f}" y="{y_ok - h_fail:.1f}" width="{bar:.1f}" '
                f'height="{h_fail:.1f}" fill="{COLORS["failures"]}" rx="1"/>'
            )
        if d.sensitive:
            h_sens = plot_h * min(d.sensitive, d.events) / peak
            inner = bar * 0.45
            parts.append(
                f'<rect x="{x + (bar - inner) / 2:.1f}" y="{top + plot_h - h_sens:.1f}" '
                f'width="{inner:.1f}" height="{h_sens:.1f}" fill="{COLORS["sensitive"]}"/>'
            )
        parts.append("</g>")
        if i == 0 or i == len(days) - 1 or (len(days) > 10 and i % 7 == 0 and i < len(days) - 3):
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                f'class="tick">{escape(d.day[5:])}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{COLORS["axis"]}" stroke-width="1"/></svg>'
    )
    return Markup("".join(parts))


def severity_bars(counts: dict[str, int], width: int = 300, height: int = 120) -> Markup:
    """Open findings per severity as horizontal bars."""
    peak = max(max(counts.values(), default=0), 1)
    row = height / max(len(counts), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="findings by severity">'
    ]
    label_w, value_w = 64, 34
    for i, (sev, n) in enumerate(counts.items()):
        y = i * row
        w = (width - label_w - value_w) * n / peak
        parts.append(
            f'<text x="0" y="{y + row * 0.68:.1f}" class="tick">{escape(sev)}</text>'
            f'<rect x="{label_w}" y="{y + row * 0.18:.1f}" width="{max(w, 0.0):.1f}" '
            f'height="{row * 0.64:.1f}" rx="2" fill="{SEVERITY_COLORS.get(sev, "#999")}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + row * 0.68:.1f}" class="tick">{n}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1_000:
        return f"{n / 1_000:.1f}k".replace(".0k", "k")
    return str(n)
