"""Small SVG charts, drawn as plain shapes and text (WeasyPrint and browsers both render them).

``bar_chart`` is the summary's chart: one horizontal bar per row, its label on
the left and its value written at the end of the bar, so it reads on a phone
without a legend or an axis. Its title is not drawn in the SVG: the page shows
it as the figure's caption. Text is 13 units high in a 340-unit-wide drawing,
which a 360 px phone shows at about 328 px: at least 12 px on screen.
``grouped_bars`` draws the monthly sheet's year-to-date chart (three series a month).
"""
from __future__ import annotations

from markupsafe import Markup, escape

from .numbers import number

COLOURS = ("#0b5a8a", "#4f9bc9", "#8a3b00", "#1e6b33")
HIDDEN_COLOUR = "#6b3500"  # the colour of a hidden figure in the summary's tables
WIDTH, FONT, ROW, BAR = 340, 13, 28, 18


def nice_ceiling(value: float) -> int:
    """A round top for a count axis: 4, 10, 20, 40, 100, ..."""
    top = 4
    while top < value:
        top = top * 5 // 2 if str(top)[0] == "4" else top * 2
    return top


def _text_width(text: str) -> float:
    """About how wide a text is drawn at FONT (DejaVu Sans averages 0.6 of its size a character)."""
    return len(text) * FONT * 0.6


def bar_chart(rows: list[tuple[str, float | int | str | None]], title: str, kind: str = "count",
              max_value: float | None = None) -> Markup:
    """One bar per (label, value). A number is drawn as a bar with the figure written after it (``kind``:
    count, mean or pct, written as ``numbers.number`` writes it); a text (a hidden figure such as "<5")
    is written where the bar would be; None (nothing to compute it from) is a dash."""
    written = [(label, value if isinstance(value, str) else number(value, kind)) for label, value in rows]
    numeric = [v for _label, v in rows if isinstance(v, (int, float))]
    top = max_value or (100 if kind == "pct" else nice_ceiling(max(numeric, default=0)))
    label_w = min(WIDTH * 0.45, max((_text_width(label) for label, _v in rows), default=0) + 8)
    value_w = max((_text_width(text) for _label, text in written), default=0) + 8
    plot_w = WIDTH - label_w - value_w
    height = len(rows) * ROW + 4
    description = "; ".join(f"{label}: {text}" for label, text in written)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
             f'height="{height}" role="img" aria-label="{escape(title)}. {escape(description)}" '
             f'font-family="DejaVu Sans, sans-serif" font-size="{FONT}" class="bar-chart">',
             f'<line x1="{label_w:.1f}" y1="0" x2="{label_w:.1f}" y2="{height}" stroke="#888"/>']
    for i, ((label, value), (_l, text)) in enumerate(zip(rows, written)):
        y, middle = 2 + i * ROW, 2 + i * ROW + ROW / 2 + FONT * 0.35
        parts.append(f'<text x="{label_w - 6:.1f}" y="{middle:.1f}" text-anchor="end" fill="#222">'
                     f'{escape(label)}</text>')
        if isinstance(value, (int, float)):
            w = max(1.0, plot_w * min(value, top) / top)  # a zero still shows as a line
            parts.append(f'<rect x="{label_w:.1f}" y="{y + (ROW - BAR) / 2:.1f}" width="{w:.1f}" height="{BAR}" '
                         f'fill="{COLOURS[0]}"/>'
                         f'<text x="{label_w + w + 4:.1f}" y="{middle:.1f}" fill="#222" class="value">'
                         f'{escape(text)}</text>')
        else:  # hidden or absent: said where the bar would be
            colour = HIDDEN_COLOUR if isinstance(value, str) else "#444"
            parts.append(f'<text x="{label_w + 4:.1f}" y="{middle:.1f}" fill="{colour}" font-style="italic" '
                         f'class="value">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_bars(categories: list[str], series: list[tuple[str, list[float | str | None]]], title: str,
                 max_value: float = 100.0, unit: str = "%", width: int = 640, height: int = 220) -> Markup:
    """Bars per category for each series, each with its value written upright above it; an absent value draws
    nothing, a text is written instead of a bar."""
    left, right, top, bottom = 36, 10, 40, 40
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
            written = number(value, "pct" if unit == "%" else "mean")
            centre, above = x + bar_w * 0.45, top + plot_h - h - 3
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w * 0.9:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(category)}: {written}</title></rect>'
                         f'<text x="{centre:.1f}" y="{above:.1f}" transform="rotate(-90 {centre:.1f} {above:.1f})" '
                         f'dominant-baseline="middle" font-size="9" fill="#222" class="value">{written}</text>')
        parts.append(f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{top + plot_h + 13}" text-anchor="middle" '
                     f'fill="#222">{escape(category)}</text>')
    legend_x = left
    for j, (name, _values) in enumerate(series):
        parts.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" '
                     f'fill="{COLOURS[j % len(COLOURS)]}"/>'
                     f'<text x="{legend_x + 14}" y="{height - 5}" fill="#222">{escape(name)}</text>')
        legend_x += 16 + 6.2 * len(name) + 14
    parts.append("</svg>")
    return Markup("".join(parts))
