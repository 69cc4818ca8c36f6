"""HTML pages for image sets: create, the set page, edit, delete, set free, pin, tags, image deletion
and explore. Every page asks ``imageset_permissions``: a set the caller may not read answers 404, an
action they may not do 403 with the reason."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models.functions import Lower
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotations.models import AnnotationType
from annotations.permissions import type_owners_of_set
from annotations.selectors import types_usable_in_set
from base.feedback import add_errors, flash_errors
from users.models import Team

from . import selectors, services
from .forms import ImageFilterForm, ImageSelectionForm, ImageSetCreateForm, ImageSetEditForm, SetTypesForm, TagForm
from .models import ImageSet
from .permissions import imageset_permissions

NO_EDIT = "Only members of the set's team may change this image set."
NO_DELETE = (
    "Only team admins and the set's creator may delete an image set; once it has been set free, only site staff."
)
NO_SET_FREE = "Only team admins and the set's creator may set an image set free."
NO_DELETE_IMAGES = "Only team admins and the set's creator may delete images."
LOCKED = "This image set is locked: no images can be added or deleted until a team admin unlocks it."


def _readable_set(user, set_id, queryset=None):
    """``(image_set, permissions)``; 404 when the set does not exist or ``user`` may not read it."""
    queryset = ImageSet.objects.select_related("team") if queryset is None else queryset
    image_set = queryset.filter(pk=set_id).first()
    if image_set is None:
        raise Http404("No such image set.")
    permissions = imageset_permissions(user, image_set)
    if "read" not in permissions:
        raise Http404("No such image set.")
    return image_set, permissions


def types_it_may_use(image_set):
    """The active types ``image_set`` may choose from: the site's and those of its (creating) team."""
    owners = type_owners_of_set(image_set)
    return AnnotationType.objects.active().usable_by_teams(owners).select_related("team").in_schema_order()


def _require(permissions, permission, reason):
    if permission not in permissions:
        raise PermissionDenied(reason)


def _query_without_page(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- create -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def create_imageset(request):
    teams = Team.objects.filter(memberships__user=request.user).order_by(Lower("name"), "id")
    initial = {}
    team_id = request.GET.get("team", "")
    if team_id.isdigit():
        initial["team"] = next((team for team in teams if str(team.pk) == team_id), None)
    form = ImageSetCreateForm(request.POST if request.method == "POST" else None, teams=teams, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            image_set = services.create_imageset(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Image set {image_set.name} created. Upload images to it below.")
            return redirect(image_set)
    return render(
        request,
        "images/imageset_create.html",
        {"form": form, "has_team": bool(teams)},
        status=400 if form.errors else 200,
    )


# --- the set page -------------------------------------------------------------------------------


@login_required
@require_safe
def view_imageset(request, set_id):
    image_set, permissions = _readable_set(request.user, set_id, selectors.imageset_for_page())
    set_types = list(types_usable_in_set(image_set))
    people = list(get_user_model().objects.filter(team_memberships__team_id=image_set.team_id).order_by("username"))
    filter_form = ImageFilterForm(request.GET, types=set_types, people=people)
    filters = filter_form.filters()
    images = selectors.filtered_images(selectors.set_images(image_set), filters)
    paginator = Paginator(images, selectors.IMAGES_PER_PAGE)
    # Unfiltered: the maintained count, not a COUNT(*) over up to 100,000 rows; the page itself is an
    # index range of (image_set, name, id). Filtered: one COUNT of the matching images.
    if not filters:
        paginator.count = image_set.image_count
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "images/imageset.html",
        {
            "image_set": image_set,
            "permissions": permissions,
            "tags": list(image_set.set_tags.all()),
            "image_count": image_set.image_count,
            "shown_count": paginator.count,
            "filter_form": filter_form,
            "filters": filters,
            "page": page,
            "images": list(page.object_list),
            "page_query": _query_without_page(request),
            "pinned": selectors.is_pinned(image_set, request.user),
            "set_types": set_types,
        },
    )


@login_required
@require_POST
def pin_imageset(request, set_id):
    image_set, permissions = _readable_set(request.user, set_id)
    _require(permissions, "pin", "You may not pin this image set.")
    wanted = request.POST.get("pinned")
    pinned = wanted == "1" if wanted in ("0", "1") else not selectors.is_pinned(image_set, request.user)
    services.set_pinned(actor=request.user, image_set=image_set, pinned=pinned)
    if pinned:
        messages.success(request, f"{image_set.name} is pinned to your home page.")
    else:
        messages.success(request, f"{image_set.name} is no longer pinned to your home page.")
    return redirect(image_set)


# --- edit, delete, set free ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_imageset(request, set_id):
    image_set, permissions = _readable_set(request.user, set_id)
    _require(permissions, "edit_set", NO_EDIT)
    data = request.POST if request.method == "POST" else None
    form = ImageSetEditForm(data, image_set=image_set, can_manage="manage_set" in permissions)
    types_form = SetTypesForm(data, image_set=image_set, usable_types=types_it_may_use(image_set))
    if request.method == "POST" and all([form.is_valid(), types_form.is_valid()]):
        try:
            with transaction.atomic():
                services.update_imageset(actor=request.user, image_set=image_set, **form.cleaned_data)
                services.set_annotation_types(
                    actor=request.user,
                    image_set=image_set,
                    annotation_types=types_form.cleaned_data["annotation_types"],
                )
        except ValidationError as error:
            if "annotation_types" in getattr(error, "error_dict", {}):
                add_errors(types_form, error)
            else:
                add_errors(form, error)
        else:
            messages.success(request, "The image set has been saved.")
            return redirect(image_set)
    return render(
        request,
        "images/imageset_edit.html",
        {"form": form, "types_form": types_form, "image_set": image_set, "permissions": permissions},
        status=400 if form.errors or types_form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_imageset(request, set_id):
    image_set, permissions = _readable_set(request.user, set_id)
    _require(permissions, "delete_set", NO_DELETE)
    if request.method in ("GET", "HEAD"):
        image_count = image_set.image_count
        return render(request, "images/imageset_delete.html", {"image_set": image_set, "image_count": image_count})
    team = image_set.team
    try:
        services.delete_imageset(actor=request.user, image_set=image_set)
    except ValidationError as error:
        flash_errors(request, error)
        return redirect("base:home")
    messages.success(request, f"The image set {image_set.name} and its images have been deleted.")
    return redirect(team if team is not None else "base:home")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def set_free_imageset(request, set_id):
    image_set, permissions = _readable_set(request.user, set_id)
    _require(permissions, "delete_set", NO_SET_FREE)
    if image_set.team_id is None:
        messages.info(request, "This image set is free already: it belongs to no team.")
        return redirect(image_set)
    if request.method in ("GET", "HEAD"):
        return render(request, "images/imageset_setfree.html", {"image_set": image_set})
    team = image_set.team
    try:
        services.set_free(actor=request.user, image_set=image_set)
    except ValidationError as error:
        flash_errors(request, error)
        return redirect(image_set)
    messages.success(
        request, f"{image_set.name} is free now: it no longer belongs to {team.name}, and it is public and locked."
    )
    return redirect(image_set)


# --- tags ---------------------------------------------------------------------------------------


def _tags_anchor(image_set):
    return redirect(image_set.get_absolute_url() + "#tags")


@login_required
@require_POST
def add_tag(request, set_id):
    image_set, permissions = _readable_set(request.user, set_id)
    _require(permissions, "edit_set", NO_EDIT)
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a tag name of at most 100 characters.")
        return _tags_anchor(image_set)
    try:
        tag, added = services.add_tag(actor=request.user, image_set=image_set, name=form.cleaned_data["name"])
    except ValidationError as error:
        flash_errors(request, error)
    else:
        if added:
            messages.success(request, f"Added the tag “{tag.name}”.")
        else:
            messages.info(request, f"The set has the tag “{tag.name}” already.")
    return _tags_anchor(image_set)


@login_required
@require_POST
def remove_tag(request, set_id):
    image_set, permissions = _readable_set(request.user, set_id)
    _require(permissions, "edit_set", NO_EDIT)
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say which tag to remove.")
        return _tags_anchor(image_set)
    try:
        services.remove_tag(actor=request.user, image_set=image_set, name=form.cleaned_data["name"])
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Removed the tag “{form.cleaned_data['name']}”.")
    return _tags_anchor(image_set)


@login_required
@require_safe
def tag_autocomplete(request):
    query = request.GET.get("q", "")[:100]
    names = selectors.tag_suggestions(request.user, query, settings.AUTOCOMPLETE_LIMIT)
    return JsonResponse({"query": query, "suggestions": names})


# --- deleting images ----------------------------------------------------------------------------


@login_required
@require_POST
def delete_images(request, set_id):
    """Two steps: the selected ids → a confirmation page with the count; with ``confirm=1`` → delete."""
    image_set, permissions = _readable_set(request.user, set_id)
    if "delete_images" not in permissions and image_set.image_lock and "manage_set" in permissions:
        raise PermissionDenied(LOCKED)
    _require(permissions, "delete_images", NO_DELETE_IMAGES)
    back = image_set.get_absolute_url()
    page = request.POST.get("page", "")
    if page.isdigit():
        back += "?" + urlencode({"page": page})
    form = ImageSelectionForm(request.POST)
    if not form.is_valid():
        if not form.raw_ids:
            messages.error(request, "Select at least one image to delete.")
            return redirect(back)
        context = {"image_set": image_set, "errors": form.non_field_errors(), "back": back}
        return render(request, "images/imageset_images_delete.html", context, status=400)
    image_ids = form.cleaned_data["image_ids"]
    images = list(selectors.set_images(image_set).filter(pk__in=image_ids))
    if len(images) != len(image_ids):
        errors = ["Some of the selected images do not exist (any more) or are not in this set."]
        context = {"image_set": image_set, "errors": errors, "back": back}
        return render(request, "images/imageset_images_delete.html", context, status=400)
    if not form.cleaned_data["confirm"]:
        context = {"image_set": image_set, "images": images, "count": len(images), "back": back, "page": page}
        return render(request, "images/imageset_images_delete.html", context)
    try:
        count = services.delete_images(actor=request.user, image_set=image_set, image_ids=image_ids)
    except ValidationError as error:
        flash_errors(request, error)
        return redirect(back)
    messages.success(request, f"Deleted {count} image{'s' if count != 1 else ''}.")
    return redirect(back)


# --- explore ------------------------------------------------------------------------------------


@login_required
@require_safe
def explore_imageset(request):
    query = request.GET.get("query", "").strip()
    tags = selectors.parse_tags(request.GET.get("tags", ""))
    paginator = Paginator(selectors.explore_sets(request.user, query=query, tags=tags), selectors.SETS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "images/explore.html",
        {
            "query": query,
            "tags": ", ".join(tags),
            "page": page,
            "sets": list(page.object_list),
            "page_query": _query_without_page(request),
        },
    )
