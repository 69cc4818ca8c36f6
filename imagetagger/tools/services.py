"""State changes of the tools exchange. Each raises ``PermissionDenied`` or ``ValidationError``, so
the HTML views and the API share them.

Files and rows: a new file is stored first (under a new generated name, ``storage.store``), then the
row is written in one transaction; if that fails, the new file is deleted again. A file that is
replaced, or whose tool is deleted, is removed only once the transaction has committed, so a
rolled-back change never loses a file.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from users.models import TeamMembership

from .models import Tool
from .permissions import tool_permissions
from .storage import clean_filename, delete_after_commit, delete_quietly, guess_content_type, store

NO_EDIT = "Only the tool's creator and the admins of its team may change this tool."
NO_DELETE = "Only the tool's creator, the admins of its team and site staff may delete this tool."
NOT_YOUR_TEAM = "You can only give a tool to one of your teams."
_UNCHANGED = object()


def check_upload(upload):
    """``(filename, size)`` of an acceptable upload; ValidationError on the ``file`` field otherwise."""
    if upload is None:
        raise ValidationError({"file": "Choose a file to upload."}, code="required")
    filename = clean_filename(getattr(upload, "name", ""))
    size = upload.size
    if not size:
        raise ValidationError({"file": "The file is empty."}, code="empty")
    limit = settings.TOOL_MAX_BYTES
    if size > limit:
        raise ValidationError(
            {"file": f"The file is too large ({filesizeformat(size)}); tools may be at most {filesizeformat(limit)}."},
            code="too_large",
        )
    return filename, size


def _check_team(actor, team, current_team_id=None):
    """A tool's team must be one of the actor's teams (keeping its current team is always allowed)."""
    if team is None or team.pk == current_team_id:
        return
    if not TeamMembership.objects.filter(team=team, user=actor).exists():
        raise ValidationError({"team": NOT_YOUR_TEAM}, code="not_member")


def _validate(tool):
    tool.name = (tool.name or "").strip()
    tool.description = tool.description or ""
    tool.full_clean(exclude=["file", "filename", "size", "content_type", "team", "creator"])


def _attach(tool, upload, filename, size):
    """Store ``upload`` under a new name and point ``tool`` at it; returns the stored name."""
    stored = store(upload, filename)
    tool.file, tool.filename, tool.size = stored, filename, size
    tool.content_type = guess_content_type(filename)
    return stored


def create_tool(*, actor, upload, name, description="", team=None, public=False):
    """Publish ``upload`` as a new tool of ``actor`` (any logged-in user; ``team`` one of theirs)."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("Log in to upload tools.")
    _check_team(actor, team)
    filename, size = check_upload(upload)
    tool = Tool(name=name, description=description, team=team, creator=actor, public=bool(public))
    _validate(tool)
    stored = _attach(tool, upload, filename, size)
    try:
        with transaction.atomic():
            tool.save()
    except BaseException:
        delete_quietly(stored)
        raise
    return tool


def _lock(tool):
    try:
        return Tool.objects.select_for_update().get(pk=tool.pk)
    except Tool.DoesNotExist:
        raise ValidationError("This tool no longer exists.", code="gone") from None


def update_tool(*, actor, tool, upload=None, team=_UNCHANGED, **changes):
    """Change ``name``, ``description``, ``public``, ``team`` and, with ``upload``, replace the file
    (``edit``). The old file is deleted once the change is committed."""
    unknown = set(changes) - {"name", "description", "public"}
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    stored = None
    try:
        with transaction.atomic():
            tool = _lock(tool)
            if "edit" not in tool_permissions(actor, tool):
                raise PermissionDenied(NO_EDIT)
            if team is not _UNCHANGED:
                _check_team(actor, team, tool.team_id)
                tool.team = team
            for field, value in changes.items():
                setattr(tool, field, value)
            tool.public = bool(tool.public)
            _validate(tool)
            old_file = tool.file
            if upload is not None:
                stored = _attach(tool, upload, *check_upload(upload))
            tool.save()
            if stored is not None:
                delete_after_commit(old_file)
    except BaseException:
        if stored is not None:
            delete_quietly(stored)
        raise
    return tool


@transaction.atomic
def delete_tool(*, actor, tool):
    """Delete the tool (``delete``); its file goes once that is committed (``signals``)."""
    tool = _lock(tool)
    if "delete" not in tool_permissions(actor, tool):
        raise PermissionDenied(NO_DELETE)
    tool.delete()
