"""Colours for annotation types.

New types take the first colour of ``PALETTE`` that their owner's types do not use yet, so types
defined one after another (neighbours in pickers and legends) get colours that are easy to tell
apart on a photo. The palette is Sasha Trubetskoy's "20 simple, distinct colours" ordered so that
consecutive entries differ most; white and black are left out (lost on bright and dark images).
"""

import re

PALETTE = (
    "#e6194b",  # red
    "#3cb44b",  # green
    "#4363d8",  # blue
    "#ffe119",  # yellow
    "#f58231",  # orange
    "#911eb4",  # purple
    "#42d4f4",  # cyan
    "#f032e6",  # magenta
    "#bfef45",  # lime
    "#fabed4",  # pink
    "#469990",  # teal
    "#dcbeff",  # lavender
    "#9a6324",  # brown
    "#fffac8",  # beige
    "#800000",  # maroon
    "#aaffc3",  # mint
    "#808000",  # olive
    "#ffd8b1",  # apricot
    "#000075",  # navy
    "#a9a9a9",  # grey
)

_HEX = re.compile(r"#[0-9a-f]{6}")


def is_color(value):
    return isinstance(value, str) and _HEX.fullmatch(value.lower()) is not None


def normalize_color(value):
    """``"#RRGGBB"`` → ``"#rrggbb"``; ``None`` when it is no such colour."""
    return value.lower() if is_color(value) else None


def next_color(used):
    """The first palette colour not in ``used``; when all are used, the least used one."""
    used = [color.lower() for color in used]
    for color in PALETTE:
        if color not in used:
            return color
    return min(PALETTE, key=lambda color: (used.count(color), PALETTE.index(color)))
