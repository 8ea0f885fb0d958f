"""Bar charts drawn on the server as SVG, for the observatory page: accessible (role="img",
a <title> and a <desc> that say what the chart shows; the same numbers are in a table beside
it), without script nor style (the console's security policy allows neither inline), and
with the small counts masked: a count with fewer than 5 people behind it draws no bar and reads
« < 5 » (catalog/observatory_report.py: `hidden`, `shown`)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from catalog.observatory_report import Table, hidden, shown

BAR_HEIGHT, GAP, LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH = 22, 6, 260, 360, 60


def bar_chart(table: Table, chart_id: str) -> Markup:
    """Horizontal bars of the table's first count, one per row."""
    rows = [(str(row[0]), row[1]) for row in table.rows]
    drawn = [int(value) for _, value in rows if not hidden(value)]
    top = max(drawn, default=0)
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    title = escape(table.title)
    summary = escape(
        "; ".join(f"{label} : {shown(value)}" for label, value in rows) or "aucune donnée"
    )
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-titre {chart_id}-desc" '
            f'class="chart">'
        ),
        f'<title id="{chart_id}-titre">{title}</title>',
        f'<desc id="{chart_id}-desc">{summary}</desc>',
    ]
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = (
            0 if hidden(value) or not value or not top else max(2, round(BAR_WIDTH * value / top))
        )
        middle = y + BAR_HEIGHT / 2 + 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" font-size="14" '
            f'fill="#1e1e1e">{escape(label[:40])}</text>'
        )
        if length:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
                f'fill="#000091"></rect>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}" font-size="14" '
            f'fill="#1e1e1e">{escape(shown(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
