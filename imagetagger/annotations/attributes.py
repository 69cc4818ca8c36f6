"""Attributes of annotation types: their definitions and the values labels hold.

A type's ``attributes`` is a list of definitions, each a dict::

    {"name": "colour", "kind": "select", "required": false, "default": "red",
     "values": ["red", "green", "blue"]}

Kinds and their own keys:
- ``checkbox``: a boolean; ``default`` false unless given (a checkbox always has a value);
- ``number``: an int or float; optional ``min``, ``max``, ``step`` (values are min/0 + k·step);
- ``text``: a string of at most ``max_length`` characters (default 200, at most 1,000);
- ``select``: one of ``values`` (1–100 distinct strings).

An annotation's ``attributes`` is ``{name: value}``. ``clean_values`` checks it against the
definitions: unknown names, wrong kinds, out-of-range numbers and missing required values are refused
with a message naming the attribute; missing values take the default. Pure functions, no database.
"""

import json
import math

from django.core.exceptions import ValidationError

from .models import AttributeKind

MAX_ATTRIBUTES = 50
NAME_MAX_LENGTH = 40
TEXT_MAX_LENGTH = 1000
TEXT_DEFAULT_LENGTH = 200
MAX_SELECT_VALUES = 100
SELECT_VALUE_MAX_LENGTH = 100
KINDS = tuple(AttributeKind.values)
_KEYS = {
    AttributeKind.CHECKBOX: set(),
    AttributeKind.NUMBER: {"min", "max", "step"},
    AttributeKind.TEXT: {"max_length"},
    AttributeKind.SELECT: {"values"},
}
_COMMON_KEYS = {"name", "kind", "required", "default"}


def _shown(value):
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else f"{text[:40]}…"


def _definition_error(position, name, message):
    where = f"Attribute “{name}”" if name else f"Attribute {position}"
    return ValidationError({"attributes": f"{where}: {message}"}, code="invalid_attribute_definition")


def _is_number(value):
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _clean_name(position, name):
    if not isinstance(name, str) or not name.strip():
        raise _definition_error(position, None, "give it a name.")
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise _definition_error(position, name[:NAME_MAX_LENGTH], f"a name has at most {NAME_MAX_LENGTH} characters.")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise _definition_error(position, None, "the name must not contain control characters.")
    return name


def clean_definitions(raw):
    """The definitions in canonical form, or ``ValidationError({"attributes": reason})``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError({"attributes": "Give the attributes as a list of definitions."})
    if len(raw) > MAX_ATTRIBUTES:
        raise ValidationError({"attributes": f"A type has at most {MAX_ATTRIBUTES} attributes, not {len(raw)}."})
    cleaned, seen = [], set()
    for position, definition in enumerate(raw, start=1):
        if not isinstance(definition, dict):
            raise _definition_error(position, None, "give it as an object with name and kind.")
        name = _clean_name(position, definition.get("name"))
        if name.lower() in seen:
            raise _definition_error(position, name, "another attribute of this type has this name.")
        seen.add(name.lower())
        kind = definition.get("kind")
        if kind not in KINDS:
            raise _definition_error(position, name, f"the kind must be one of {', '.join(KINDS)}.")
        unknown = set(definition) - _COMMON_KEYS - _KEYS[kind]
        if unknown:
            raise _definition_error(position, name, f"unknown key(s) for a {kind}: {', '.join(sorted(unknown))}.")
        required = definition.get("required", False)
        if not isinstance(required, bool):
            raise _definition_error(position, name, "required must be true or false.")
        clean = {"name": name, "kind": kind, "required": required}
        clean.update(_CLEANERS[kind](position, name, definition))
        default = definition.get("default")
        if kind == AttributeKind.CHECKBOX and default is None:
            default = False
        if default is not None:
            problem = _value_problem(clean, default)
            if problem:
                raise _definition_error(position, name, f"the default {problem}")
            default = _canonical(clean, default)
        clean["default"] = default
        cleaned.append(clean)
    return cleaned


def _clean_checkbox(position, name, definition):
    return {}


def _clean_number(position, name, definition):
    bounds = {}
    for key in ("min", "max", "step"):
        value = definition.get(key)
        if value is None:
            bounds[key] = None
            continue
        if not _is_number(value):
            raise _definition_error(position, name, f"{key} must be a number, not {_shown(value)}.")
        bounds[key] = value
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        raise _definition_error(position, name, "min must not be greater than max.")
    if bounds["step"] is not None and bounds["step"] <= 0:
        raise _definition_error(position, name, "step must be greater than 0.")
    return bounds


def _clean_text(position, name, definition):
    max_length = definition.get("max_length", TEXT_DEFAULT_LENGTH)
    if max_length is None:
        max_length = TEXT_DEFAULT_LENGTH
    if isinstance(max_length, bool) or not isinstance(max_length, int) or not 1 <= max_length <= TEXT_MAX_LENGTH:
        raise _definition_error(position, name, f"max_length must be a whole number from 1 to {TEXT_MAX_LENGTH}.")
    return {"max_length": max_length}


def _clean_select(position, name, definition):
    values = definition.get("values")
    if not isinstance(values, list) or not values:
        raise _definition_error(position, name, "a select needs a list of values.")
    if len(values) > MAX_SELECT_VALUES:
        raise _definition_error(position, name, f"a select has at most {MAX_SELECT_VALUES} values.")
    cleaned = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise _definition_error(position, name, f"every value must be non-empty text, not {_shown(value)}.")
        value = value.strip()
        if len(value) > SELECT_VALUE_MAX_LENGTH:
            raise _definition_error(position, name, f"a value has at most {SELECT_VALUE_MAX_LENGTH} characters.")
        if value in cleaned:
            raise _definition_error(position, name, f"the value {_shown(value)} is listed twice.")
        cleaned.append(value)
    return {"values": cleaned}


_CLEANERS = {
    AttributeKind.CHECKBOX: _clean_checkbox,
    AttributeKind.NUMBER: _clean_number,
    AttributeKind.TEXT: _clean_text,
    AttributeKind.SELECT: _clean_select,
}


def _value_problem(definition, value):
    """Why ``value`` does not fit ``definition`` (a sentence ending in "."), or ``None``."""
    kind = definition["kind"]
    if kind == AttributeKind.CHECKBOX:
        return None if isinstance(value, bool) else f"must be true or false, not {_shown(value)}."
    if kind == AttributeKind.NUMBER:
        if not _is_number(value):
            return f"must be a number, not {_shown(value)}."
        low, high, step = definition.get("min"), definition.get("max"), definition.get("step")
        if low is not None and value < low:
            return f"must be at least {_shown(low)}, not {_shown(value)}."
        if high is not None and value > high:
            return f"must be at most {_shown(high)}, not {_shown(value)}."
        if step is not None:
            steps = (value - (low or 0)) / step
            if abs(steps - round(steps)) > 1e-9 * max(1, abs(steps)):
                return f"must be {_shown(low or 0)} plus a multiple of {_shown(step)}, not {_shown(value)}."
        return None
    if kind == AttributeKind.TEXT:
        if not isinstance(value, str):
            return f"must be text, not {_shown(value)}."
        if len(value) > definition["max_length"]:
            return f"has {len(value)} characters; at most {definition['max_length']} are allowed."
        return None
    if not isinstance(value, str):
        return f"must be one of {', '.join(_shown(v) for v in definition['values'])}, not {_shown(value)}."
    if value not in definition["values"]:
        return f"must be one of {', '.join(_shown(v) for v in definition['values'])}, not {_shown(value)}."
    return None


def _canonical(definition, value):
    """Numbers that are whole are stored as int (so 2.0 and 2 compare and export alike)."""
    if definition["kind"] == AttributeKind.NUMBER and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def value_problem(definition, value):
    """Public form of the check: ``None`` when ``value`` fits ``definition``."""
    return _value_problem(definition, value)


def clean_values(values, definitions, *, type_name=""):
    """``values`` checked against ``definitions`` (a type's ``attributes``), with defaults filled in.

    ``None`` means no values given. Raises ``ValidationError({"attributes": [reasons]})``, one
    reason per bad attribute, each naming it.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"attributes": 'Give the attributes as an object like {"colour": "red"}.'})
    by_name = {definition["name"]: definition for definition in definitions or ()}
    of_type = f" of type “{type_name}”" if type_name else ""
    errors, cleaned = [], {}
    for name in values:
        if name not in by_name:
            known = ", ".join(f"“{known}”" for known in by_name) or "none"
            errors.append(f"Unknown attribute {_shown(str(name))}{of_type} (its attributes: {known}).")
    for name, definition in by_name.items():
        value = values.get(name)
        if value is None:
            default = definition.get("default")
            if default is None and definition["kind"] == AttributeKind.CHECKBOX:
                default = False  # a checkbox always has a value
            if default is not None:
                cleaned[name] = default
            elif definition.get("required"):
                errors.append(f"Attribute “{name}” is required.")
            continue
        problem = _value_problem(definition, value)
        if problem:
            errors.append(f"Attribute “{name}” {problem}")
        else:
            cleaned[name] = _canonical(definition, value)
    if errors:
        raise ValidationError({"attributes": errors}, code="invalid_attribute")
    return cleaned


def summary(values, definitions=None):
    """A short human text of the values, in definition order: "colour: red, occluded: yes"."""
    order = [definition["name"] for definition in definitions or ()]
    names = [name for name in order if name in values] + sorted(name for name in values if name not in order)
    parts = []
    for name in names:
        value = values[name]
        shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        parts.append(f"{name}: {shown}")
    return ", ".join(parts)
