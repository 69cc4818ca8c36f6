"""Registering and changing webhooks, sending test events, disabling and enabling (each one transaction).
Deliveries are sent by the worker: ``webhooks.delivery``."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tagger_messages.models import Audience, Kind, Message

from . import events
from .models import PING, Delivery, DeliveryState, Event, Webhook, new_secret
from .permissions import webhook_permissions

UNSET = object()
# Webhooks one team may register.
MAX_PER_TEAM = 20
SECRET_MIN_LENGTH = 16
NOT_ADMIN = "Only the team's admins may manage its webhooks."


def _require(actor, team):
    if "manage" not in webhook_permissions(actor, team):
        raise PermissionDenied(NOT_ADMIN)


def clean_url(url):
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Give the receiver's address starting with http:// or https://."})
    if parts.username or parts.password:
        raise ValidationError(
            {"url": "Leave the user name and password out of the address: the signature authenticates deliveries."}
        )
    if len(url) > Webhook._meta.get_field("url").max_length:
        raise ValidationError({"url": "The address is longer than 500 characters."})
    return url


def clean_events(names):
    if isinstance(names, str) or not isinstance(names, list | tuple) or not names:
        raise ValidationError({"events": f"Choose at least one event: {', '.join(Event.values)}."})
    unknown = [str(name) for name in names if name not in Event.values]
    if unknown:
        raise ValidationError(
            {"events": f"Unknown event(s): {', '.join(unknown)}. Choose from {', '.join(Event.values)}."}
        )
    return [name for name in Event.values if name in names]  # the catalogue's order, each once


def clean_description(text):
    text = (text or "").strip()
    if len(text) > Webhook._meta.get_field("description").max_length:
        raise ValidationError({"description": "At most 200 characters."})
    return text


def clean_secret(secret):
    """A secret the admin chose (to match the receiver's), or a new random one when empty."""
    secret = (secret or "").strip()
    if not secret:
        return new_secret()
    if not SECRET_MIN_LENGTH <= len(secret) <= 200 or not secret.isprintable() or " " in secret:
        raise ValidationError(
            {
                "secret": f"A secret has {SECRET_MIN_LENGTH} to 200 characters without spaces; "
                "leave it empty for a random one."
            }
        )
    return secret


@transaction.atomic
def register(*, actor, team, url, events, description="", secret=""):
    """Register a webhook of ``team`` (its admins); the returned webhook holds the secret in full (show it once)."""
    _require(actor, team)
    webhook = Webhook(
        team=team,
        url=clean_url(url),
        events=clean_events(events),
        description=clean_description(description),
        secret=clean_secret(secret),
        created_by=actor,
    )
    if Webhook.objects.select_for_update().filter(team=team).count() >= MAX_PER_TEAM:
        raise ValidationError(f"A team may register at most {MAX_PER_TEAM} webhooks; delete one first.")
    webhook.save()
    return webhook


def _locked(webhook):
    return Webhook.objects.select_for_update().select_related("team").get(pk=webhook.pk)


@transaction.atomic
def update(*, actor, webhook, url=UNSET, events=UNSET, description=UNSET, secret=UNSET, active=UNSET):
    """Change a webhook (admins). ``secret`` given: that one (empty: a new random one); ``active``
    true enables a disabled webhook (``enable``), false disables it by hand."""
    webhook = _locked(webhook)
    _require(actor, webhook.team)
    if url is not UNSET:
        webhook.url = clean_url(url)
    if events is not UNSET:
        webhook.events = clean_events(events)
    if description is not UNSET:
        webhook.description = clean_description(description)
    if secret is not UNSET:
        webhook.secret = clean_secret(secret)
    webhook.save()
    if active is not UNSET and bool(active) != webhook.active:
        if active:
            _enable(webhook)
        else:
            disable(webhook, f"Disabled by {actor.username} on {timezone.localtime():%Y-%m-%d %H:%M}.", notify=False)
        webhook.refresh_from_db()
    return webhook


@transaction.atomic
def enable(*, actor, webhook):
    """Enable a disabled webhook again (admins): deliveries start with the next event."""
    webhook = _locked(webhook)
    _require(actor, webhook.team)
    _enable(webhook)
    webhook.refresh_from_db()
    return webhook


def _enable(webhook):
    Webhook.objects.filter(pk=webhook.pk).update(active=True, disabled_reason="", disabled_at=None, failures_in_a_row=0)


@transaction.atomic
def delete(*, actor, webhook):
    """Delete a webhook (admins) with its delivery log; nothing more is sent to it."""
    webhook = _locked(webhook)
    _require(actor, webhook.team)
    webhook.delete()


@transaction.atomic
def rotate_secret(*, actor, webhook):
    """A new random secret (admins); the returned webhook holds it in full (show it once)."""
    return update(actor=actor, webhook=webhook, secret="")


@transaction.atomic
def send_test(*, actor, webhook):
    """Queue a test event (``ping``) to ``webhook`` (admins), even a disabled one (to check the receiver
    before enabling it again); returns the delivery. It goes out like any other delivery."""
    webhook = _locked(webhook)
    _require(actor, webhook.team)
    now = timezone.now()
    data = {
        "webhook": {"id": webhook.pk, "url": webhook.url, "description": webhook.description, "events": webhook.events},
        "actor": {"id": actor.pk, "username": actor.username},
    }
    delivery = Delivery.objects.create(
        webhook=webhook,
        event=PING,
        object_key=f"ping:{webhook.pk}:{now.timestamp()}",
        body=events.body_text(PING, webhook.team_id, data, now),
        created=now,
        next_attempt=now,
    )
    events.kick_after_commit()
    return delivery


def disable(webhook, reason, *, notify=True):
    """Disable ``webhook`` (in the caller's transaction): its pending deliveries are given up and,
    with ``notify``, the team's admins get a team message saying why."""
    now = timezone.now()
    Webhook.objects.filter(pk=webhook.pk).update(active=False, disabled_reason=reason[:1000], disabled_at=now)
    Delivery.objects.filter(webhook_id=webhook.pk, state=DeliveryState.PENDING).exclude(event=PING).update(
        state=DeliveryState.FAILED,
        finished=now,
        lease_until=None,
        lease_owner="",
        error="Not sent: the webhook was disabled.",
    )
    if notify:
        Message.objects.create(
            kind=Kind.TEAM,
            team_id=webhook.team_id,
            audience=Audience.ADMINS,
            title="A webhook was disabled",
            content=f"The webhook {webhook.url} stopped receiving events. {reason} "
            "Enable it again on the team's Webhooks page once the receiver works.",
            start_time=now,
            expire_time=now + timedelta(days=settings.DEFAULT_EXPIRE_TIME),
        )
