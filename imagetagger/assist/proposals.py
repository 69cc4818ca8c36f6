"""One-click shapes for the annotate page: a box becomes the polygon of the object in it, a click the
polygon of the similar-colour region around it — by OpenCV on the server (``assist.shapes``), or by
the team's interactive model backend (a SAM-like one) when the caller picks it. The result is a
proposal: nothing is saved; the page shows it for editing and the person saves it (or not)."""

import time

from django.core.exceptions import PermissionDenied, ValidationError

from images.permissions import imageset_permissions
from users.permissions import team_permissions

from . import client, results, shapes
from .links import image_link
from .models import ModelBackend
from .permissions import backend_permissions


def interactive_backends(user, image_set):
    """The interactive backends ``user`` may prompt for one-click shapes on ``image_set`` (its team's),
    by name; no query of the team's rights when the team has none."""
    backends = list(ModelBackend.objects.filter(team_id=image_set.team_id, interactive=True).order_by("name", "pk"))
    if not backends:
        return []
    rights = team_permissions(user, image_set.team)
    return [backend for backend in backends if "use" in backend_permissions(user, backend, team_rights=rights)]


def _vector(points):
    return {
        key: value
        for number, (x, y) in enumerate(points, start=1)
        for key, value in ((f"x{number}", x), (f"y{number}", y))
    }


def _percent(value, size):
    return 100 * value / size


def _backend_polygon(backend, image, box, point):
    """The first polygon the interactive ``backend`` answers for the prompt, in image pixels."""
    width, height = image.width, image.height
    if box is not None:
        x1, y1, x2, y2 = box
        prompt = {
            "type": "rectanglelabels",
            "value": {
                "x": _percent(x1, width),
                "y": _percent(y1, height),
                "width": _percent(x2 - x1, width),
                "height": _percent(y2 - y1, height),
                "rectanglelabels": ["object"],
            },
        }
    else:
        prompt = {
            "type": "keypointlabels",
            "is_positive": True,
            "value": {"x": _percent(point[0], width), "y": _percent(point[1], height), "keypointlabels": ["object"]},
        }
    prompt.update(
        from_name="keypointlabels" if box is None else "rectanglelabels",
        to_name="image",
        original_width=width,
        original_height=height,
    )
    tasks = [{"id": image.pk, "data": {"image": image_link(image)}}]
    config = (
        '<View><Image name="image" value="$image"/>'
        '<PolygonLabels name="polygonlabels" toName="image"><Label value="object"/></PolygonLabels></View>'
    )
    try:
        prediction = client.predict(backend, tasks, config, context={"result": [prompt]})[0]
    except client.BackendError as error:
        raise ValidationError({"backend": f"The backend could not outline it: {error}"}) from None
    for result in prediction.get("result") or []:
        if isinstance(result, dict) and result.get("type") == "polygonlabels" and isinstance(result.get("value"), dict):
            try:
                return results.pixel_points(result["value"], "polygonlabels", width, height)
            except ValueError as error:
                raise ValidationError({"backend": f"The backend's outline is unusable: {error}"}) from None
    raise ValidationError({"backend": "The backend answered no polygon for this prompt."})


def propose(*, actor, image, box=None, point=None, tolerance=None, backend=None):
    """``{"vector", "note", "source", "milliseconds"}`` for a ``box`` (x1, y1, x2, y2) or a ``point``
    (x, y, with ``tolerance`` 0..255 for the wand) on ``image``; with ``backend``, that backend's answer.
    Needs ``annotate`` on the image's set (it is for drawing)."""
    if "annotate" not in imageset_permissions(actor, image.image_set):
        raise PermissionDenied("You may not add annotations to this image set.")
    if (box is None) == (point is None):
        raise ValidationError({"box": "Give either a box [x1, y1, x2, y2] or a point [x, y]."})
    started = time.perf_counter()
    if backend is not None:
        if "use" not in backend_permissions(actor, backend) or backend.team_id != image.image_set.team_id:
            raise ValidationError({"backend": "There is no model backend with this id for this set."})
        if not backend.interactive:
            raise ValidationError({"backend": f"“{backend.name}” does not answer prompts (not marked interactive)."})
        points, note, source = _backend_polygon(backend, image, box, point), "", backend.name
    else:
        try:
            pixels = shapes.read_image_pixels(image)
            if box is not None:
                shape = shapes.box_to_polygon(pixels, box)
            else:
                shape = shapes.magic_wand_polygon(pixels, point, 32 if tolerance is None else tolerance)
        except ValueError as error:
            raise ValidationError({"box" if box is not None else "point": str(error)}) from None
        points, note, source = shape.points, shape.note, "grabcut" if box is not None else "magic wand"
    if len(points) < 3:
        raise ValidationError({"box" if box is not None else "point": "No outline with three corners was found here."})
    return {
        "vector": _vector(points),
        "note": note,
        "source": source,
        "milliseconds": round((time.perf_counter() - started) * 1000, 1),
    }
