"""Sending deliveries, in the worker (``manage.py runzipdaemon``).

- **Queued with the event.** ``events.emit`` writes a ``Delivery`` row in the transaction that made
  the event and, once that commits, queues the task ``send_deliveries``. A delivery is never only in
  memory: if the task is lost (the process died before queueing it, the worker died running it), the
  sweep (``sweep``, every round of the worker) queues it again for any delivery that is due.
- **Claimed with a lease.** A worker takes one due delivery at a time with a conditional UPDATE (free,
  or its lease ran out) and holds it for ``IT_WEBHOOK_LEASE_SECONDS`` (at least twice the timeout and a
  second). A worker killed while sending lets the lease run out, and the delivery is sent again — at
  least once; receivers drop repeats by ``X-ImageTagger-Delivery``.
- **In order per object.** A webhook's delivery waits while an earlier one of the same object
  (``object_key``) is pending: a later event of an annotation never overtakes an earlier one.
- **Retries.** A 2xx answer delivers it. Anything else (another status, a timeout, no connection) is
  tried again after ``IT_WEBHOOK_RETRY_SECONDS``, doubling each time, while the next attempt is
  within ``IT_WEBHOOK_RETRY_FOR_SECONDS`` of the event; then it is given up. Redirects are not
  followed (a 3xx is a failure).
- **Disabling.** ``IT_WEBHOOK_DISABLE_AFTER`` deliveries given up in a row disable the webhook: its
  pending deliveries are given up, the reason is kept for its page and the team's admins get a team
  message. Test events (``ping``) neither count nor are held back by a disabled webhook.
"""

import ipaddress
import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks import task

from . import services, signing
from .models import PING, Delivery, DeliveryState, Webhook

logger = logging.getLogger(__name__)

# One task sends for at most this long, then queues a successor (other jobs get the worker meanwhile).
TASK_SECONDS = 30.0
# The part of an answer read (and dropped): only the status counts.
ANSWER_BYTES = 1024
USER_AGENT = "ImageTagger-Webhooks/1"

_POOL = urllib3.PoolManager(num_pools=32, maxsize=4, retries=False)


@task(priority=10)
def send_deliveries():
    """The background task: send every due delivery (``send_due``)."""
    return {"sent": send_due()}


def worker_name():
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_seconds():
    """How long a claimed delivery is held: ``IT_WEBHOOK_LEASE_SECONDS``, but at least what one attempt
    may take (connecting and answering, each up to the timeout) and a second."""
    return max(settings.WEBHOOK_LEASE_SECONDS, 2 * settings.WEBHOOK_TIMEOUT + 1.0)


def _free(now):
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def due(now=None):
    """Deliveries that may be sent now: pending, due, not held by a live worker, and no earlier
    pending delivery of the same webhook and object."""
    now = now or timezone.now()
    earlier = Delivery.objects.filter(
        webhook_id=OuterRef("webhook_id"),
        object_key=OuterRef("object_key"),
        state=DeliveryState.PENDING,
        pk__lt=OuterRef("pk"),
    )
    return (
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt__lte=now)
        .filter(_free(now))
        .exclude(Exists(earlier))
    )


def claim(owner, now=None):
    """Take the next due delivery for ``owner`` (with its webhook), or None when nothing is due."""
    now = now or timezone.now()
    for pk in due(now).order_by("next_attempt", "pk").values_list("pk", flat=True)[:10]:
        taken = (
            Delivery.objects.filter(pk=pk, state=DeliveryState.PENDING)
            .filter(_free(now))
            .update(lease_until=now + timedelta(seconds=lease_seconds()), lease_owner=owner)
        )
        if taken:
            return Delivery.objects.select_related("webhook").get(pk=pk)
    return None


def send_due(*, seconds=TASK_SECONDS, owner=None):
    """Send due deliveries one by one until none is due or ``seconds`` have passed (then the task is
    queued again if more are due); returns how many were attempted."""
    owner = owner or worker_name()
    started = time.monotonic()
    attempted = 0
    while time.monotonic() - started < seconds:
        delivery = claim(owner)
        if delivery is None:
            return attempted
        attempt(delivery, owner)
        attempted += 1
    if due().exists():
        send_deliveries.enqueue()
    return attempted


def sweep():
    """The worker's sweep: queue ``send_deliveries`` when a delivery is due and no such task waits
    (after a retry's delay, a lost task, or a worker that died holding a delivery)."""
    if not due().exists():
        return False
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.ready().filter(task_path=send_deliveries.module_path).exists():
        return False
    send_deliveries.enqueue()
    return True


def prune():
    """The hourly sweep: forget finished deliveries older than ``IT_WEBHOOK_LOG_DAYS``."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_LOG_DAYS)
    deleted, _ = Delivery.objects.filter(finished__lt=cutoff).exclude(state=DeliveryState.PENDING).delete()
    return deleted


# --- one attempt -----------------------------------------------------------------------------------------


class Refused(Exception):
    """The address may not be called: given up at once, not retried."""


def _check_address(url):
    """Refuse private, loopback, link-local and reserved addresses unless ``IT_WEBHOOK_PRIVATE_ADDRESSES``."""
    if settings.WEBHOOK_PRIVATE_ADDRESSES:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return  # the request fails with "could not connect" and is retried
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise Refused(f"{host} is a private or local address ({address}); webhooks call public addresses only.")


def post(webhook, delivery):
    """Send ``delivery`` to ``webhook``: ``(status code or None, milliseconds, error text, retry)``."""
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-ImageTagger-Event": delivery.event,
        "X-ImageTagger-Delivery": str(delivery.uuid),
        signing.HEADER: signing.header(webhook.secret, time.time(), body),
    }
    timeout = settings.WEBHOOK_TIMEOUT
    started = time.perf_counter()
    try:
        _check_address(webhook.url)
        response = _POOL.request(
            "POST",
            webhook.url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(connect=min(5.0, timeout), read=timeout),
            preload_content=False,
            redirect=False,
        )
        try:
            response.read(ANSWER_BYTES)
        finally:
            response.release_conn()
    except Refused as refusal:
        return None, 0, str(refusal), False
    except urllib3.exceptions.NewConnectionError as error:  # before TimeoutError: urllib3 makes it one too
        return None, _ms(started), f"Could not connect ({_reason(error)}).", True
    except urllib3.exceptions.TimeoutError:
        return None, _ms(started), f"No answer within {timeout:g} s.", True
    except urllib3.exceptions.HTTPError as error:
        return None, _ms(started), f"Could not connect ({_reason(error)}).", True
    elapsed = _ms(started)
    if 200 <= response.status < 300:
        return response.status, elapsed, "", False
    return response.status, elapsed, f"The receiver answered {response.status}.", True


def _reason(error):
    """Why a connection failed, without the address (which the log shows already)."""
    reason = getattr(error, "reason", None) or error
    text = str(reason)
    return text.rsplit(": ", 1)[-1] if ": " in text else type(reason).__name__


def _ms(started):
    return round((time.perf_counter() - started) * 1000)


def attempt(delivery, owner):
    """Send the claimed ``delivery`` once and record the outcome."""
    webhook = delivery.webhook
    if not webhook.active and delivery.event != PING:
        status, elapsed, error, retry = None, None, "Not sent: the webhook is disabled.", False
    else:
        try:
            status, elapsed, error, retry = post(webhook, delivery)
        except Exception as failure:  # a malformed address, an odd answer: a failed attempt, never a dead loop
            logger.exception("Delivery %s to webhook %s failed", delivery.uuid, webhook.pk)
            status, elapsed, error, retry = None, None, f"Could not send ({type(failure).__name__}).", True
    record(delivery.pk, owner, status=status, elapsed=elapsed, error=error, retry=retry)


def backoff(attempts):
    """Seconds before the next attempt after ``attempts`` failed ones: 30 s, 60 s, 120 s, … by default."""
    return settings.WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1)


@transaction.atomic
def record(delivery_id, owner, *, status, elapsed, error, retry):
    """The outcome of one attempt: delivered, due again later, or given up (and maybe the webhook
    disabled). A delivery another worker took over meanwhile (our lease ran out) is still recorded:
    the receiver did get the request."""
    # Lock order: the webhook, then its deliveries (as ``services`` do when they disable or delete it).
    webhook_id = Delivery.objects.filter(pk=delivery_id).values_list("webhook_id", flat=True).first()
    webhook = Webhook.objects.select_for_update().filter(pk=webhook_id).first() if webhook_id else None
    delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first() if webhook else None
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return None
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt = now
    delivery.status_code = status
    delivery.response_ms = elapsed
    delivery.error = error[:500]
    if delivery.lease_owner == owner:
        delivery.lease_until, delivery.lease_owner = None, ""
    counts = delivery.event != PING and webhook.active
    if not error:
        delivery.state, delivery.finished = DeliveryState.DELIVERED, now
        if counts and webhook.failures_in_a_row:
            Webhook.objects.filter(pk=webhook.pk).update(failures_in_a_row=0)
    else:
        next_attempt = now + timedelta(seconds=backoff(delivery.attempts))
        if retry and next_attempt - delivery.created <= timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS):
            delivery.next_attempt = next_attempt
        else:
            delivery.state, delivery.finished = DeliveryState.FAILED, now
            if counts:
                _count_failure(webhook, error, now)
    delivery.save()
    return delivery


def _count_failure(webhook, error, now):
    webhook.failures_in_a_row += 1
    Webhook.objects.filter(pk=webhook.pk).update(failures_in_a_row=webhook.failures_in_a_row)
    if webhook.failures_in_a_row < settings.WEBHOOK_DISABLE_AFTER:
        return
    services.disable(
        webhook,
        f"Disabled automatically on {timezone.localtime(now):%Y-%m-%d %H:%M} after {webhook.failures_in_a_row} "
        f"deliveries in a row were given up. The last one: {error}",
    )
