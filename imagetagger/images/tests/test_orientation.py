"""``manage.py fixorientation``: images stored with their raw size before ingest applied the EXIF
orientation get the size viewers show, and their labels are scaled onto it."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image as PILImage

from annotations.models import Annotation, AnnotationHistory, AnnotationType, HistoryAction, VectorType
from images.ingest import ingest_upload
from images.models import Image
from images.tests.factories import make_image_bytes, make_imageset, make_upload

pytestmark = [pytest.mark.django_db, pytest.mark.storages("filesystem", "s3")]


def turned_jpeg(orientation, width=400, height=200, colour=(200, 10, 10)):
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    return make_image_bytes("jpeg", width, height, colour, exif=exif.tobytes())


@pytest.fixture
def world(make_user, make_team, storage_dir):
    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    image_set = make_imageset(team, creator=ada, name="field")
    box = AnnotationType.objects.create(name="box")
    line = AnnotationType.objects.create(name="line", vector_type=VectorType.LINE)

    def add(name, data, raw_size=None, labels=()):
        result = ingest_upload(actor=ada, image_set=image_set, uploaded_file=make_upload(name, data))[0]
        image = Image.objects.get(pk=result.image_id)
        if raw_size:  # as an earlier version stored it
            Image.objects.filter(pk=image.pk).update(width=raw_size[0], height=raw_size[1])
            image.refresh_from_db()
        for annotation_type, vector in labels:
            Annotation.objects.create(image=image, annotation_type=annotation_type, vector=vector, user=ada)
        return image

    return {"ada": ada, "set": image_set, "box": box, "line": line, "add": add}


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("fixorientation", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_old_images_get_the_turned_size_and_their_labels_are_scaled_onto_it(world):
    box = {"x1": 40, "y1": 20, "x2": 200, "y2": 100}
    turned = world["add"](
        "turned.jpg",
        turned_jpeg(6),
        raw_size=(400, 200),
        labels=[(world["box"], box), (world["line"], {"x1": 0, "y1": 0, "x2": 400, "y2": 200})],
    )
    upright = world["add"]("upright.jpg", turned_jpeg(1, colour=(1, 2, 3)), labels=[(world["box"], box)])
    flipped = world["add"]("flipped.jpg", turned_jpeg(3, colour=(4, 5, 6)), labels=[(world["box"], box)])

    dry, _ = run("--dry-run")
    assert f"image {turned.pk} turned.jpg: 400 × 200 would become 200 × 400, 2 label(s) to scale" in dry
    assert "1 image(s) would be fixed, 2 label(s)" in dry
    assert Image.objects.get(pk=turned.pk).width == 400, "a dry run changes nothing"

    out, err = run()
    assert f"image {turned.pk} turned.jpg: 400 × 200 is now 200 × 400, 2 label(s) scaled" in out
    assert "1 image(s) fixed, 2 label(s); 0 unreadable." in out
    assert err == ""
    turned.refresh_from_db()
    assert (turned.width, turned.height) == (200, 400)
    saved = Annotation.objects.filter(image=turned).select_related("annotation_type")
    labels = {annotation.annotation_type.name: annotation for annotation in saved}
    # x by 200/400, y by 400/200: where the label lay on the stretched picture the page showed
    assert labels["box"].vector == {"x1": 20, "y1": 40, "x2": 100, "y2": 200}
    assert labels["line"].vector == {"x1": 0, "y1": 0, "x2": 200, "y2": 400}
    assert labels["box"].version == 2
    history = AnnotationHistory.objects.get(annotation=labels["box"])
    assert history.action == HistoryAction.UPDATE
    assert history.user is None
    assert history.before["vector"] == box
    assert history.after["vector"] == labels["box"].vector
    # Upright and 180°-turned images keep their size and labels.
    for image in (upright, flipped):
        image.refresh_from_db()
        assert (image.width, image.height) == (400, 200)
        assert Annotation.objects.get(image=image).vector == box

    again, _ = run()
    assert "0 image(s) fixed, 0 label(s); 0 unreadable." in again
    assert Annotation.objects.get(pk=labels["box"].pk).vector == labels["box"].vector


def test_an_unreadable_file_is_reported_and_the_others_are_fixed(world):
    missing = world["add"]("gone.jpg", turned_jpeg(6), raw_size=(400, 200))
    default_storage.delete(missing.relative_path)
    turned = world["add"]("turned.jpg", turned_jpeg(8, colour=(9, 9, 9)), raw_size=(400, 200))
    out, err = run("--set", str(world["set"].pk))
    assert f"image {missing.pk} gone.jpg: cannot read" in err
    assert "1 image(s) fixed, 0 label(s); 1 unreadable." in out
    turned.refresh_from_db()
    assert (turned.width, turned.height) == (200, 400)


def test_new_uploads_need_no_fixing(world):
    image = world["add"]("new.jpg", turned_jpeg(6))
    assert (image.width, image.height) == (200, 400)
    out, _ = run()
    assert "0 image(s) fixed" in out
