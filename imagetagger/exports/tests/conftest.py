"""Fixtures of the export tests."""

import io

import pytest
from django.core.files.storage import default_storage

from annotations.models import Annotation, AnnotationType, VectorType
from images.ingest import add_image_file
from images.tests.factories import make_imageset

from .readers import IMAGES, LABELS, picture


@pytest.fixture
def dataset(make_user, make_team, storage_dir, tmp_path):
    user = make_user("ada")
    team = make_team("Readers", admins=[user])
    image_set = make_imageset(team, creator=user, name="readers")
    types = {
        "car": AnnotationType.objects.create(team=team, name="car"),
        "Fußgänger": AnnotationType.objects.create(team=team, name="Fußgänger"),
        "lane": AnnotationType.objects.create(team=team, name="lane", vector_type=VectorType.POLYGON),
    }
    folder = tmp_path / "images"
    folder.mkdir()
    images = {}
    for index, (name, (width, height)) in enumerate(IMAGES.items()):
        result = add_image_file(
            image_set, name=name, fileobj=io.BytesIO(picture(name, width, height, index)), uploader=user
        )
        images[name] = image_set.images.get(pk=result.image_id)
        with default_storage.open(images[name].relative_path, "rb") as stored:
            (folder / name).write_bytes(stored.read())
    for name, type_name, vector in LABELS:
        Annotation.objects.create(image=images[name], annotation_type=types[type_name], vector=vector, user=user)
    return {"user": user, "team": team, "set": image_set, "types": types, "images": folder, "tmp": tmp_path}
