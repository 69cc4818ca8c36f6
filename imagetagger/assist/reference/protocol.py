"""The Label Studio side of the reference backend: what a label config names, the prompt in
``params.context``, and results in percent of the image (Label Studio's coordinates)."""

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from .segment import Prompt

DETECTED_LABELS = ("face", "person")
DEFAULT_OBJECT_LABEL = "object"


class BadRequest(Exception):
    """The request as a whole cannot be answered (400); the message says why."""


@dataclass(frozen=True)
class LabelConfig:
    """The names a label config gives; without a config (or one that cannot be read) the defaults.

    ``labels`` maps each detected label (face, person) to the config's spelling of it: only those the
    config's RectangleLabels name are detected; with no RectangleLabels tag, all of them."""

    image_name: str = "image"
    image_key: str = "image"
    box_name: str = "label"
    labels: tuple[tuple[str, str], ...] = tuple((label, label) for label in DETECTED_LABELS)
    polygon_name: str = "label"
    polygon_labels: tuple[str, ...] = ()


def parse_label_config(text):
    if not isinstance(text, str) or not text.strip():
        return LabelConfig()
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return LabelConfig()
    found = {}
    image = next(root.iter("Image"), None)
    if image is not None and image.get("name"):
        found["image_name"] = image.get("name")
        found["image_key"] = (image.get("value") or "$image").lstrip("$") or "image"
    boxes = next(root.iter("RectangleLabels"), None)
    if boxes is not None:
        found["box_name"] = boxes.get("name") or "label"
        spelled = {label.casefold(): label for label in _label_values(boxes)}
        found["labels"] = tuple((ours, spelled[ours]) for ours in DETECTED_LABELS if ours in spelled)
    polygons = next(root.iter("PolygonLabels"), None)
    if polygons is not None:
        found["polygon_name"] = polygons.get("name") or "label"
        found["polygon_labels"] = tuple(_label_values(polygons))
    return LabelConfig(**found)


def _label_values(tag):
    return [label.get("value") for label in tag.iter("Label") if label.get("value")]


def image_url(task, config):
    """The URL of a task's image: ``data[<the Image tag's $value>]``, else ``data["image"]``."""
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict):
        return None
    return data.get(config.image_key) or data.get("image")


def prompt_of(params):
    """The user's prompt in ``params.context.result`` as ``(items, label)`` in percent, or None when there
    is none (then the backend detects). ``items`` are ``("box", x, y, w, h)`` and ``("point", x, y, positive)``."""
    context = params.get("context") if isinstance(params, dict) else None
    results = context.get("result") if isinstance(context, dict) else None
    if not results:
        return None
    if not isinstance(results, list):
        raise BadRequest("params.context.result is not a list")
    items, label = [], None
    for result in results:
        item, item_label = _prompt_item(result)
        if item is not None:
            items.append(item)
            label = label or item_label
    if not items:
        raise BadRequest("params.context.result holds no rectanglelabels box or keypointlabels point")
    return items, label


def _prompt_item(result):
    if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
        return None, None
    kind, value = result.get("type"), result["value"]
    labels = value.get(kind) if isinstance(value.get(kind), list) else []
    label = labels[0] if labels and isinstance(labels[0], str) else None
    if kind == "rectanglelabels":
        numbers = [value.get(key) for key in ("x", "y", "width", "height")]
        if all(_is_number(number) for number in numbers) and numbers[2] > 0 and numbers[3] > 0:
            return ("box", *numbers), label
    elif kind == "keypointlabels" and _is_number(value.get("x")) and _is_number(value.get("y")):
        return ("point", value["x"], value["y"], result.get("is_positive", True) is not False), label
    return None, None


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def pixel_prompt(items, width, height):
    """The prompt's items (percent) as a ``Prompt`` in pixels of a ``width``×``height`` image; the
    first box counts."""
    prompt = Prompt()
    for item in items:
        if item[0] == "box" and prompt.box is None:
            _, x, y, w, h = item
            prompt.box = (x * width / 100, y * height / 100, w * width / 100, h * height / 100)
        elif item[0] == "point":
            _, x, y, positive = item
            (prompt.positive if positive else prompt.negative).append((x * width / 100, y * height / 100))
    return prompt


def _percent(value, size):
    return round(value * 100 / size, 4)


def _frame(config, name, kind, width, height):
    return {
        "from_name": name,
        "to_name": config.image_name,
        "type": kind,
        "original_width": width,
        "original_height": height,
        "image_rotation": 0,
    }


def box_result(detection, spelled_label, config, width, height):
    value = {
        "x": _percent(detection.x, width),
        "y": _percent(detection.y, height),
        "width": _percent(detection.width, width),
        "height": _percent(detection.height, height),
        "rotation": 0,
        "rectanglelabels": [spelled_label],
    }
    return _frame(config, config.box_name, "rectanglelabels", width, height) | {
        "value": value,
        "score": round(detection.score, 4),
    }


def polygon_result(points, label, config, width, height):
    label = label or (config.polygon_labels[0] if config.polygon_labels else DEFAULT_OBJECT_LABEL)
    value = {
        "points": [[_percent(x, width), _percent(y, height)] for x, y in points],
        "closed": True,
        "polygonlabels": [label],
    }
    return _frame(config, config.polygon_name, "polygonlabels", width, height) | {"value": value}
