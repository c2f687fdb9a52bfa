"""Inline SVG charts for the report: drawn from numbers, labels escaped, no script, no fetch."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from pipeline.report.model import DayActivity

COLORS = {
    "events": "#3b6fb6",
    "failures": "#c0392b",
    "sensitive": "#e67e22",
    "grid": "#e3e7ee",
    "axis": "#6b7280",
    "band": "#8fa8c8",
}
#: tick labels readable in a standalone SVG too (a notebook); the report's CSS sets the same
TICK = 'class="tick" font-size="10" fill="#6b7280"'
#: a day's baseline band: the (low, high) of its normal daily events, None while still learning
Band = tuple[float, float] | None
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


def activity_chart(
    days: list[DayActivity],
    width: int = 1080,
    height: int = 150,
    band: list[Band] | None = None,
) -> Markup:
    """Day-by-day events (failures stacked in red, the sensitive share as an inner orange bar).

    ``band``, one entry per day: the baseline's normal range of daily events, drawn as a shaded
    band behind the bars with its upper edge dashed in front of them (a bar above the edge is
    more than usual)."""
    band = band or []
    if len(band) not in (0, len(days)):
        raise ValueError(f"band has {len(band)} entries for {len(days)} days")
    left, right, top, bottom = 44, 8, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    highs = [b[1] for b in band if b is not None]
    peak = _nice_max(max([d.events for d in days] + [math.ceil(h) for h in highs], default=0))
    n = max(len(days), 1)
    slot = plot_w / n
    bar = max(slot * 0.72, 1.0)
    label = "daily activity against its baseline" if highs else "daily activity"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{label}">'
    ]
    for frac in (0, 0.5, 1) if peak >= 2 else (0, 1):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{COLORS["grid"]}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {TICK}>'
            f"{escape(_short(int(peak * frac)))}</text>"
        )
    edge: list[str] = []
    for i, b in enumerate(band):
        if b is None:
            continue
        x, lo, hi = left + i * slot, max(b[0], 0.0), max(b[1], b[0], 0.0)
        y_hi, y_lo = top + plot_h * (1 - hi / peak), top + plot_h * (1 - lo / peak)
        parts.append(
            f'<rect x="{x:.1f}" y="{y_hi:.1f}" width="{slot:.1f}" '
            f'height="{max(y_lo - y_hi, 1.0):.1f}" fill="{COLORS["band"]}" fill-opacity="0.3"/>'
        )
        edge.append(f'<path d="M{x:.1f} {y_hi:.1f}h{slot:.1f}"/>')
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        ok = max(d.events - d.failures, 0)
        h_ok = plot_h * ok / peak
        h_fail = plot_h * min(d.failures, d.events) / peak
        y_ok = top + plot_h - h_ok
        normal = f"; usual {band[i][0]:g}-{band[i][1]:g}" if band and band[i] else ""
        title = escape(
            f"{d.day}: {d.events} events, {d.failures} failed, {d.sensitive} sensitive{normal}"
        )
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
                f"{TICK}>{escape(d.day[5:])}</text>"
            )
    if edge:
        parts.append(
            f'<g stroke="{COLORS["axis"]}" stroke-width="1.5" stroke-dasharray="4 2" fill="none">'
            + "".join(edge)
            + "</g>"
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
            f'<text x="0" y="{y + row * 0.68:.1f}" {TICK}>{escape(sev)}</text>'
            f'<rect x="{label_w}" y="{y + row * 0.18:.1f}" width="{max(w, 0.0):.1f}" '
            f'height="{row * 0.64:.1f}" rx="2" fill="{SEVERITY_COLORS.get(sev, "#999")}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + row * 0.68:.1f}" {TICK}>{n}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1_000:
        return f"{n / 1_000:.1f}k".replace(".0k", "k")
    return str(n)
