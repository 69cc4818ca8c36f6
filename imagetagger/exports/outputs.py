"""Checking that a template format's text is what its ``output`` says (the format page's preview).

``check(text, output, complete=...)``: ``(ok, message)`` — ``ok`` None for plain text (nothing to
check). ``complete`` False when the text is the start of a longer file (a preview): a JSON document is
then not checked, since its end is missing; JSON lines and CSV rows are checked line by line.
"""

import csv
import io
import json

from .models import OutputKind


def _json_lines(text):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line break
    for number, line in enumerate(lines, start=1):
        try:
            json.loads(line)
        except ValueError as error:
            return False, f"Line {number} is not JSON: {error.msg} (column {error.colno}): {line[:120]}"
    return True, f"Valid JSON lines: {len(lines)} line{'s' if len(lines) != 1 else ''} parsed."


def _json(text, complete):
    if not complete:
        return None, "JSON: the preview shows the start of the file only; the whole file is checked when exported."
    try:
        json.loads(text)
    except ValueError as error:
        return False, f"Not JSON: {error.msg} (line {error.lineno}, column {error.colno})."
    return True, "Valid JSON."


def _csv(text):
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        return False, f"Not CSV: {error}."
    rows = [row for row in rows if row]
    if not rows:
        return True, "Valid CSV (no rows)."
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            return False, f"CSV row {number} has {len(row)} fields, the first row {width}."
    return True, f"Valid CSV: {len(rows)} rows of {width} fields."


def check(text, output, *, complete=True):
    if output == OutputKind.JSON_LINES:
        return _json_lines(text)
    if output == OutputKind.JSON:
        return _json(text, complete)
    if output == OutputKind.CSV:
        return _csv(text)
    return None, ""
