"""Small SVG charts, drawn as plain shapes and text (WeasyPrint and browsers both render them)."""
from __future__ import annotations

from markupsafe import Markup, escape

COLOURS = ("#0b5a8a", "#4f9bc9", "#8a3b00", "#1e6b33")


def grouped_bars(categories: list[str], series: list[tuple[str, list[float | str | None]]], title: str,
                 max_value: float = 100.0, unit: str = "%", width: int = 640, height: int = 220) -> Markup:
    """Bars per category for each series; an absent value draws nothing, a text is written instead of a bar."""
    left, right, top, bottom = 36, 10, 26, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    group_w = plot_w / max(1, len(categories))
    bar_w = group_w * 0.8 / max(1, len(series))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif" '
             f'font-size="10">', f"<title>{escape(title)}</title>"]
    for tick in range(0, 101, 25):
        y = top + plot_h - plot_h * tick / 100
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" fill="#444">'
                     f'{tick * max_value / 100:g}{escape(unit)}</text>')
    for i, category in enumerate(categories):
        x0 = left + i * group_w + group_w * 0.1
        for j, (_name, values) in enumerate(series):
            value = values[i]
            x = x0 + j * bar_w
            if value is None:
                continue
            if isinstance(value, str):  # a hidden figure: say so where the bar would be
                parts.append(f'<text x="{x + bar_w * 0.45:.1f}" y="{top + plot_h - 4:.1f}" text-anchor="middle" '
                             f'fill="#222">{escape(value)}</text>')
                continue
            h = max(1.0, plot_h * min(value, max_value) / max_value)  # a zero still shows as a line
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w * 0.9:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(category)}: {value:g}{escape(unit)}'
                         f'</title></rect>')
        parts.append(f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{top + plot_h + 13}" text-anchor="middle" '
                     f'fill="#222">{escape(category)}</text>')
    legend_x = left
    for j, (name, _values) in enumerate(series):
        parts.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{COLOURS[j % len(COLOURS)]}"/>'
                     f'<text x="{legend_x + 14}" y="{height - 5}" fill="#222">{escape(name)}</text>')
        legend_x += 16 + 6.2 * len(name) + 14
    parts.append("</svg>")
    return Markup("".join(parts))
