"""``AnnotationSerializer.to_representation`` is written out by hand for speed: it must say exactly
what the declared fields (the OpenAPI schema's description of it) would say, for every kind of label."""

import datetime
import json

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from annotations import selectors
from annotations.models import Annotation, AnnotationType, Origin, VectorType, Verification
from annotations.serializers import AnnotationCreateSerializer, AnnotationSerializer, AnnotationUpdateSerializer
from annotations.tests.test_api import sized_images
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db


@pytest.fixture
def labels(make_user, make_team):
    """Every kind of label: a box (edited by another member, voted on, with attribute values), a
    tag, a "not in image" mark, a machine-made polygon, a concealed and blurred point; and ada."""
    ada, bob, cara = make_user("ada"), make_user("bob"), make_user("cara")
    bob.first_name, bob.last_name = "Bob", "Builder"
    bob.save()
    team = make_team("Robots", admins=[ada], members=[bob, cara])
    image, other = sized_images(make_imageset(team, creator=ada), 2)
    box = AnnotationType.objects.create(name="ball", color="#112233")
    tag = AnnotationType.objects.create(name="night", vector_type=VectorType.TAG)
    polygon = AnnotationType.objects.create(name="field", vector_type=VectorType.POLYGON)
    point = AnnotationType.objects.create(name="spot", vector_type=VectorType.POINT, enable_blurred=False)
    made = [
        Annotation.objects.create(
            image=image,
            annotation_type=box,
            vector={"x1": 1, "y1": 2, "x2": 30, "y2": 40},
            user=bob,
            last_editor=cara,
            attributes={"occluded": True, "colour": "réd", "size": 2.5},
            version=3,
        ),
        Annotation.objects.create(image=image, annotation_type=tag, vector=None, user=ada),
        Annotation.objects.create(image=other, annotation_type=box, vector=None, user=ada),
        Annotation.objects.create(
            image=other,
            annotation_type=polygon,
            vector={"x1": 1, "y1": 1, "x2": 50, "y2": 1, "x3": 25, "y3": 40},
            user=ada,
            origin=Origin.MACHINE,
            model_name="yolo v8",
            confidence=0.125,
        ),
        Annotation.objects.create(
            image=other,
            annotation_type=point,
            vector={"x1": 7, "y1": 9},
            user=bob,
            concealed_flag=True,
            blurred_flag=True,
        ),
    ]
    Annotation.objects.filter(pk=made[0].pk).update(
        time=datetime.datetime(2026, 12, 4, 8, 9, 10, 123456, tzinfo=datetime.UTC)
    )
    Verification.objects.create(annotation=made[0], user=ada, verified=True)
    Verification.objects.create(annotation=made[0], user=cara, verified=False)
    Verification.objects.create(annotation=made[3], user=bob, verified=True)
    return ada, bob, made


@pytest.mark.parametrize("viewer", ["ada", "bob"])
def test_the_hand_written_representation_is_what_the_fields_say(labels, viewer):
    ada, bob, made = labels
    user = {"ada": ada, "bob": bob}[viewer]
    context = {"permission_cache": selectors.PermissionCache(user)}
    annotations = list(selectors.readable_annotations(user).filter(pk__in=[label.pk for label in made]))
    assert len(annotations) == len(made)
    for annotation in annotations:
        serializer = AnnotationSerializer(annotation, context=context)
        fast = serializer.data
        fields = serializers.ModelSerializer.to_representation(serializer, annotation)
        assert list(fast) == list(fields)  # the same keys in the same order
        assert fast == fields
        assert JSONRenderer().render(fast) == JSONRenderer().render(fields)
    # The cases the fixture promises are really there.
    answers = [json.loads(JSONRenderer().render(AnnotationSerializer(a, context=context).data)) for a in annotations]
    by_id = {answer["id"]: answer for answer in answers}
    first = by_id[made[0].pk]
    assert (first["accepts"], first["rejects"], first["score"], first["last_editor"]) == (1, 1, 0, "cara")
    assert datetime.datetime.fromisoformat(first["created"]) == datetime.datetime(
        2026, 12, 4, 8, 9, 10, 123456, tzinfo=datetime.UTC
    )
    assert by_id[made[1].pk]["is_tag"]
    assert by_id[made[2].pk]["not_in_image"]
    assert by_id[made[3].pk]["confidence"] == 0.125
    assert by_id[made[3].pk]["my_vote"] == ("accept" if viewer == "bob" else None)
    assert by_id[made[4].pk]["concealed"]
    assert not by_id[made[4].pk]["blurred"]


# --- input serializers with copied fields (CopiedFieldsMixin) ---------------------------------------


@pytest.mark.parametrize("serializer_class", [AnnotationCreateSerializer, AnnotationUpdateSerializer])
def test_each_input_serializer_gets_fields_of_its_own(serializer_class):
    first, second = serializer_class(data={}), serializer_class(data={})

    assert first.fields.keys() == second.fields.keys() == serializer_class._declared_fields.keys()
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
        assert first.fields[name].field_name == name
        assert first.fields[name] is not serializer_class._declared_fields[name]


def test_a_refused_create_leaves_nothing_behind_for_the_next_one():
    body = {"image": 5, "annotation_type": 1, "vector": {"x1": 1, "y1": 2, "x2": 3, "y2": 4}}
    refused = AnnotationCreateSerializer(data={**body, "image": "5", "concealed": "yes", "confidence": 2})
    assert not refused.is_valid()
    assert set(refused.errors) == {"image", "concealed", "confidence"}

    accepted = AnnotationCreateSerializer(data=body)
    assert accepted.is_valid(), accepted.errors
    assert accepted.validated_data == {
        **body,
        "concealed": False,
        "blurred": False,
        "origin": Origin.HUMAN,
        "model_name": "",
        "confidence": None,
        "attributes": None,
    }
    again = AnnotationCreateSerializer(data={**body, "confidence": 2})
    assert not again.is_valid()
    assert again.errors == {"confidence": ["Ensure this value is less than or equal to 1."]}
