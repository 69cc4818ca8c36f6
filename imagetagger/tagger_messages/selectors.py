"""Reads for messages, each a fixed number of queries whatever the number of messages."""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from users.models import TeamMembership

from .models import Audience, Kind, Message, MessageRead


def addressed_to(user):
    """A filter for the messages addressed to ``user``, whether in range or not.

    Team messages of the user's teams (``admins`` ones only where the user is an admin), and the
    announcements for everybody, for team admins (if the user administers a team), for staff
    (staff see every announcement).
    """
    memberships = TeamMembership.objects.filter(user=user)
    # Only team messages have a team (a constraint), so no "kind" test here: the database then finds
    # them by the (team, expire_time) index.
    team_messages = Q(audience=Audience.ALL, team_id__in=memberships.values("team_id")) | Q(
        audience=Audience.ADMINS, team_id__in=memberships.filter(is_admin=True).values("team_id")
    )
    if user.is_staff:
        announcements = Q(kind=Kind.ANNOUNCEMENT)
    else:
        announcements = Q(kind=Kind.ANNOUNCEMENT) & (
            Q(audience=Audience.ALL) | (Q(audience=Audience.ADMINS) & Exists(memberships.filter(is_admin=True)))
        )
    return team_messages | announcements


def _read_by(user):
    return Exists(MessageRead.objects.filter(message=OuterRef("pk"), user=user))


def with_read_state(messages, user):
    """With ``is_read`` (for ``user``), the creator and the team, newest first."""
    return messages.annotate(is_read=_read_by(user)).select_related("creator", "team").order_by("-start_time", "-id")


def inbox(user, *, unread_only=False, kind=None, now=None):
    """The messages addressed to ``user`` that are shown now; each with ``is_read``."""
    messages = Message.objects.in_range(now or timezone.now()).filter(addressed_to(user))
    if kind is not None:
        messages = messages.filter(kind=kind)
    messages = with_read_state(messages, user)
    if unread_only:
        messages = messages.filter(is_read=False)
    return messages


def unread_ids(user, *, kind=None, now=None):
    return inbox(user, unread_only=True, kind=kind, now=now).order_by().values_list("pk", flat=True)


def unread_count(user, *, limit=None, now=None):
    """How many messages ``user`` has not read yet (one query). With ``limit``, counting stops there."""
    if not user.is_authenticated:
        return 0
    messages = inbox(user, unread_only=True, now=now).order_by().values("pk")
    if limit is not None:
        messages = messages[:limit]
    return messages.count()


def sent(user, *, hidden=False, now=None):
    """The messages ``user`` wrote: shown now, or (``hidden``) not started yet or expired."""
    now = now or timezone.now()
    messages = Message.objects.filter(creator=user)
    messages = messages.out_of_range(now) if hidden else messages.in_range(now)
    return with_read_state(messages, user)


def hidden_announcements(user, *, now=None):
    """Announcements that are not shown now (not started yet or expired); for staff."""
    return with_read_state(Message.objects.filter(kind=Kind.ANNOUNCEMENT).out_of_range(now or timezone.now()), user)
