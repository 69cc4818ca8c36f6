"""Message pages: the overview (unread, all, sent, announcements), the forms to write messages and
announcements, and the POST actions (mark read, mark all read, delete).

Every action answers with a redirect to the ``next`` parameter when it is a URL of this site,
otherwise to the overview; the ``Referer`` header is never used.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from base.feedback import flash_errors

from . import selectors, services
from .forms import AnnouncementForm, TeamMessageForm
from .models import Kind, Message
from .permissions import DELETE, READ, can_send_announcement, memberships_of, message_permissions


def _safe_next(request):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _back(request, default="tagger_messages:overview"):
    return redirect(_safe_next(request) or default)


# --- overview ---


@login_required
@require_safe
def overview(request, tab, hidden=False):
    """One view for every tab; ``urls.py`` passes ``tab`` and ``hidden``."""
    user = request.user
    now = timezone.now()
    memberships = memberships_of(user)
    is_team_admin = any(memberships.values())
    if tab == "unread":
        listing = selectors.inbox(user, unread_only=True, now=now)
    elif tab == "all":
        listing = selectors.inbox(user, now=now)
    elif tab == "sent":
        listing = selectors.sent(user, hidden=hidden, now=now)
    elif hidden:
        if not user.is_staff:
            raise PermissionDenied("Only staff see announcements that are not shown.")
        listing = selectors.hidden_announcements(user, now=now)
    else:
        listing = selectors.inbox(user, kind=Kind.ANNOUNCEMENT, now=now)
    page = Paginator(listing, settings.MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for message in rows:
        message.permissions = message_permissions(user, message, memberships=memberships, now=now)
        message.shown = message.is_in_range(now)
    return render(
        request,
        "tagger_messages/overview.html",
        {
            "tab": tab,
            "hidden": hidden,
            "page": page,
            "message_list": rows,
            "is_team_admin": is_team_admin,
            "can_announce": can_send_announcement(user),
            "has_unread": not hidden and tab != "sent" and any(not m.is_read for m in rows),
        },
    )


# --- writing ---


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def send_team_message(request):
    form = TeamMessageForm(request.POST if request.method == "POST" else None, user=request.user)
    if not form.fields["team"].queryset.exists():
        raise PermissionDenied("Only team admins write messages, and you administer no team.")
    return _send(
        request,
        form,
        services.send_team_message,
        heading="New team message",
        sent=lambda message: f"Message “{message.title}” sent to {message.team.name}.",
        then="tagger_messages:overview_sent",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def send_global_message(request):
    if not can_send_announcement(request.user):
        raise PermissionDenied("Only staff write announcements.")
    return _send(
        request,
        AnnouncementForm(request.POST if request.method == "POST" else None),
        services.send_announcement,
        heading="New announcement",
        sent=lambda message: f"Announcement “{message.title}” published.",
        then="tagger_messages:overview_global",
    )


def _send(request, form, service, *, heading, sent, then):
    """The form page of a message; a valid POST hands the form's fields to ``service``."""
    if request.method == "POST" and form.is_valid():
        try:
            message = service(sender=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, sent(message))
            return _back(request, then)
    back = _safe_next(request)
    return render(
        request,
        "tagger_messages/send.html",
        {"form": form, "heading": heading, "next": back, "cancel_url": back or reverse("tagger_messages:overview")},
        status=400 if form.errors else 200,
    )


# --- actions ---


def _message_or_404(request, message_id):
    """The message and the caller's rights on it; 404 if the caller may neither read nor delete it."""
    message = get_object_or_404(Message.objects.select_related("team"), pk=message_id)
    rights = message_permissions(request.user, message)
    if not rights:
        raise Http404("No such message.")
    return message, rights


@login_required
@require_POST
def read_message(request, message_id):
    message, rights = _message_or_404(request, message_id)
    if READ not in rights:
        raise Http404("No such message.")
    services.mark_read(user=request.user, message=message)
    return _back(request)


@login_required
@require_POST
def read_all_messages(request):
    """Mark everything shown as read; ``kind`` (team / announcement) limits it to one kind."""
    try:
        count = services.mark_all_read(user=request.user, kind=request.POST.get("kind") or None)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"{count} message{'s' if count != 1 else ''} marked as read.")
    return _back(request)


@login_required
@require_POST
def read_all_announcements(request):
    count = services.mark_all_read(user=request.user, kind=Kind.ANNOUNCEMENT)
    messages.success(request, f"{count} announcement{'s' if count != 1 else ''} marked as read.")
    return _back(request)


@login_required
@require_POST
def delete_message(request, message_id):
    message, rights = _message_or_404(request, message_id)
    if DELETE not in rights:
        raise PermissionDenied("Only the message's writer, its team's admins and staff may delete it.")
    services.delete_message(actor=request.user, message=message)
    messages.success(request, f"Message “{message.title}” deleted.")
    return _back(request)
