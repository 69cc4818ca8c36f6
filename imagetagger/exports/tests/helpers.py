"""Builders for the export tests: a set with images and one annotation of each vector type."""

from annotations.models import Annotation, AnnotationType, VectorType
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset

BOX = {"x1": 10, "y1": 20, "x2": 110, "y2": 220}
POLYGON = {"x1": 10, "y1": 10, "x2": 90, "y2": 10, "x3": 50, "y3": 80}
POINT = {"x1": 5, "y1": 6}
LINE = {"x1": 1, "y1": 2, "x2": 30, "y2": 40}


def make_types():
    return {
        "ball": AnnotationType.objects.create(name="ball", vector_type=VectorType.BOUNDING_BOX),
        "field": AnnotationType.objects.create(name="field", vector_type=VectorType.POLYGON),
        "spot": AnnotationType.objects.create(name="spot", vector_type=VectorType.POINT),
        "line": AnnotationType.objects.create(name="line", vector_type=VectorType.LINE),
    }


def sized_images(image_set, count, width=200, height=250):
    images = add_image_rows(image_set, count)
    Image.objects.filter(pk__in=[image.pk for image in images]).update(width=width, height=height)
    for image in images:
        image.width, image.height = width, height
    return images


def labelled_set(team, user, **fields):
    """A set with 3 images (200×250): img00000 has a box (blurred), a polygon, a point and a line,
    img00001 has a box and "ball not in image", img00002 has nothing."""
    image_set = make_imageset(team, creator=user, **fields)
    types = make_types()
    first, second, _third = sized_images(image_set, 3)
    annotation = Annotation.objects.create
    annotation(image=first, annotation_type=types["ball"], vector=BOX, blurred_flag=True, user=user)
    annotation(image=first, annotation_type=types["field"], vector=POLYGON, user=user)
    annotation(image=first, annotation_type=types["spot"], vector=POINT, user=user)
    annotation(image=first, annotation_type=types["line"], vector=LINE, concealed_flag=True, user=user)
    annotation(image=second, annotation_type=types["ball"], vector={"x1": 0, "y1": 0, "x2": 200, "y2": 250})
    annotation(image=second, annotation_type=types["field"], vector=None)
    return image_set, types
