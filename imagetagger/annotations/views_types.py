"""The pages that define label types: a team's ("Label types" on the team page, under
``/users/team/<id>/types/``) and, through the same code, the site's (staff, ``administration``).

Who sees what (``annotation_type_permissions`` / ``team_permissions``):
- a team's types: its members read the list (read-only), its admins (``manage_annotation_types``) create,
  edit, (de)activate and delete them; anybody else gets 404, staff included (a team's schema is the team's);
- site types: staff only (the ``administration`` views check it first).
Every change is a POST through ``annotations.types``; a refused change shows its reason on the form.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from base.feedback import add_errors, flash_errors
from users.models import Team, TeamMembership
from users.permissions import team_permissions

from . import types
from .forms_types import AnnotationTypeForm, attribute_overview, type_label
from .models import AnnotationType, VectorType

NO_MANAGE = "Only the team's admins may change its label types."


@dataclass
class Scope:
    """Whose types a page shows: a team's (``team``) or the site's (``team`` None), and the URL names."""

    team: Team | None
    can_manage: bool

    @property
    def is_site(self):
        return self.team is None

    @property
    def noun(self):
        return "Annotation type" if self.team is None else "Label type"

    @property
    def title(self):
        return "Site annotation types" if self.team is None else f"Label types of {self.team.name}"

    def url(self, name, annotation_type=None):
        """``name`` is one of index, create, view, edit, activate, deactivate, delete."""
        if self.team is None:
            names = {
                "index": "index",
                "create": "create_annotation_type",
                "view": "annotation_type",
                "edit": "edit_annotation_type",
                "activate": "activate_annotation_type",
                "deactivate": "deactivate_annotation_type",
                "delete": "delete_annotation_type",
            }
            args = [annotation_type.pk] if annotation_type is not None else []
            return reverse(f"administration:{names[name]}", args=args)
        args = [self.team.pk] + ([annotation_type.pk] if annotation_type is not None else [])
        return reverse(f"users:team_types_{'edit' if name == 'view' else name}", args=args)

    def types(self):
        """The owner's types (active or not) in schema order, with ``annotation_count`` and
        ``not_in_image_count``. One query."""
        owned = AnnotationType.objects.filter(team=self.team) if self.team else AnnotationType.objects.site()
        return owned.annotate(
            annotation_count=Count("annotations"),
            not_in_image_count=Count(
                "annotations",
                filter=Q(annotations__vector__isnull=True) & ~Q(vector_type=VectorType.TAG),
            ),
        ).in_schema_order()

    def type_or_404(self, type_id):
        return get_object_or_404(self.types(), pk=type_id)


def team_scope(user, team_id):
    """The scope of a team's type pages for ``user``; 404 for anybody who is not a member."""
    team = get_object_or_404(Team, pk=team_id)
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    if membership is None:
        raise Http404("No such team.")
    permissions = team_permissions(user, team, membership=membership, has_admin=True)
    return Scope(team=team, can_manage="manage_annotation_types" in permissions)


def _require_manage(scope):
    if not scope.can_manage:
        raise PermissionDenied(NO_MANAGE)


def _url_maker(scope, name):
    """``make(type)`` for one of the scope's per-type URLs: one ``reverse`` per page, not one per row."""
    before, _, after = scope.url(name, AnnotationType(pk=987654321)).partition("987654321")
    return lambda annotation_type: f"{before}{annotation_type.pk}{after}"


def _rows(scope, annotation_types):
    edit, activate, deactivate, delete = (
        _url_maker(scope, name) for name in ("view", "activate", "deactivate", "delete")
    )
    return [
        {
            "type": annotation_type,
            "shape": type_label(annotation_type),
            "attributes": attribute_overview(annotation_type),
            "edit_url": edit(annotation_type),
            "switch_url": (deactivate if annotation_type.active else activate)(annotation_type),
            "delete_url": delete(annotation_type),
        }
        for annotation_type in annotation_types
    ]


def _urls(scope, annotation_type=None):
    urls = {"index": scope.url("index"), "create": scope.url("create")}
    if annotation_type is not None:
        urls["view"] = scope.url("view", annotation_type)
        urls["delete"] = scope.url("delete", annotation_type)
        urls["switch"] = scope.url("deactivate" if annotation_type.active else "activate", annotation_type)
    return urls


def _form_page(request, scope, form, annotation_type=None, extra=None):
    context = {
        "scope": scope,
        "form": form,
        "annotation_type": annotation_type,
        "urls": _urls(scope, annotation_type),
        "action": scope.url("edit", annotation_type) if annotation_type else scope.url("create"),
        **(extra or {}),
    }
    return render(request, "annotations/types/type.html", context, status=400 if form.errors else 200)


# --- shared handlers (the team's views below, the staff's in administration.views) ----------------------


def list_page(request, scope, *, template="annotations/types/list.html", extra=None):
    annotation_types = list(scope.types())
    context = {
        "scope": scope,
        "annotation_types": annotation_types,
        "rows": _rows(scope, annotation_types),
        "urls": _urls(scope),
        **(extra or {}),
    }
    return render(request, template, context)


def create_page(request, scope):
    _require_manage(scope)
    used = AnnotationType.objects.filter(team=scope.team).values_list("color", flat=True)
    form = AnnotationTypeForm(request.POST if request.method == "POST" else None, used_colors=list(used))
    if request.method == "POST" and form.is_valid():
        try:
            created = types.create_type(actor=request.user, team=scope.team, **form.create_arguments())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{scope.noun} “{created.name}” created.")
            return redirect(scope.url("view", created))
    return _form_page(request, scope, form)


def edit_page(request, scope, type_id, *, extra=None):
    _require_manage(scope)
    annotation_type = scope.type_or_404(type_id)
    form = AnnotationTypeForm(request.POST if request.method == "POST" else None, annotation_type=annotation_type)
    if request.method == "POST" and form.is_valid():
        try:
            updated = types.update_type(actor=request.user, annotation_type=annotation_type, **form.update_arguments())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{scope.noun} “{updated.name}” saved.")
            return redirect(scope.url("view", updated))
    return _form_page(request, scope, form, annotation_type, extra)


def switch(request, scope, type_id, *, active):
    _require_manage(scope)
    annotation_type = scope.type_or_404(type_id)
    service = types.activate_type if active else types.deactivate_type
    try:
        annotation_type = service(actor=request.user, annotation_type=annotation_type)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        if active:
            messages.success(request, f"“{annotation_type.name}” is active: annotators can use it again.")
        else:
            messages.success(
                request,
                f"“{annotation_type.name}” is inactive: it is hidden from the tools, lists and APIs; "
                "its annotations are kept.",
            )
    return redirect(scope.url("index") if request.POST.get("next") == "index" else scope.url("view", annotation_type))


def delete_page(request, scope, type_id):
    """GET: confirmation stating the count (or why a used type cannot be deleted); POST: delete it."""
    _require_manage(scope)
    annotation_type = scope.type_or_404(type_id)
    error = None
    if request.method == "POST":
        try:
            types.delete_type(actor=request.user, annotation_type=annotation_type)
        except ValidationError as refused:
            error = refused
        else:
            messages.success(request, f"{scope.noun} “{annotation_type.name}” deleted.")
            return redirect(scope.url("index"))
    return render(
        request,
        "annotations/types/delete.html",
        {
            "scope": scope,
            "annotation_type": annotation_type,
            "urls": _urls(scope, annotation_type),
            "errors": error.messages if error else [],
        },
        status=400 if error else 200,
    )


# --- the team's pages -------------------------------------------------------------------------------


@login_required
@require_safe
def team_types(request, team_id):
    site_types = list(AnnotationType.objects.site().active().in_schema_order())
    return list_page(request, team_scope(request.user, team_id), extra={"site_types": site_types})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_type_create(request, team_id):
    return create_page(request, team_scope(request.user, team_id))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_type_edit(request, team_id, type_id):
    return edit_page(request, team_scope(request.user, team_id), type_id)


@login_required
@require_POST
def team_type_activate(request, team_id, type_id):
    return switch(request, team_scope(request.user, team_id), type_id, active=True)


@login_required
@require_POST
def team_type_deactivate(request, team_id, type_id):
    return switch(request, team_scope(request.user, team_id), type_id, active=False)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_type_delete(request, team_id, type_id):
    return delete_page(request, team_scope(request.user, team_id), type_id)
