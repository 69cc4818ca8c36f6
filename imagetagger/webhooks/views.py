"""The Webhooks pages of a team (its admins): register, change, delete, enable, send a test event, and
each webhook's delivery log. Members and outsiders get 404 (``permissions``)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from users.models import Team

from . import services
from .forms import WebhookForm
from .models import Delivery, DeliveryState, Webhook
from .permissions import webhook_permissions

LOG_PAGE_SIZE = 25
SECRET_KEY = "webhook-secret-{}"  # the session key holding a new secret until its page shows it once


def _team_for_admin(request, team_id):
    team = get_object_or_404(Team, pk=team_id)
    if "manage" not in webhook_permissions(request.user, team):
        raise Http404("No such page.")
    return team


def _webhook_for_admin(request, webhook_id):
    webhook = get_object_or_404(Webhook.objects.select_related("team"), pk=webhook_id)
    if "manage" not in webhook_permissions(request.user, webhook.team):
        raise Http404("No such webhook.")
    return webhook


def _apply_errors(form, error):
    for field, texts in error.message_dict.items():
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


def _show_secret_once(request, webhook):
    request.session[SECRET_KEY.format(webhook.pk)] = webhook.secret


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_webhooks(request, team_id):
    """The team's webhooks and the form to register one."""
    team = _team_for_admin(request, team_id)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook = services.register(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            _show_secret_once(request, webhook)
            messages.success(request, "Webhook registered. Send a test event to check the receiver.")
            return redirect("webhooks:webhook", webhook.pk)
    webhooks = list(Webhook.objects.filter(team=team))
    context = {"team": team, "webhooks": webhooks, "form": form}
    return render(request, "webhooks/team_webhooks.html", context, status=400 if form.errors else 200)


@login_required
@require_safe
def webhook_page(request, webhook_id):
    """One webhook: its settings, actions and delivery log (newest first, paged)."""
    webhook = _webhook_for_admin(request, webhook_id)
    rows = Delivery.objects.filter(webhook=webhook).order_by("-id")
    page = Paginator(rows, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    for delivery in page:
        delivery.pretty_body = _pretty(delivery.body)
    context = {
        "team": webhook.team,
        "webhook": webhook,
        "page": page,
        "pending": any(delivery.state == DeliveryState.PENDING for delivery in page),
        "new_secret": request.session.pop(SECRET_KEY.format(webhook.pk), None),
    }
    return render(request, "webhooks/webhook.html", context)


def _pretty(body):
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_webhook(request, webhook_id):
    webhook = _webhook_for_admin(request, webhook_id)
    initial = {"url": webhook.url, "description": webhook.description, "events": webhook.events}
    form = WebhookForm(request.POST or None, initial=initial, changing=True)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if not changes["secret"]:
            del changes["secret"]
        try:
            services.update(actor=request.user, webhook=webhook, **changes)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Webhook saved.")
            return redirect("webhooks:webhook", webhook.pk)
    context = {"team": webhook.team, "webhook": webhook, "form": form}
    return render(request, "webhooks/webhook_edit.html", context, status=400 if form.errors else 200)


def _send_test(request, webhook):
    services.send_test(actor=request.user, webhook=webhook)
    return "Test event queued; it appears in the delivery log below once it is sent."


def _enable(request, webhook):
    services.enable(actor=request.user, webhook=webhook)
    return "Webhook enabled: the next events are sent to it."


def _disable(request, webhook):
    services.update(actor=request.user, webhook=webhook, active=False)
    return "Webhook disabled: nothing is sent to it until you enable it again."


def _rotate_secret(request, webhook):
    _show_secret_once(request, services.rotate_secret(actor=request.user, webhook=webhook))
    return "New secret made: deliveries from now on are signed with it."


ACTIONS = {"test": _send_test, "enable": _enable, "disable": _disable, "secret": _rotate_secret}


@login_required
@require_POST
def act(request, webhook_id, action):
    """The buttons of a webhook's page (``ACTIONS``); back to the page with what happened."""
    webhook = _webhook_for_admin(request, webhook_id)
    messages.success(request, ACTIONS[action](request, webhook))
    return redirect("webhooks:webhook", webhook.pk)


@login_required
@require_POST
def delete_webhook(request, webhook_id):
    webhook = _webhook_for_admin(request, webhook_id)
    services.delete(actor=request.user, webhook=webhook)
    messages.success(request, f"Webhook {webhook.url} deleted with its delivery log.")
    return redirect("webhooks:team_webhooks", webhook.team_id)
