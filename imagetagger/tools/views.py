"""HTML pages of the tools exchange: overview, upload, edit, delete (with confirmation) and download.

Every page answers 404 while ``IT_TOOLS_ENABLED`` is off (checked on each request), asks
``tool_permissions`` for the tool, answers 404 for tools the caller may not read and 403 with the
reason for actions they may not do.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from base.feedback import flash_errors

from . import selectors, services
from .forms import ToolForm
from .models import Tool
from .permissions import tool_permissions


def tools_enabled(view):
    """404 while the tools exchange is switched off (read on each request, not at import)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.TOOLS_ENABLED:
            raise Http404("The tools exchange is switched off.")
        return view(request, *args, **kwargs)

    return wrapper


def readable_tool(user, tool_id):
    """``(tool, rights)``; 404 when the tool does not exist or ``user`` may not read it."""
    try:
        tool = Tool.objects.select_related("team", "creator").filter(pk=int(tool_id)).first()
    except (TypeError, ValueError, OverflowError):
        tool = None
    rights = tool_permissions(user, tool) if tool is not None else frozenset()
    if "read" not in rights:
        raise Http404("No such tool.")
    return tool, rights


def _require(rights, right, reason):
    if right not in rights:
        raise PermissionDenied(reason)


def _tool_form(request, tool=None):
    """The upload page (``tool`` None) or the edit page of ``tool``; both call a service on POST."""
    posted = request.method == "POST"
    teams = selectors.teams_for_tool(request.user, tool)
    form = ToolForm(request.POST if posted else None, request.FILES if posted else None, teams=teams, tool=tool)
    if posted and form.is_valid():
        fields = dict(form.cleaned_data, upload=form.cleaned_data["file"])
        del fields["file"]
        try:
            if tool is None:
                saved = services.create_tool(actor=request.user, **fields)
            else:
                saved = services.update_tool(actor=request.user, tool=tool, **fields)
        except ValidationError as error:
            # Every field a service names is a field of the form.
            form.add_error(None, error)
        else:
            done = "uploaded" if tool is None else "saved"
            messages.success(request, f"The tool {saved.name} has been {done}.")
            return redirect(saved)
    return render(
        request,
        "tools/tool_form.html",
        # Operator-provided HTML (IT_TOOL_UPLOAD_NOTICE), shown as it is, like the original.
        {"form": form, "notice": mark_safe(settings.TOOL_UPLOAD_NOTICE), "tool": tool},
        status=400 if form.errors else 200,
    )


@tools_enabled
@login_required
@require_safe
def overview(request):
    return render(request, "tools/overview.html", {"tools": selectors.tools_with_permissions(request.user)})


@tools_enabled
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def create(request):
    return _tool_form(request)


@tools_enabled
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request, tool_id):
    tool, rights = readable_tool(request.user, tool_id)
    _require(rights, "edit", services.NO_EDIT)
    return _tool_form(request, tool)


@tools_enabled
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request, tool_id):
    tool, rights = readable_tool(request.user, tool_id)
    _require(rights, "delete", services.NO_DELETE)
    if request.method in ("GET", "HEAD"):
        return render(request, "tools/tool_delete.html", {"tool": tool})
    try:
        services.delete_tool(actor=request.user, tool=tool)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"The tool {tool.name} has been deleted.")
    return redirect("tools:overview")


def serve(tool):
    """The tool's file as a streamed attachment with its name safely quoted (RFC 6266/5987)."""
    try:
        handle = default_storage.open(tool.file, "rb")
    except FileNotFoundError:
        raise Http404("The file of this tool is missing.") from None
    response = FileResponse(handle, as_attachment=True, filename=tool.filename, content_type=tool.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway: no scripts, no requests, its own origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if "Content-Length" not in response:
        response["Content-Length"] = str(tool.size)
    return response


@tools_enabled
@never_cache
@login_required
@require_safe
def download(request, tool_id):
    tool, rights = readable_tool(request.user, tool_id)
    _require(rights, "download", "You may not download this tool.")
    return serve(tool)
