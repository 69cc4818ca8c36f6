from django import template
from django.utils import timezone

from .. import selectors
from ..models import Kind
from ..permissions import memberships_of, message_permissions

register = template.Library()

HOME_ANNOUNCEMENTS = 5


@register.inclusion_tag("tagger_messages/includes/home_announcements.html", takes_context=True)
def unread_announcements(context):
    """The unread announcements shown on top of the home page until they are marked read."""
    request = context["request"]
    user = request.user
    now = timezone.now()
    rows = list(selectors.inbox(user, unread_only=True, kind=Kind.ANNOUNCEMENT, now=now)[: HOME_ANNOUNCEMENTS + 1])
    if rows:
        memberships = memberships_of(user)
        for message in rows:
            message.permissions = message_permissions(user, message, memberships=memberships, now=now)
            message.shown = True
    return {
        "announcements": rows[:HOME_ANNOUNCEMENTS],
        "more": len(rows) > HOME_ANNOUNCEMENTS,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
        "user": user,
    }
