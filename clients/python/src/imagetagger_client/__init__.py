"""ImageTagger's Python client: ``Client`` and the ``imagetagger`` command (``cli``)."""

__version__ = "0.1.0"

from .client import Client
from .errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    ConnectionFailed,
    ImageTaggerError,
    JobFailed,
    NotFound,
    PermissionDenied,
    ServerError,
    Timeout,
)

__all__ = [
    "AuthenticationFailed",
    "BadRequest",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "ImageTaggerError",
    "JobFailed",
    "NotFound",
    "PermissionDenied",
    "ServerError",
    "Timeout",
    "__version__",
]
