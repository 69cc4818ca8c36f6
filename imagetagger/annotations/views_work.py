"""HTML side of the whole-set "not in image" action (``work.annotate_set_not_in_image``).

The set page's panel posts a type here; the answer is a confirmation page that says how many images
will be marked, whose button posts again with ``confirmed=1`` to do it. Only POST changes anything.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from base.feedback import flash_errors
from base.ids import parse_id
from images.models import ImageSet
from images.permissions import imageset_permissions

from . import work
from .models import AnnotationType
from .permissions import type_owners_of_set


@login_required
@require_POST
def annotate_set(request, imageset_id):
    image_set = ImageSet.objects.select_related("team").filter(pk=imageset_id).first()
    permissions = imageset_permissions(request.user, image_set) if image_set is not None else frozenset()
    if "read" not in permissions:
        raise Http404("No such image set.")
    if "edit_set" not in permissions:
        raise PermissionDenied(work.NO_EDIT_SET)
    type_id = request.POST.get("annotation_type", "")
    type_id = parse_id(type_id)
    annotation_type = AnnotationType.objects.filter(pk=type_id).first() if type_id else None
    owners = {None, *type_owners_of_set(image_set)}
    if annotation_type is not None and annotation_type.team_id not in owners:
        annotation_type = None  # another team's type: as unknown as a missing one
    if annotation_type is None:
        messages.error(request, "Choose an annotation type to mark the set with.")
        return redirect(image_set)
    try:
        work.check_markable(image_set, annotation_type)
    except ValidationError as error:
        flash_errors(request, error)
        return redirect(image_set)
    if request.POST.get("confirmed") != "1":
        count = work.unlabelled_images(image_set, annotation_type).count()
        image_count = image_set.images.count()
        context = {
            "image_set": image_set,
            "annotation_type": annotation_type,
            "count": count,
            "image_count": image_count,
            "labelled": image_count - count,
        }
        return render(request, "annotations/annotate_set_confirm.html", context)
    try:
        created = work.annotate_set_not_in_image(
            actor=request.user, image_set=image_set, annotation_type=annotation_type
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(image_set)
    if created:
        messages.success(
            request,
            f"{created} image{'s' if created != 1 else ''} marked “not in image” for {annotation_type.name}.",
        )
    else:
        messages.info(request, f"Every image already has a label of the type {annotation_type.name}.")
    return redirect(image_set)
