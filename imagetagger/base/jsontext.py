"""The one JSON reader for everything the site reads from outside: API bodies, label imports, the
label lines' attribute column, forms that take JSON.

Python's parser recurses once per nesting level, so ``[[[[…]]]]`` a few thousand deep raises
RecursionError (a server error) and a document some hundreds deep can still break code that walks it
later. ``loads`` refuses a document nested deeper than ``MAX_DEPTH`` before parsing it, and one larger
than ``max_bytes``, or holding NaN, Infinity or a number too large for a float (which the
database's JSON refuses), with a ``JSONTextError`` whose message says why (the callers answer 400 or report
it per record).

The depth is measured without parsing: the strings are cut out (they may hold brackets), then the
innermost ``[]`` / ``{}`` pairs are removed one level per pass, in C (``re.sub``), stopping as
soon as the limit is passed; ordinary documents are a handful of levels deep, so a few passes.
"""

import json
import math
import re

MAX_DEPTH = 64  # deeper than any document the site reads (a COCO file is 5 levels deep)
_STRINGS = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
# A \u escape (after an even number of backslashes) of NUL, or of half a surrogate pair left alone:
# JSON allows them, but they cannot be encoded as UTF-8 or stored by PostgreSQL.
_UNSTORABLE = re.compile(
    r"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2}))"
    r"|(?<![\\]u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


class JSONTextError(ValueError):
    """The text is not JSON the site reads; the message is the reason, as a sentence."""


def depth_exceeds(text, limit=MAX_DEPTH):
    """Whether the JSON ``text`` nests arrays and objects more than ``limit`` levels deep."""
    if text.count("[") + text.count("{") <= limit:  # not enough brackets to be too deep (most bodies)
        return False
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
    if "\\u" in data and (found := _UNSTORABLE.search(data)):
        escape = "\\" + found.group(0).lstrip("\\")
        if escape == "\\u0000":
            raise JSONTextError(f"{what} holds a NUL character ({escape}), which cannot be stored.")
        raise JSONTextError(f"{what} holds {escape}, half of a surrogate pair, which is not a character.")
    try:
        return _DECODER.decode(data)
    except _NotJSONNumber as error:
        raise JSONTextError(f"{what} holds {error}.") from None
    except RecursionError:  # unreachable after the depth check; kept as the last line of defence
        raise JSONTextError(f"{what} is nested too deeply.") from None
    except json.JSONDecodeError as error:
        where = f"column {error.colno}" if error.lineno == 1 else f"line {error.lineno}, column {error.colno}"
        raise JSONTextError(f"{what} is not valid JSON ({error.msg} at {where}).") from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise JSONTextError(f"{what} holds a number with too many digits.") from None


class _NotJSONNumber(ValueError):
    pass


def _no_constant(name):
    """Python's parser takes NaN and Infinity, which JSON has not (and PostgreSQL's JSONB refuses)."""
    raise _NotJSONNumber(f"{name}, which is not a JSON number")


def _finite_float(text):
    number = float(text)
    if math.isinf(number):
        raise _NotJSONNumber(f"the number {text[:20]}{'…' if len(text) > 20 else ''}, too large to read")
    return number


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
