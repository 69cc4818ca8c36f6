"""Builders for the template-engine and format-page tests."""

import hashlib
import itertools

from annotations.models import Annotation, AnnotationType, VectorType, Verification
from exports.models import ExportFormat
from images.models import Image, ImageSet

_counter = itertools.count(1)


def make_type(name, vector_type=VectorType.BOUNDING_BOX, **fields):
    return AnnotationType.objects.create(name=name, vector_type=vector_type, **fields)


def make_set(team, name=None, **fields):
    name = name or f"set{next(_counter)}"
    image_set = ImageSet.objects.create(team=team, name=name, **fields)
    image_set.path = f"{team.pk if team else 0}_{image_set.pk}"
    image_set.save(update_fields=["path"])
    return image_set


def make_image(image_set, name, width=640, height=480):
    number = next(_counter)
    return Image.objects.create(
        image_set=image_set,
        name=name,
        filename=f"f{image_set.pk}_{number}.png",
        checksum=hashlib.sha512(f"{image_set.pk}-{number}".encode()).digest(),
        width=width,
        height=height,
        format="png",
    )


def make_annotation(image, annotation_type, vector, *, blurred=False, concealed=False, votes=()):
    annotation = Annotation.objects.create(
        image=image,
        annotation_type=annotation_type,
        vector=vector,
        blurred_flag=blurred,
        concealed_flag=concealed,
    )
    for user, verified in votes:
        Verification.objects.create(annotation=annotation, user=user, verified=verified)
    return annotation


def make_format(team, types=(), **fields):
    fields.setdefault("name", f"format{next(_counter)}")
    export_format = ExportFormat.objects.create(team=team, **fields)
    export_format.annotation_types.set(types)
    return export_format


def box(x1, y1, x2, y2):
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2}


def points(*coordinates):
    vector = {}
    for index, (x, y) in enumerate(coordinates, start=1):
        vector[f"x{index}"] = x
        vector[f"y{index}"] = y
    return vector
