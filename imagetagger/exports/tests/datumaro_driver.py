"""Run by the readers' interpreter (.venv-readers, which has datumaro), never by the site or pytest:
reads a dataset with datumaro and prints what it holds as JSON; optionally writes it again in another
format first. exports/tests/test_datumaro_reader.py calls it:

    python datumaro_driver.py read FORMAT PATH
    python datumaro_driver.py convert FORMAT PATH OUT_FORMAT OUT_PATH   (prints what it read)
"""

import json
import sys

import datumaro as dm
from datumaro.components.annotation import AnnotationType


def describe(dataset):
    labels = dataset.categories().get(AnnotationType.label)
    found = []
    for item in dataset:
        size = item.media.size if item.media is not None and item.media.has_size else None
        for annotation in item.annotations:
            label = getattr(annotation, "label", None)
            entry = {
                "item": item.id,
                "size": list(size) if size else None,
                "kind": annotation.type.name,
                "label": labels[label].name if label is not None else None,
                "attributes": annotation.attributes,
            }
            if annotation.type == AnnotationType.bbox:
                entry["points"] = [annotation.x, annotation.y, annotation.x + annotation.w, annotation.y + annotation.h]
            elif hasattr(annotation, "points"):
                entry["points"] = list(annotation.points)
            found.append(entry)
    return {"items": sorted(item.id for item in dataset), "annotations": found}


def main(command, source_format, path, *rest):
    dataset = dm.Dataset.import_from(path, source_format)
    if command == "convert":
        out_format, out_path = rest
        dataset.export(out_path, out_format, save_media=False)
    print(json.dumps(describe(dataset), default=str))


if __name__ == "__main__":
    main(*sys.argv[1:])
