"""The one JSON reader for everything the site reads from outside: API bodies, label imports, the
label lines' attribute column, forms that take JSON.

Python's parser recurses once per nesting level, so ``[[[[…]]]]`` a few thousand deep raises
RecursionError (a server error) and a document some hundreds deep can still break code that walks it
later. ``loads`` refuses a document nested deeper than ``MAX_DEPTH`` before parsing it, and one larger
than ``max_bytes``, with a ``JSONTextError`` whose message says why (the callers answer 400 or report
it per record).

The depth is measured without parsing: the strings are cut out (they may hold brackets), then the
innermost ``[]`` / ``{}`` pairs are removed one level per pass, in C (``re.sub``), stopping as
soon as the limit is passed; ordinary documents are a handful of levels deep, so a few passes.
"""

import json
import re

MAX_DEPTH = 64  # deeper than any document the site reads (a COCO file is 5 levels deep)
_STRINGS = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


class JSONTextError(ValueError):
    """The text is not JSON the site reads; the message is the reason, as a sentence."""


def depth_exceeds(text, limit=MAX_DEPTH):
    """Whether the JSON ``text`` nests arrays and objects more than ``limit`` levels deep."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _level in range(limit):
        if not brackets:
            return False
        shorter = _INNERMOST.sub("", brackets)  # one level: the pairs with nothing inside
        if len(shorter) == len(brackets):  # unbalanced ("[[[[…" never closed): count what stays open
            return brackets.count("[") + brackets.count("{") > limit
        brackets = shorter
    return bool(brackets)


def loads(data, *, what="The JSON", max_bytes=None, max_depth=MAX_DEPTH):
    """``data`` (text or UTF-8 bytes, a byte-order mark allowed) parsed, or ``JSONTextError``."""
    if isinstance(data, bytes | bytearray):
        if max_bytes is not None and len(data) > max_bytes:
            raise JSONTextError(f"{what} is {len(data):,} bytes; at most {max_bytes:,} are read.")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise JSONTextError(f"{what} is not UTF-8 text: {error.reason} at byte {error.start}.") from None
    elif max_bytes is not None and len(data) > max_bytes:
        raise JSONTextError(f"{what} is {len(data):,} characters; at most {max_bytes:,} are read.")
    else:
        data = data.removeprefix("\ufeff")
    if depth_exceeds(data, max_depth):
        raise JSONTextError(f"{what} is nested more than {max_depth} levels deep.")
    try:
        return json.loads(data)
    except RecursionError:  # unreachable after the depth check; kept as the last line of defence
        raise JSONTextError(f"{what} is nested too deeply.") from None
    except json.JSONDecodeError as error:
        where = f"column {error.colno}" if error.lineno == 1 else f"line {error.lineno}, column {error.colno}"
        raise JSONTextError(f"{what} is not valid JSON ({error.msg} at {where}).") from None
