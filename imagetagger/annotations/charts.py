"""Charts drawn as inline SVG by the server (no chart library): the geometry is computed here and
written out by a template (``annotations/includes/stacked_bars.html``), with the numbers also given
as a table for screen readers and keyboard users."""

import math

# Okabe–Ito colours (distinguishable with colour-vision deficiencies); the last one is for "other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER_COLOUR = "#999999"

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 26


def nice_ceiling(value):
    """The smallest of 1, 2, 5 × 10^n that is ≥ ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def stacked_bars(labels, series, *, other=None):
    """Geometry of a stacked bar chart: one bar per label (e.g. a day), one coloured part per series.

    ``series``: ``[{"name", "counts": [one number per label]}, …]``; ``other`` names the series drawn
    in grey. Returns ``{"width", "height", "bars": [{"x", "width", "parts": [{"y", "height", "colour",
    "title"}]}], "ticks": [{"y", "value"}], "x_labels": [{"x", "text"}], "legend": [{"name", "colour"}],
    "plot": {"left", "right", "top", "bottom"}}``.
    """
    count = len(labels)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(entry["counts"][index] for entry in series) for index in range(count)]
    top = nice_ceiling(max(totals, default=0))
    colours = []
    for number, entry in enumerate(series):
        colours.append(OTHER_COLOUR if entry["name"] == other else PALETTE[number % len(PALETTE)])
    step = plot_width / max(count, 1)
    bars = []
    for index, label in enumerate(labels):
        parts, base = [], 0
        for entry, colour in zip(series, colours, strict=True):
            value = entry["counts"][index]
            if not value:
                continue
            height = value / top * plot_height
            y = TOP + plot_height - base - height
            parts.append(
                {
                    "y": round(y, 2),
                    "height": round(height, 2),
                    "colour": colour,
                    "title": f"{label}: {value} {entry['name']}",
                }
            )
            base += height
        if parts:
            bars.append(
                {"x": round(LEFT + index * step + step * 0.1, 2), "width": round(step * 0.8, 2), "parts": parts}
            )
    ticks = [
        {"y": round(TOP + plot_height - fraction * plot_height, 2), "value": _number(top * fraction)}
        # Counts are whole numbers: a middle line only where it is one.
        for fraction in ((0, 0.5, 1) if top % 2 == 0 else (0, 1))
    ]
    every = max(1, math.ceil(count / 6))
    x_labels = [
        {"x": round(LEFT + index * step + step / 2, 2), "text": str(label)}
        for index, label in enumerate(labels)
        if index % every == 0 or index == count - 1
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "ticks": ticks,
        "x_labels": x_labels,
        "legend": [{"name": entry["name"], "colour": colour} for entry, colour in zip(series, colours, strict=True)],
        "plot": {"left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": TOP + plot_height},
    }


def _number(value):
    return int(value) if float(value).is_integer() else round(value, 1)
