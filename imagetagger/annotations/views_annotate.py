"""The annotate page (``/annotations/<image_id>/``) and the image position its image list needs.

The page is a shell: the canvas code (``static/annotations/js/annotate.js``) loads the images and the
annotations through the REST API and saves through it. Here: who may open it (``read`` on the image's
set, else 404) and the start-up data the script needs, as JSON in the page, among it the set's types
(``selectors.types_usable_in_set``, in schema order) with colours, keys and attribute definitions.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from assist.proposals import interactive_backends
from base.ids import parse_id
from images.models import Image, ImageSet
from images.permissions import imageset_permissions

from . import selectors
from .models import Annotation, AnnotationType

EDIT_PERMISSIONS = ("annotate", "edit_annotation", "delete_annotation", "verify")


def _readable_image(user, image_id):
    image = Image.objects.select_related("image_set__team").filter(pk=image_id).first()
    permissions = imageset_permissions(user, image.image_set) if image is not None else frozenset()
    if "read" not in permissions:
        raise Http404("No such image.")
    return image, permissions


def type_json(annotation_type):
    """What the annotate and verification pages' scripts know of a type."""
    return {
        "id": annotation_type.pk,
        "name": annotation_type.name,
        "color": annotation_type.color,
        "vector_type": annotation_type.vector_type,
        "node_count": annotation_type.node_count,
        "is_tag": annotation_type.is_tag,
        "shortcut": annotation_type.shortcut,
        "enable_concealed": annotation_type.enable_concealed,
        "enable_blurred": annotation_type.enable_blurred,
        "attributes": annotation_type.attributes or [],
    }


def _image_json(image):
    return {
        "id": image.pk,
        "name": image.name,
        "width": image.width,
        "height": image.height,
        "url": reverse("images:view_image", args=[image.pk]),
    }


@login_required
@require_safe
def annotate(request, image_id):
    image, permissions = _readable_image(request.user, image_id)
    image_set = image.image_set
    types = list(selectors.types_usable_in_set(image_set))
    drawable = [t for t in types if not t.is_tag]
    main_type = image_set.main_annotation_type_id
    config = {
        "user": request.user.pk,
        "image": _image_json(image),
        "imageSet": {
            "id": image_set.pk,
            "name": image_set.name,
            "url": image_set.get_absolute_url(),
            "imageCount": image_set.images.count(),
        },
        "types": [type_json(t) for t in types],
        "mainType": main_type if any(t.pk == main_type for t in drawable) else None,
        "permissions": sorted(p for p in permissions if p in EDIT_PERMISSIONS or p == "read"),
        "urls": {
            "annotations": reverse("api:annotation-list"),
            "images": reverse("api:imageset-images", args=[image_set.pk]),
            "image": reverse("api:image-detail", args=[0]),
            "position": reverse("annotations:image_position", args=[image_set.pk]),
            "annotate": reverse("annotations:annotate", args=[0]),
        },
        "assist": {"url": reverse("api:shape-proposal", args=[0])},
    }
    context = {
        "image": image,
        "image_set": image_set,
        "permissions": permissions,
        "types": drawable,
        "tag_types": [t for t in types if t.is_tag],
        "can_annotate": "annotate" in permissions,
        "interactive_backends": interactive_backends(request.user, image_set) if "annotate" in permissions else [],
        "config": config,
    }
    return render(request, "annotations/annotate.html", context)


@login_required
@require_safe
def image_position(request, imageset_id):
    """``{"index": n, "count": total, "present": bool}``: where ``?image=<id>`` stands in the set's image
    list by name (filtered by ``missing_annotation_type`` like the API's image list): ``index`` images
    come before it; ``present`` says whether it is in the (filtered) list itself."""
    image_set = ImageSet.objects.select_related("team").filter(pk=imageset_id).first()
    if image_set is None or "read" not in imageset_permissions(request.user, image_set):
        raise Http404("No such image set.")
    images = image_set.images.all()
    missing = request.GET.get("missing_annotation_type", "")
    if missing:
        if not parse_id(missing) or not AnnotationType.objects.filter(pk=parse_id(missing)).exists():
            return JsonResponse({"detail": "missing_annotation_type: give an annotation type id."}, status=400)
        typed = Annotation.objects.filter(image=OuterRef("pk"), annotation_type_id=int(missing))
        images = images.filter(~Exists(typed))
    image_id = request.GET.get("image", "")
    image = image_set.images.filter(pk=parse_id(image_id)).first() if parse_id(image_id) else None
    if image is None:
        return JsonResponse({"detail": "image: give the id of an image of this set."}, status=400)
    before = images.filter(Q(name__lt=image.name) | Q(name=image.name, pk__lt=image.pk)).count()
    return JsonResponse(
        {"index": before, "count": images.count(), "present": images.filter(pk=image.pk).exists()},
    )


@login_required
@require_safe
def annotate_imageset(request, imageset_id):
    """The set page's "Annotate" link: the set's first image by name (``?image=<id>`` to pick one)."""
    image_set = ImageSet.objects.select_related("team").filter(pk=imageset_id).first()
    if image_set is None or "read" not in imageset_permissions(request.user, image_set):
        raise Http404("No such image set.")
    first = image_set.images.order_by("name", "id").only("pk").first()
    if first is None:
        messages.info(request, "This image set has no images to annotate yet.")
        return redirect(image_set)
    return redirect("annotations:annotate", first.pk)
