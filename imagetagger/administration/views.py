"""Staff pages for site annotation types (those of no team): list, create, edit, (de)activate, delete
unused, box → polygon. The pages are the team's label-type pages (``annotations.views_types``) on the
site's types; the box → polygon migration is the staff's own.

Anonymous visitors are sent to the login page, logged-in non-staff get 403. Every state change is a
POST (GET answers 405 or shows a confirmation page); the rules live in ``annotations.types``.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotations import types, views_types
from annotations.models import VectorType
from annotations.permissions import may_manage_annotation_types


def staff_required(view):
    """Login first (anonymous → login page), then staff only (others → 403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_manage_annotation_types(request.user):
            raise PermissionDenied("Only site staff may manage annotation types.")
        return view(request, *args, **kwargs)

    return wrapper


def _scope():
    return views_types.Scope(team=None, can_manage=True)


def _type_or_404(type_id):
    return _scope().type_or_404(type_id)


@staff_required
@require_safe
def annotation_types(request):
    return views_types.list_page(request, _scope())


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def create_annotation_type(request):
    return views_types.create_page(request, _scope())


@staff_required
@require_safe
def annotation_type(request, type_id):
    return views_types.edit_page(request, _scope(), type_id)


@staff_required
@require_POST
def edit_annotation_type(request, type_id):
    return views_types.edit_page(request, _scope(), type_id)


@staff_required
@require_POST
def activate_annotation_type(request, type_id):
    return views_types.switch(request, _scope(), type_id, active=True)


@staff_required
@require_POST
def deactivate_annotation_type(request, type_id):
    return views_types.switch(request, _scope(), type_id, active=False)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_annotation_type(request, type_id):
    """GET: confirmation (or why a used type cannot be deleted); POST: delete an unused type."""
    return views_types.delete_page(request, _scope(), type_id)


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
@require_http_methods(["GET", "HEAD", "POST"])
def migrate_bbt0p(request, type_id):
    return _migrate(request, type_id, 0)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def migrate_bbt4p(request, type_id):
    return _migrate(request, type_id, 4)
