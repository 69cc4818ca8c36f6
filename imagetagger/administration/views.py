"""Staff pages for annotation types: list, create, edit, (de)activate, delete unused, box → polygon.

Anonymous visitors are sent to the login page, logged-in non-staff get 403. Every state change is a
POST (GET answers 405 or shows a confirmation page); the rules live in ``annotations.types``.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotations import types
from annotations.models import AnnotationType, VectorType
from annotations.permissions import may_manage_annotation_types
from base.feedback import add_errors, flash_errors

from .forms import AnnotationTypeCreateForm, AnnotationTypeEditForm
from .selectors import annotation_types_with_counts


def staff_required(view):
    """Login first (anonymous → login page), then staff only (others → 403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_manage_annotation_types(request.user):
            raise PermissionDenied("Only site staff may manage annotation types.")
        return view(request, *args, **kwargs)

    return wrapper


def _type_or_404(type_id):
    return get_object_or_404(annotation_types_with_counts(), pk=type_id)


def _list_page(request, form):
    return render(
        request,
        "administration/annotation_types.html",
        {"annotation_types": list(annotation_types_with_counts()), "form": form},
        status=400 if form.errors else 200,
    )


def _type_page(request, annotation_type, form):
    return render(
        request,
        "administration/annotation_type.html",
        {
            "annotation_types": list(annotation_types_with_counts()),
            "annotation_type": annotation_type,
            "form": form,
            "is_box": annotation_type.vector_type == VectorType.BOUNDING_BOX,
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_GET
def annotation_types(request):
    return _list_page(request, AnnotationTypeCreateForm())


@staff_required
@require_http_methods(["GET", "POST"])
def create_annotation_type(request):
    form = AnnotationTypeCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            annotation_type = types.create_type(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Annotation type “{annotation_type.name}” created.")
            return redirect("administration:annotation_type", annotation_type.pk)
    return _list_page(request, form)


@staff_required
@require_GET
def annotation_type(request, type_id):
    annotation_type = _type_or_404(type_id)
    return _type_page(request, annotation_type, AnnotationTypeEditForm(annotation_type=annotation_type))


@staff_required
@require_POST
def edit_annotation_type(request, type_id):
    annotation_type = _type_or_404(type_id)
    form = AnnotationTypeEditForm(request.POST, annotation_type=annotation_type)
    if form.is_valid():
        fields = {key: form.cleaned_data[key] for key in ("name", "active", "enable_concealed", "enable_blurred")}
        try:
            updated = types.update_type(actor=request.user, annotation_type=annotation_type, **fields)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Annotation type “{updated.name}” saved.")
            return redirect("administration:annotation_type", updated.pk)
    return _type_page(request, annotation_type, form)


def _switch(request, type_id, service, done):
    annotation_type = get_object_or_404(AnnotationType, pk=type_id)
    try:
        annotation_type = service(actor=request.user, annotation_type=annotation_type)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, done.format(name=annotation_type.name))
    return redirect("administration:annotation_type", type_id)


@staff_required
@require_POST
def activate_annotation_type(request, type_id):
    return _switch(request, type_id, types.activate_type, "“{name}” is active: annotators can use it again.")


@staff_required
@require_POST
def deactivate_annotation_type(request, type_id):
    return _switch(
        request,
        type_id,
        types.deactivate_type,
        "“{name}” is inactive: it is hidden from the tools, lists and APIs; its annotations are kept.",
    )


@staff_required
@require_http_methods(["GET", "POST"])
def delete_annotation_type(request, type_id):
    """GET: confirmation (or why a used type cannot be deleted); POST: delete an unused type."""
    annotation_type = _type_or_404(type_id)
    error = None
    if request.method == "POST":
        try:
            types.delete_type(actor=request.user, annotation_type=annotation_type)
        except ValidationError as refused:
            error = refused
        else:
            messages.success(request, f"Annotation type “{annotation_type.name}” deleted.")
            return redirect("administration:index")
    return render(
        request,
        "administration/delete.html",
        {"annotation_type": annotation_type, "errors": error.messages if error else []},
        status=400 if error else 200,
    )


def _migrate(request, type_id, node_count):
    """GET: what the migration will do and lose; POST: do it."""
    annotation_type = _type_or_404(type_id)
    error = None
    if annotation_type.vector_type != VectorType.BOUNDING_BOX:
        error = ValidationError(
            f"Only bounding-box types can be migrated to polygons; “{annotation_type.name}” is a "
            f"{annotation_type.get_vector_type_display().lower()} type."
        )
    elif request.method == "POST":
        try:
            result = types.migrate_boxes_to_polygons(
                actor=request.user, annotation_type=annotation_type, node_count=node_count
            )
        except ValidationError as refused:
            error = refused
        else:
            messages.success(
                request,
                f"“{annotation_type.name}” is now a polygon type: {result.annotations} annotation(s) converted, "
                f"{result.votes} vote(s) deleted, {result.points} point(s) taken from {result.users} user(s).",
            )
            return redirect("administration:annotation_type", type_id)
    return render(
        request,
        "administration/migrate.html",
        {
            "annotation_type": annotation_type,
            "node_count": node_count,
            "preview": None if error else types.migration_preview(annotation_type),
            "errors": error.messages if error else [],
        },
        status=400 if error else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def migrate_bbt0p(request, type_id):
    return _migrate(request, type_id, 0)


@staff_required
@require_http_methods(["GET", "POST"])
def migrate_bbt4p(request, type_id):
    return _migrate(request, type_id, 4)
