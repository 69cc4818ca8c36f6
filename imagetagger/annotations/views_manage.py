"""The manage-annotations page of an image set: filters, a paginated table, per-row actions, bulk delete
of the filtered rows and each annotation's history.

Every page needs ``read`` on the set (404 otherwise); deleting needs ``delete_annotation`` (403).
Nothing changes on a GET: deletes are POSTs that first answer a confirmation page and only act on a
second POST with ``confirm=1``. The bulk confirmation names the exact count; the confirming POST carries
that count (``expected``) and nothing is deleted when another number matches by then.
Each page is a fixed number of queries whatever the number of rows.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from images.models import ImageSet
from images.permissions import imageset_permissions

from . import bulk, services
from .attributes import summary
from .forms_manage import FILTER_FIELDS, AnnotationFilterForm, error_summary
from .models import Annotation, AnnotationHistory, AnnotationType, HistoryAction
from .permissions import annotation_permissions
from .selectors import vote_count

PER_PAGE = 50
CONTENT_LENGTH = 60
NO_DELETE = bulk.NO_DELETE


def _readable_set(user, set_id):
    """``(image_set, permissions)``; 404 when the set does not exist or ``user`` may not read it."""
    image_set = ImageSet.objects.select_related("team").filter(pk=set_id).first()
    permissions = imageset_permissions(user, image_set) if image_set is not None else frozenset()
    if "read" not in permissions:
        raise Http404("No such image set.")
    return image_set, permissions


def set_annotations(image_set):
    """The annotations of ``image_set`` with what the table shows and ``accepts``, ``rejects`` and
    ``score`` (accepts − rejects, which the score filters use), ordered by id."""
    return (
        Annotation.objects.filter(image__image_set=image_set)
        .select_related("image", "annotation_type", "user", "last_editor")
        .annotate(accepts=vote_count(True), rejects=vote_count(False))
        .annotate(score=F("accepts") - F("rejects"))
        .order_by("id")
    )


def _url_maker(name):
    """``make(id)`` for the URL ``annotations:<name>``: one ``reverse`` per page, not one per row."""
    before, _, after = reverse(f"annotations:{name}", args=[987654321]).partition("987654321")
    return lambda pk: f"{before}{pk}{after}"


def _vector_text(vector):
    """Compact JSON with the points in order (x1, y1, x2, y2, …), whatever order the database kept."""

    def order(key):
        index = key[1:]
        return (0, int(index), key[0]) if key[:1] in ("x", "y") and index.isdigit() else (1, 0, key)

    if isinstance(vector, dict):
        vector = {key: vector[key] for key in sorted(vector, key=lambda key: order(str(key)))}
    return json.dumps(vector, separators=(",", ":"))


def _content(annotation):
    if annotation.is_tag:
        return "Whole image (tag)"
    if annotation.vector is None:
        return "Not in image"
    text = _vector_text(annotation.vector)
    return text if len(text) <= CONTENT_LENGTH else text[: CONTENT_LENGTH - 1] + "…"


def _back_query(raw):
    """A filter query string from a form field, re-encoded (only the filter names and ``page``)."""
    params = QueryDict(raw or "")
    return urlencode([(name, params[name]) for name in (*FILTER_FIELDS, "page") if params.get(name)])


def _manage_url(image_set, query=""):
    url = reverse("annotations:manage_annotations", args=[image_set.pk])
    return f"{url}?{query}" if query else url


# --- the page ---------------------------------------------------------------------------------------


@login_required
@require_safe
def manage_annotations(request, set_id):
    image_set, permissions = _readable_set(request.user, set_id)
    form = AnnotationFilterForm(request.GET, image_set=image_set)
    valid = form.is_valid()
    rows, page, query_items = [], None, []
    if valid:
        query_items = form.query_items()
        paginator = Paginator(form.apply(set_annotations(image_set)), PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        annotate_url = _url_maker("annotate")
        verify_url = _url_maker("verify")
        back = urlencode([*query_items, ("page", page.number)])
        for annotation in page.object_list:
            granted = annotation_permissions(request.user, annotation, set_permissions=permissions)
            rows.append(
                {
                    "annotation": annotation,
                    "content": _content(annotation),
                    "attributes": summary(annotation.attributes or {}, annotation.annotation_type.attributes),
                    "image_url": annotate_url(annotation.image_id),
                    "edit_url": f"{annotate_url(annotation.image_id)}?{urlencode({'edit': annotation.pk})}",
                    "verify_url": verify_url(annotation.pk),
                    "permissions": granted,
                }
            )
    else:
        messages.error(request, error_summary(form))
        back = ""
    context = {
        "image_set": image_set,
        "permissions": permissions,
        "form": form,
        "valid": valid,
        "rows": rows,
        "page": page,
        "count": page.paginator.count if page is not None else 0,
        "filters": form.describe() if valid else [],
        "query_items": query_items,
        "page_query": urlencode(query_items),
        "back": back,
        "filtered": bool(query_items),
    }
    return render(request, "annotations/manage/manage.html", context, status=200 if valid else 400)


# --- bulk delete ------------------------------------------------------------------------------------


@login_required
@require_POST
def delete_annotations(request, set_id):
    image_set, permissions = _readable_set(request.user, set_id)
    if "delete_annotation" not in permissions:
        raise PermissionDenied(NO_DELETE)
    form = AnnotationFilterForm(request.POST, image_set=image_set)
    if not form.is_valid():
        messages.error(request, error_summary(form) + " Nothing was deleted.")
        raw = urlencode([(name, request.POST[name]) for name in FILTER_FIELDS if request.POST.get(name)])
        return redirect(_manage_url(image_set, raw))
    query_items = form.query_items()
    matching = form.apply(set_annotations(image_set))
    context = {"image_set": image_set, "form": form, "filters": form.describe(), "query_items": query_items}
    context["back_url"] = _manage_url(image_set, urlencode(query_items))
    if request.POST.get("confirm") != "1":
        context["count"] = matching.count()
        return render(request, "annotations/manage/bulk_delete_confirm.html", context)
    expected = request.POST.get("expected", "")
    if not expected.isdigit():
        messages.error(request, "Confirm the deletion on the confirmation page, which states the count.")
        return redirect(context["back_url"])
    try:
        deleted = bulk.delete_annotations(request.user, image_set, matching, expected_count=int(expected))
    except bulk.CountChanged as changed:
        messages.warning(request, changed.message)
        context["count"] = changed.found
        return render(request, "annotations/manage/bulk_delete_confirm.html", context, status=409)
    if deleted:
        messages.success(request, f"Deleted {deleted} annotation{'s' if deleted != 1 else ''} of {image_set.name}.")
    else:
        messages.info(request, "No annotation matched: nothing was deleted.")
    return redirect(context["back_url"])


# --- one annotation ---------------------------------------------------------------------------------


def _set_annotation(image_set, annotation_id):
    annotation = (
        Annotation.objects.filter(pk=annotation_id, image__image_set=image_set)
        .select_related("image", "annotation_type", "user", "last_editor")
        .first()
    )
    if annotation is None:
        raise Http404("No such annotation in this image set.")
    annotation.image.image_set = image_set
    return annotation


@login_required
@require_POST
def delete_annotation(request, set_id, annotation_id):
    image_set, permissions = _readable_set(request.user, set_id)
    annotation = _set_annotation(image_set, annotation_id)
    if "delete_annotation" not in annotation_permissions(request.user, annotation, set_permissions=permissions):
        raise PermissionDenied(NO_DELETE)
    back = _back_query(request.POST.get("back"))
    back_url = _manage_url(image_set, back)
    if request.POST.get("confirm") != "1":
        context = {
            "image_set": image_set,
            "annotation": annotation,
            "content": _content(annotation),
            "back": back,
            "back_url": back_url,
        }
        return render(request, "annotations/manage/delete_confirm.html", context)
    version = request.POST.get("version", "")
    try:
        services.delete_annotation(
            actor=request.user, annotation=annotation, expected_version=int(version) if version.isdigit() else None
        )
    except services.StaleVersion as stale:
        messages.warning(request, f"{stale.message} Nothing was deleted.")
    except ValidationError:
        messages.info(request, f"Annotation {annotation.pk} had already been deleted.")
    else:
        messages.success(request, f"Deleted annotation {annotation.pk} ({annotation.annotation_type.name}).")
    return redirect(back_url)


# --- history ----------------------------------------------------------------------------------------

SNAPSHOT_FIELDS = ("annotation_type", "vector", "concealed", "blurred", "origin", "version")


def _show(field, value, type_names):
    if field == "annotation_type":
        return type_names.get(value, f"type {value}")
    if field == "vector":
        return "not in image" if value is None else _vector_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _changes(entry, type_names):
    """``[(field, before, after)]``: every field for a create or delete, the changed ones otherwise."""
    before, after = entry.before or {}, entry.after or {}
    changes = []
    for field in SNAPSHOT_FIELDS:
        if field not in before and field not in after:
            continue
        old, new = before.get(field), after.get(field)
        if entry.action in (HistoryAction.UPDATE, HistoryAction.FLAGS) and old == new:
            continue
        changes.append(
            (
                field.replace("_", " "),
                _show(field, old, type_names) if field in before else None,
                _show(field, new, type_names) if field in after else None,
            )
        )
    return changes


@login_required
@require_safe
def annotation_history(request, set_id, annotation_uuid):
    image_set, permissions = _readable_set(request.user, set_id)
    entries = list(
        AnnotationHistory.objects.filter(annotation_uuid=annotation_uuid, image__image_set=image_set)
        .select_related("user")
        .order_by("time", "id")
    )
    annotation = Annotation.objects.filter(uuid=annotation_uuid, image__image_set=image_set).first()
    if not entries and annotation is None:
        raise Http404("No such annotation in this image set.")
    type_ids = {
        snap["annotation_type"]
        for entry in entries
        for snap in (entry.before, entry.after)
        if snap and "annotation_type" in snap
    }
    type_names = dict(AnnotationType.objects.filter(pk__in=type_ids).values_list("pk", "name"))
    context = {
        "image_set": image_set,
        "annotation": annotation,
        "annotation_uuid": annotation_uuid,
        "entries": [{"entry": entry, "changes": _changes(entry, type_names)} for entry in entries],
        "back_url": _manage_url(image_set, _back_query(request.GET.get("back"))),
    }
    return render(request, "annotations/manage/history.html", context)
