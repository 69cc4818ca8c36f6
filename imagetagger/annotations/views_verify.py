"""The verification page (``/annotations/<annotation_id>/verify/``) and the set page's "Verify" entry.

Like the annotate page, the page is a shell: ``static/annotations/js/verify.js`` walks the set's
annotations through the REST API (keyset pages around the current one), draws each image with the
annotations of the current type and sends votes and flag changes through the outbox, so that a vote
is never lost and never blocks moving on. Who may open it: ``read`` on the set, else 404; ``verify``,
else 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from images.models import ImageSet
from images.permissions import imageset_permissions

from . import selectors
from .models import Annotation, SetTypeCount, Verification
from .serializers import AnnotationSerializer
from .views_annotate import type_json

NO_VERIFY = "You may not verify the annotations of this image set."


def _checked_set(user, image_set):
    permissions = imageset_permissions(user, image_set) if image_set is not None else frozenset()
    if "read" not in permissions:
        raise Http404("No such annotation.")
    if "verify" not in permissions:
        raise PermissionDenied(NO_VERIFY)
    return permissions


def types_in_set(image_set):
    """The set's usable types (``selectors.types_usable_in_set``, in schema order) with at least one
    annotation in ``image_set`` (one query); with their colours and attribute definitions
    (``views_annotate.type_json``) for the page's script."""
    # The maintained SetTypeCount row of (set, type), not a search through every label of the set.
    used = SetTypeCount.objects.filter(image_set=image_set, annotation_type=OuterRef("pk"), labelled_images__gt=0)
    return list(selectors.types_usable_in_set(image_set).filter(Exists(used)))


def _type_filter(request, types, default):
    """The ``type`` parameter: an id of ``types``, "all" (None), or else the default."""
    value = request.GET.get("type", "")
    if value == "all":
        return None
    if value.isdigit() and any(t.pk == int(value) for t in types):
        return int(value)
    return default if any(t.pk == default for t in types) else None


@login_required
@require_safe
def verify(request, annotation_id):
    # Sets the user may not read are left out here already: their annotations answer 404 as missing ones.
    annotation = selectors.readable_annotations(request.user).filter(pk=annotation_id).first()
    image_set = annotation.image.image_set if annotation is not None else None
    permissions = _checked_set(request.user, image_set)
    cache = selectors.PermissionCache(request.user)
    data = AnnotationSerializer(annotation, context={"permission_cache": cache}).data
    types = types_in_set(image_set)
    config = {
        "user": request.user.pk,
        "annotation": data,
        "imageSet": {"id": image_set.pk, "name": image_set.name, "url": image_set.get_absolute_url()},
        "types": [
            {**type_json(t), "enableConcealed": t.enable_concealed, "enableBlurred": t.enable_blurred} for t in types
        ],
        "type": _type_filter(request, types, annotation.annotation_type_id),
        "unvotedOnly": request.GET.get("all") != "1",
        "permissions": sorted(permissions),
        "urls": {
            "annotations": reverse("api:annotation-list"),
            "image": reverse("images:view_image", args=[0]),
            "annotate": reverse("annotations:annotate", args=[0]),
            "verify": reverse("annotations:verify", args=[0]),
        },
    }
    context = {"annotation": annotation, "image_set": image_set, "types": types, "config": config}
    return render(request, "annotations/verify.html", context)


@login_required
@require_safe
def verify_imageset(request, imageset_id):
    """The set page's "Verify" link: the first annotation (of the set's main type when it has some)
    that the user may still vote on, else the first annotation at all."""
    image_set = ImageSet.objects.select_related("team").filter(pk=imageset_id).first()
    _checked_set(request.user, image_set)
    annotations = Annotation.objects.filter(image__image_set=image_set, annotation_type__active=True)
    main = image_set.main_annotation_type_id
    if (
        main
        and SetTypeCount.objects.filter(image_set=image_set, annotation_type_id=main, labelled_images__gt=0).exists()
    ):
        annotations = annotations.filter(annotation_type_id=main)
    ordered = annotations.order_by("image__name", "image_id", "id").values_list("pk", flat=True)
    voted = Verification.objects.filter(annotation=OuterRef("pk"), user=request.user)
    # Walks the images in (image_set, name, id) index order and stops at the first label left, instead of
    # sorting every label of the set (see test_pages_flat.py for the plan).
    first = ordered.exclude(user=request.user).filter(~Exists(voted)).first()
    if first is not None:
        return redirect("annotations:verify", first)
    first = ordered.first()
    if first is None:
        messages.info(request, "This image set has no annotations to verify yet.")
        return redirect(image_set)
    messages.info(request, "You have verified every annotation of this set that you may vote on.")
    return redirect(f"{reverse('annotations:verify', args=[first])}?all=1")
