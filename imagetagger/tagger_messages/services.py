"""State changes for messages. Each function is one transaction.

They raise ``PermissionDenied`` when the actor may not do the thing and ``ValidationError`` for bad
input, so the HTML views and the API share them and never disagree.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from . import selectors
from .models import Audience, Kind, Message, MessageRead
from .permissions import DELETE, READ, can_send_announcement, can_send_team_message, message_permissions


def _validated(message):
    """``message`` checked against the model's rules, errors reported per field."""
    message.full_clean(validate_constraints=False)
    return message


def _save_and_mark_read(message, sender):
    message.save()
    # The sender has read what they wrote.
    MessageRead.objects.create(message=message, user=sender)
    return message


@transaction.atomic
def send_team_message(*, sender, team, title, content, start_time, expire_time, admins_only=False):
    """Post a message to ``team``'s members (``admins_only``: its admins). Team admins only."""
    if team is None:
        raise ValidationError({"team": "Choose the team the message is for."})
    if not can_send_team_message(sender, team.pk):
        raise PermissionDenied(f"Only admins of {team.name} may write messages to it.")
    message = Message(
        kind=Kind.TEAM,
        team=team,
        audience=Audience.ADMINS if admins_only else Audience.ALL,
        title=(title or "").strip(),
        content=(content or "").strip(),
        creator=sender,
        start_time=start_time,
        expire_time=expire_time,
    )
    return _save_and_mark_read(_validated(message), sender)


@transaction.atomic
def send_announcement(*, sender, title, content, start_time, expire_time, audience=Audience.ALL):
    """Post a site-wide announcement for everybody, team admins or staff. Staff only."""
    if not can_send_announcement(sender):
        raise PermissionDenied("Only staff may write announcements.")
    message = Message(
        kind=Kind.ANNOUNCEMENT,
        audience=audience,
        title=(title or "").strip(),
        content=(content or "").strip(),
        creator=sender,
        start_time=start_time,
        expire_time=expire_time,
    )
    return _save_and_mark_read(_validated(message), sender)


def _require(user, message, right, refusal):
    if right not in message_permissions(user, message):
        raise PermissionDenied(refusal)


@transaction.atomic
def mark_read(*, user, message):
    """``user`` has read ``message``. Marking it again (or at the same time elsewhere) changes nothing."""
    _require(user, message, READ, "You cannot see this message.")
    MessageRead.objects.bulk_create([MessageRead(message=message, user=user)], ignore_conflicts=True)


@transaction.atomic
def mark_all_read(*, user, kind=None):
    """Mark every message shown to ``user`` now as read: team messages (``kind="team"``),
    announcements (``kind="announcement"``) or both (``None``). Returns how many were unread.

    One read of the unread ids and one bulk insert; rows inserted meanwhile by another request are
    skipped, so concurrent calls never fail.
    """
    if kind is not None and kind not in Kind.values:
        raise ValidationError({"kind": f"Unknown kind “{kind}”: use team or announcement."})
    now = timezone.now()
    ids = list(selectors.unread_ids(user, kind=kind, now=now))
    MessageRead.objects.bulk_create(
        [MessageRead(message_id=pk, user=user, read_at=now) for pk in ids], ignore_conflicts=True
    )
    return len(ids)


@transaction.atomic
def delete_message(*, actor, message):
    """Delete ``message``: its creator, admins of its team (team messages) and staff may."""
    _require(actor, message, DELETE, "You may not delete this message.")
    message.delete()
