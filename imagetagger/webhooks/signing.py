"""How deliveries are signed, and how a receiver checks them.

Each delivery carries ``X-ImageTagger-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 with the webhook's secret over ``"<t>.<body>"`` (the timestamp, a dot and the exact bytes
of the request body). A receiver recomputes it with its copy of the secret, compares in constant time
and refuses timestamps too far from its clock (replays). ``verify`` is that check, in a dozen lines a
receiver can copy.
"""

import hashlib
import hmac
import time

HEADER = "X-ImageTagger-Signature"
VERSION = "v1"


def signature(secret, timestamp, body):
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` (``body``: bytes) with ``secret``."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret, timestamp, body):
    """The value of ``X-ImageTagger-Signature``."""
    return f"t={int(timestamp)},{VERSION}={signature(secret, timestamp, body)}"


def verify(secret, value, body, *, tolerance=300, now=None):
    """Whether ``value`` (the header) signs ``body`` with ``secret`` within ``tolerance`` seconds of now."""
    parts = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), parts.get(VERSION, ""))
