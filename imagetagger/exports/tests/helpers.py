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


def schema_set(user, team, ball_attributes, ball_values, *, tag=False):
    """``labelled_set`` whose ball type defines ``ball_attributes`` and whose balls hold
    ``ball_values``; with ``tag`` a tag type "night" put on img00000. Returns (set, types)."""
    image_set, types = labelled_set(team, user, name="Field day")
    types["ball"].attributes = ball_attributes
    types["ball"].save()
    Annotation.objects.filter(annotation_type=types["ball"]).update(attributes=ball_values)
    if tag:
        types["night"] = AnnotationType.objects.create(name="night", vector_type=VectorType.TAG)
        first = image_set.images.get(name="img00000.png")
        Annotation.objects.create(image=first, annotation_type=types["night"], user=user)
    return image_set, types


def written(standard_format, image_set, options=None):
    """``(bytes, report)`` of a standard export of ``image_set``."""
    import io

    from exports import standard

    out = io.BytesIO()
    report = standard.write(standard_format, image_set, out, standard.clean_options(standard_format, options))
    return out.getvalue(), report


def empty_copy(image_set, user, name="copy"):
    """A set of the same team with 3 images named and sized like ``labelled_set``'s, without labels."""
    copy = make_imageset(image_set.team, creator=user, name=name)
    sized_images(copy, 3)
    return copy
