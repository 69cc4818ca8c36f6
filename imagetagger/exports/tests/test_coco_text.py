"""CocoWriter writes the usual annotation (integer vertices, no attribute values) as text directly:
that text must be exactly what ``json`` writes for the annotation's dict (``CocoWriter.annotation``)."""

import json
import random

import pytest

from annotations.models import VectorType
from exports.standard import CocoWriter, _dumps

from .format_factories import make_image, make_set, make_type

pytestmark = pytest.mark.django_db


def _vector(rng, count):
    vector = {}
    for number in range(1, count + 1):
        vector[f"x{number}"] = rng.randrange(0, 5000)
        vector[f"y{number}"] = rng.randrange(0, 5000)
    return vector


@pytest.mark.parametrize("keypoints", [True, False])
def test_the_direct_text_equals_the_json_of_the_dict(make_team, keypoints):
    team = make_team()
    image_set = make_set(team)
    image = make_image(image_set, "a.png")
    kinds = {
        VectorType.BOUNDING_BOX: (2, 2),
        VectorType.POLYGON: (3, 9),
        VectorType.POINT: (1, 1),
        VectorType.LINE: (2, 2),
        VectorType.MULTI_LINE: (2, 7),
    }
    types = {kind: make_type(f"t{kind}", kind) for kind in kinds}
    from annotations.models import Annotation

    for annotation_type in types.values():
        Annotation.objects.create(image=image, annotation_type=annotation_type, vector=_vector(random.Random(1), 2))
    rng = random.Random(7)
    fast, slow = CocoWriter(image_set, {"keypoints": keypoints}), CocoWriter(image_set, {"keypoints": keypoints})
    for number in range(2000):
        kind = rng.choice(list(kinds))
        vector = _vector(rng, rng.randint(*kinds[kind]))
        if number % 7 == 0 and "x2" in vector:  # not a whole number: written through the dict
            vector["x2"] += 0.5
        flags = (bool(number % 3), number % 5 == 0)
        raw = (image.pk, number, types[kind].pk, json.dumps(vector), int(flags[0]), int(flags[1]), "{}")
        decoded = (image.pk, number, types[kind].pk, vector, flags[0], flags[1], {})
        item = slow.annotation(decoded, keypoints)
        assert fast.annotation_text(raw, keypoints) == (None if item is None else _dumps(item))
    fast._report_direct()
    assert fast.report.as_dict() == slow.report.as_dict()
